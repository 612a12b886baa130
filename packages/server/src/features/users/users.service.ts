import type { FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import type { ApiKeysRepo } from "@bifrost/storage/api-keys.repo.js";
import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import type { RolesRepo } from "@bifrost/storage/roles.repo.js";
import type { Schema } from "@bifrost/storage/schema.js";
import type { SessionsRepo } from "@bifrost/storage/sessions.repo.js";
import type { UserTokensRepo, UserTokenPurpose } from "@bifrost/storage/user-tokens.repo.js";
import { DuplicateEmailError, type User, type UserPatch, type UsersRepo } from "@bifrost/storage/users.repo.js";
import { actsAnywhere, levelOf, principalOf, type Level, type Principal } from "../../auth.js";
import { forbidden, HttpError, notFound, validationFailed } from "../../http-error.js";
import { audit } from "../audit/audit.js";
import { hashPassword, passwordProblems } from "../auth/passwords.js";

export const INVITE_TTL_MS = 7 * 24 * 3_600_000;

export interface UsersDeps {
  db: Kysely<Schema>;
  users: UsersRepo;
  sessions: SessionsRepo;
  tokens: UserTokensRepo;
  roles: RolesRepo;
  apiKeys: ApiKeysRepo;
  organizations: OrganizationsRepo;
  audit: AuditRepo;
  /** Where one-time links point (BIFROST_PUBLIC_URL, else the request's origin). */
  publicUrl: string | null;
}

export interface NewUserInput {
  email: string;
  name: string;
  organizationId?: string | null;
  isPlatformAdmin?: boolean;
  isOrgAdmin?: boolean;
  password?: string;
}

/** A user as the API shows it: with its level and its roles' names. */
export interface UserView extends User {
  level: Level;
  roles: { id: string; name: string }[];
}

const duplicate = (email: string) => new HttpError(409, "duplicate_email", `A user with e-mail ${email.trim().toLowerCase()} already exists`);

/** Users, managed by platform admins (all) and organization admins (their organization's). */
export class UsersService {
  constructor(private readonly deps: UsersDeps) {}

  async view(user: User): Promise<UserView> {
    const roles = await this.deps.roles.rolesOf(user.id);
    return { ...user, level: levelOf(user), roles: roles.map((r) => ({ id: r.id, name: r.name })) };
  }

  /** The user if the caller manages it; 404 otherwise (another organization's users are not revealed). */
  async managed(p: Principal, id: string): Promise<User> {
    const user = await this.deps.users.get(id);
    if (!user || !this.manages(p, user)) throw notFound("User");
    return user;
  }

  manages(p: Principal, user: User): boolean {
    if (p.isPlatformAdmin) return true;
    return p.level === "orgAdmin" && user.organizationId !== null && user.organizationId === p.homeOrgId;
  }

  /** Which organization's users the caller lists: undefined = all (platform admins), else its own. */
  listScope(p: Principal, wanted: string | null | undefined): string | null | undefined {
    if (p.isPlatformAdmin) return wanted;
    if (wanted !== undefined && wanted !== p.homeOrgId) throw forbidden("An organization admin manages its own organization's users only");
    return p.homeOrgId;
  }

  linkFor(request: FastifyRequest, purpose: UserTokenPurpose, token: string): string {
    const base = this.deps.publicUrl ?? `${request.protocol}://${request.host}`;
    return purpose === "setup" ? `${base}/setup?token=${token}` : `${base}/invite?token=${token}`;
  }

  async create(request: FastifyRequest, input: NewUserInput): Promise<{ user: UserView; inviteUrl: string | null; inviteToken: string | null; inviteExpiresAt: string | null }> {
    const p = principalOf(request);
    let organizationId = input.organizationId ?? null;
    if (!p.isPlatformAdmin) {
      if (input.isPlatformAdmin) throw forbidden("Only platform admins may make platform admins");
      organizationId ??= p.homeOrgId;
      if (organizationId !== p.homeOrgId) throw forbidden("An organization admin creates users in its own organization only");
    }
    if (input.isPlatformAdmin && organizationId !== null) {
      throw validationFailed([{ path: "isPlatformAdmin", message: "platform admins belong to no organization (organizationId null)" }]);
    }
    if (organizationId && !(await this.deps.organizations.get(organizationId))) throw notFound(`Organization ${organizationId}`);
    if (input.password !== undefined) {
      const problems = passwordProblems(input.password, "password");
      if (problems.length) throw validationFailed(problems);
    }
    const passwordHash = input.password !== undefined ? await hashPassword(input.password) : null;
    try {
      const { user, link } = await this.deps.db.transaction().execute(async (trx) => {
        const user = await this.deps.users.create(
          { email: input.email, name: input.name, organizationId, isPlatformAdmin: input.isPlatformAdmin ?? false, isOrgAdmin: organizationId !== null && (input.isOrgAdmin ?? false), passwordHash },
          trx,
        );
        const link = passwordHash ? null : await this.deps.tokens.create("invite", user.id, { ttlMs: INVITE_TTL_MS, createdBy: p.userId ?? p.keyId }, trx);
        await audit(this.deps.audit, request, { action: "user.create", target: user.id, orgId: organizationId, details: { email: user.email, level: levelOf(user), invited: link !== null } }, trx);
        return { user, link };
      });
      return {
        user: await this.view(user),
        inviteUrl: link ? this.linkFor(request, "invite", link.token) : null,
        inviteToken: link?.token ?? null,
        inviteExpiresAt: link?.expiresAt ?? null,
      };
    } catch (error) {
      if (error instanceof DuplicateEmailError) throw duplicate(input.email);
      throw error;
    }
  }

  async update(request: FastifyRequest, id: string, patch: UserPatch): Promise<UserView> {
    const p = principalOf(request);
    const user = await this.managed(p, id);
    if (!p.isPlatformAdmin && patch.isPlatformAdmin) throw forbidden("Only platform admins may make platform admins");
    const moves = patch.organizationId !== undefined && patch.organizationId !== user.organizationId;
    if (moves) {
      if (!p.isPlatformAdmin) throw forbidden("Only platform admins move users between organizations");
      if (patch.organizationId && !(await this.deps.organizations.get(patch.organizationId))) throw validationFailed([{ path: "organizationId", message: "is not an organization" }]);
      // A customer user is no platform admin, an MSP user no organization admin.
      if (patch.organizationId) patch = { ...patch, isPlatformAdmin: patch.isPlatformAdmin ?? false };
      else patch = { ...patch, isOrgAdmin: patch.isOrgAdmin ?? false };
    }
    const orgAfter = patch.organizationId === undefined ? user.organizationId : patch.organizationId;
    if (patch.isPlatformAdmin && orgAfter !== null) {
      throw validationFailed([{ path: "isPlatformAdmin", message: "a customer user cannot be a platform admin" }]);
    }
    if (patch.isOrgAdmin && orgAfter === null) throw validationFailed([{ path: "isOrgAdmin", message: "only customer users are organization admins" }]);
    try {
      const updated = await this.deps.db.transaction().execute(async (trx) => {
        const losesAdmin = user.isPlatformAdmin && !user.disabled && (patch.isPlatformAdmin === false || patch.disabled === true);
        if (losesAdmin && (await this.deps.users.countActiveAdmins(trx)) <= 1) {
          throw new HttpError(409, "last_admin", "This is the last enabled platform admin: make another one first");
        }
        const updated = (await this.deps.users.update(id, patch, trx))!;
        // Disabled: its sessions end now (its keys stop at once too: auth reads the user on every request).
        // Moved: its sessions end too, so it signs in again in its new organization.
        if ((patch.disabled === true && !user.disabled) || moves) await this.deps.sessions.revokeAllOf(id, null, trx);
        await audit(this.deps.audit, request, { action: patch.disabled === true ? "user.disable" : "user.update", target: id, orgId: user.organizationId, details: { ...patch } }, trx);
        return updated;
      });
      return this.view(updated);
    } catch (error) {
      if (error instanceof DuplicateEmailError) throw duplicate(patch.email ?? "");
      throw error;
    }
  }

  async delete(request: FastifyRequest, id: string): Promise<void> {
    const p = principalOf(request);
    const user = await this.managed(p, id);
    if (p.userId === id) throw new HttpError(409, "conflict", "You cannot delete yourself");
    await this.deps.db.transaction().execute(async (trx) => {
      if (user.isPlatformAdmin && !user.disabled && (await this.deps.users.countActiveAdmins(trx)) <= 1) {
        throw new HttpError(409, "last_admin", "This is the last enabled platform admin: make another one first");
      }
      await this.deps.users.delete(id, trx);
      await audit(this.deps.audit, request, { action: "user.delete", target: id, orgId: user.organizationId, details: { email: user.email } }, trx);
    });
  }

  /** A one-time link that sets a new password (the old one keeps working until it is used). */
  async resetLink(request: FastifyRequest, id: string): Promise<{ resetUrl: string; resetToken: string; expiresAt: string }> {
    const p = principalOf(request);
    const user = await this.managed(p, id);
    const link = await this.deps.db.transaction().execute(async (trx) => {
      const link = await this.deps.tokens.create("reset", user.id, { ttlMs: INVITE_TTL_MS, createdBy: p.userId ?? p.keyId }, trx);
      await audit(this.deps.audit, request, { action: "user.password_reset_link", target: id, orgId: user.organizationId }, trx);
      return link;
    });
    return { resetUrl: this.linkFor(request, "reset", link.token), resetToken: link.token, expiresAt: link.expiresAt };
  }

  /** Organizations a principal may act in. */
  async organizationsOf(p: Principal): Promise<{ id: string; name: string }[]> {
    if (actsAnywhere(p.level)) return (await this.deps.organizations.list()).map((o) => ({ id: o.id, name: o.name }));
    const own = p.homeOrgId ? await this.deps.organizations.get(p.homeOrgId) : null;
    return own ? [{ id: own.id, name: own.name }] : [];
  }
}
