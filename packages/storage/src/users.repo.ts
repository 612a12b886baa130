import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Schema } from "./schema.js";

/** A person who signs in (issue 11). `organizationId` null = an MSP user. */
export interface User {
  id: string;
  email: string;
  name: string;
  organizationId: string | null;
  isPlatformAdmin: boolean;
  /** Manages its own organization (customer users only). */
  isOrgAdmin: boolean;
  disabled: boolean;
  /** Whether a password is set (its hash never leaves the repository but through `credentials`). */
  hasPassword: boolean;
  mfaEnabled: boolean;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
}

export interface NewUser {
  email: string;
  name: string;
  organizationId: string | null;
  isPlatformAdmin?: boolean;
  isOrgAdmin?: boolean;
  passwordHash?: string | null;
}

export interface UserPatch {
  name?: string;
  email?: string;
  isPlatformAdmin?: boolean;
  isOrgAdmin?: boolean;
  disabled?: boolean;
  /** Moves the user to another organization (null = the MSP). */
  organizationId?: string | null;
}

/** What sign-in needs: the password hash and the MFA state. */
export interface UserCredentials {
  passwordHash: string | null;
  mfaSecret: string | null;
  mfaEnabled: boolean;
  recoveryCodes: string[];
}

/** Thrown when an e-mail address is taken (compared without case). */
export class DuplicateEmailError extends Error {
  override name = "DuplicateEmailError";
}

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

const toUser = (r: Schema["users"]): User => ({
  id: r.id,
  email: r.email,
  name: r.name,
  organizationId: r.organization_id,
  isPlatformAdmin: r.is_platform_admin === 1,
  isOrgAdmin: r.is_org_admin === 1,
  disabled: r.disabled === 1,
  hasPassword: r.password_hash !== null,
  mfaEnabled: r.mfa_enabled === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  lastLoginAt: r.last_login_at,
});

export interface UserFilter {
  /** undefined = every user; null = MSP users only. */
  organizationId?: string | null;
  limit?: number;
  offset?: number;
}

/** Users; e-mail addresses are stored lower-cased and unique. */
export class UsersRepo {
  constructor(private readonly db: Kysely<Schema>) {}

  async create(input: NewUser, db: Kysely<Schema> = this.db, now = new Date().toISOString()): Promise<User> {
    const email = normalizeEmail(input.email);
    if (await this.findByEmail(email, db)) throw new DuplicateEmailError(`A user with e-mail ${email} exists`);
    const row: Schema["users"] = {
      id: randomUUID(),
      email,
      name: input.name,
      organization_id: input.organizationId,
      is_platform_admin: input.isPlatformAdmin ? 1 : 0,
      is_org_admin: input.isOrgAdmin ? 1 : 0,
      disabled: 0,
      password_hash: input.passwordHash ?? null,
      mfa_secret: null,
      mfa_enabled: 0,
      mfa_last_step: null,
      recovery_codes: null,
      created_at: now,
      updated_at: now,
      last_login_at: null,
    };
    try {
      await db.insertInto("users").values(row).execute();
    } catch (error) {
      // Two creates racing past the check: the unique index decides.
      if (await this.findByEmail(email, db)) throw new DuplicateEmailError(`A user with e-mail ${email} exists`);
      throw error;
    }
    return toUser(row);
  }

  async get(id: string, db: Kysely<Schema> = this.db): Promise<User | null> {
    const r = await db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async findByEmail(email: string, db: Kysely<Schema> = this.db): Promise<User | null> {
    const r = await db.selectFrom("users").selectAll().where("email", "=", normalizeEmail(email)).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async list(filter: UserFilter = {}): Promise<{ users: User[]; total: number }> {
    let q = this.db.selectFrom("users");
    if (filter.organizationId === null) q = q.where("organization_id", "is", null);
    else if (filter.organizationId !== undefined) q = q.where("organization_id", "=", filter.organizationId);
    const total = Number((await q.select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
    const rows = await q
      .selectAll()
      .orderBy("email")
      .limit(filter.limit ?? 100)
      .offset(filter.offset ?? 0)
      .execute();
    return { users: rows.map(toUser), total };
  }

  /** Enabled platform admins (deleting or demoting the last one is refused above this layer). */
  async countActiveAdmins(db: Kysely<Schema> = this.db): Promise<number> {
    const r = await db
      .selectFrom("users")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("is_platform_admin", "=", 1)
      .where("disabled", "=", 0)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async count(db: Kysely<Schema> = this.db): Promise<number> {
    return Number((await db.selectFrom("users").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
  }

  async update(id: string, patch: UserPatch, db: Kysely<Schema> = this.db, now = new Date().toISOString()): Promise<User | null> {
    const set: Partial<Schema["users"]> = { updated_at: now };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.email !== undefined) {
      const email = normalizeEmail(patch.email);
      const other = await this.findByEmail(email, db);
      if (other && other.id !== id) throw new DuplicateEmailError(`A user with e-mail ${email} exists`);
      set.email = email;
    }
    if (patch.isPlatformAdmin !== undefined) set.is_platform_admin = patch.isPlatformAdmin ? 1 : 0;
    if (patch.isOrgAdmin !== undefined) set.is_org_admin = patch.isOrgAdmin ? 1 : 0;
    if (patch.disabled !== undefined) set.disabled = patch.disabled ? 1 : 0;
    if (patch.organizationId !== undefined) set.organization_id = patch.organizationId;
    await db.updateTable("users").set(set).where("id", "=", id).execute();
    return this.get(id, db);
  }

  async credentials(id: string, db: Kysely<Schema> = this.db): Promise<UserCredentials | null> {
    const r = await db.selectFrom("users").select(["password_hash", "mfa_secret", "mfa_enabled", "recovery_codes"]).where("id", "=", id).executeTakeFirst();
    if (!r) return null;
    return {
      passwordHash: r.password_hash,
      mfaSecret: r.mfa_secret,
      mfaEnabled: r.mfa_enabled === 1,
      recoveryCodes: r.recovery_codes ? (JSON.parse(r.recovery_codes) as string[]) : [],
    };
  }

  async setPassword(id: string, passwordHash: string, db: Kysely<Schema> = this.db, now = new Date().toISOString()): Promise<void> {
    await db.updateTable("users").set({ password_hash: passwordHash, updated_at: now }).where("id", "=", id).execute();
  }

  /** Stores (or clears, with nulls) the TOTP secret, whether it is in force, and the recovery codes' hashes. */
  async setMfa(id: string, mfa: { secret: string | null; enabled: boolean; recoveryCodes: string[] | null }, db: Kysely<Schema> = this.db): Promise<void> {
    await db
      .updateTable("users")
      .set({ mfa_secret: mfa.secret, mfa_enabled: mfa.enabled ? 1 : 0, ...(mfa.secret === null ? { mfa_last_step: null } : {}), recovery_codes: mfa.recoveryCodes ? JSON.stringify(mfa.recoveryCodes) : null, updated_at: new Date().toISOString() })
      .where("id", "=", id)
      .execute();
  }

  /** Records a TOTP step as used; false when it (or a later one) was used already — a replay. */
  async useTotpStep(id: string, step: number, db: Kysely<Schema> = this.db): Promise<boolean> {
    const r = await db
      .updateTable("users")
      .set({ mfa_last_step: step })
      .where("id", "=", id)
      .where((eb) => eb.or([eb("mfa_last_step", "is", null), eb("mfa_last_step", "<", step)]))
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async touchLogin(id: string, db: Kysely<Schema> = this.db, now = new Date().toISOString()): Promise<void> {
    await db.updateTable("users").set({ last_login_at: now }).where("id", "=", id).execute();
  }

  /** Deletes the user with its sessions, one-time links, role grants and personal keys. */
  async delete(id: string, db: Kysely<Schema> = this.db): Promise<boolean> {
    await db.deleteFrom("sessions").where("user_id", "=", id).execute();
    await db.deleteFrom("user_tokens").where("user_id", "=", id).execute();
    await db.deleteFrom("user_roles").where("user_id", "=", id).execute();
    await db.deleteFrom("api_keys").where("user_id", "=", id).execute();
    const r = await db.deleteFrom("users").where("id", "=", id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}
