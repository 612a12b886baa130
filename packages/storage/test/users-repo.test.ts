import { describe, expect, it } from "vitest";
import { ApiKeysRepo } from "@bifrost/storage/api-keys.repo.js";
import { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import { DuplicateRoleError, RolesRepo } from "@bifrost/storage/roles.repo.js";
import { SessionsRepo } from "@bifrost/storage/sessions.repo.js";
import { UserTokensRepo } from "@bifrost/storage/user-tokens.repo.js";
import { DuplicateEmailError, UsersRepo } from "@bifrost/storage/users.repo.js";
import { forEachDatabase } from "./databases.js";

/** Users, sessions, roles, one-time links and the audit trail on each backend. */
forEachDatabase((t) => {
  describe("users", () => {
    it("keeps e-mail unique without regard to case, lists per organization, counts admins", async () => {
      const users = new UsersRepo(t.database.db);
      const org = await new OrganizationsRepo(t.database.db).create("Users Org");
      const a = await users.create({ email: " Ada@Example.com ", name: "Ada", organizationId: null, isPlatformAdmin: true, passwordHash: "h" });
      expect(a).toMatchObject({ email: "ada@example.com", isPlatformAdmin: true, hasPassword: true, disabled: false, lastLoginAt: null });
      await expect(users.create({ email: "ADA@example.COM", name: "Other", organizationId: null })).rejects.toBeInstanceOf(DuplicateEmailError);
      const b = await users.create({ email: "bo@customer.test", name: "Bo", organizationId: org.id, isOrgAdmin: true });
      expect((await users.findByEmail("BO@customer.test"))?.id).toBe(b.id);
      expect((await users.list({ organizationId: org.id })).users.map((u) => u.id)).toEqual([b.id]);
      expect((await users.list({ organizationId: null })).users.map((u) => u.email)).toContain("ada@example.com");
      expect(await users.countActiveAdmins()).toBeGreaterThanOrEqual(1);
      const before = await users.countActiveAdmins();
      await users.update(a.id, { disabled: true });
      expect(await users.countActiveAdmins()).toBe(before - 1);
      await expect(users.update(b.id, { email: "ada@EXAMPLE.com" })).rejects.toBeInstanceOf(DuplicateEmailError);
      await users.setMfa(b.id, { secret: "s", enabled: true, recoveryCodes: ["x", "y"] });
      expect(await users.credentials(b.id)).toEqual({ passwordHash: null, mfaSecret: "s", mfaEnabled: true, recoveryCodes: ["x", "y"] });

      // Deleting the organization deletes its users with their sessions and personal keys.
      await new SessionsRepo(t.database.db).create(b.id, { absoluteMs: 60_000 });
      await new ApiKeysRepo(t.database.db).create(null, "personal", new Date(), b.id);
      expect(await new OrganizationsRepo(t.database.db).delete(org.id)).toBe(true);
      expect(await users.get(b.id)).toBeNull();
      expect(await new ApiKeysRepo(t.database.db).list(undefined, b.id)).toEqual([]);
    });
  });

  describe("sessions", () => {
    it("find a live session by its token only; idle, absolute and revoked ends", async () => {
      const users = new UsersRepo(t.database.db);
      const sessions = new SessionsRepo(t.database.db);
      const u = await users.create({ email: "s@example.com", name: "S", organizationId: null });
      const t0 = new Date("2030-01-01T00:00:00Z");
      const { token, session } = await sessions.create(u.id, { absoluteMs: 3_600_000 }, undefined, t0);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await sessions.findLive(token, 600_000, new Date(t0.getTime() + 1000))).toMatchObject({ id: session.id, userId: u.id });
      expect(await sessions.findLive(`${token}x`, 600_000, t0)).toBeNull();
      // Idle: unused for longer than the idle lifetime.
      expect(await sessions.findLive(token, 600_000, new Date(t0.getTime() + 600_001))).toBeNull();
      // Absolute: past its end even when used.
      expect(await sessions.findLive(token, 10 * 3_600_000, new Date(t0.getTime() + 3_600_001))).toBeNull();
      const other = await sessions.create(u.id, { absoluteMs: 3_600_000 }, undefined, t0);
      expect(await sessions.revokeAllOf(u.id, session.id)).toBe(1);
      expect(await sessions.findLive(other.token, 600_000, t0)).toBeNull();
      expect(await sessions.findLive(token, 600_000, t0)).not.toBeNull();
      expect(await sessions.revoke(session.id)).toBe(true);
      expect(await sessions.findLive(token, 600_000, t0)).toBeNull();
    });
  });

  describe("one-time links", () => {
    it("redeem once, refuse when expired or used", async () => {
      const users = new UsersRepo(t.database.db);
      const tokens = new UserTokensRepo(t.database.db);
      const u = await users.create({ email: "invitee@example.com", name: "I", organizationId: null });
      const t0 = new Date("2030-01-01T00:00:00Z");
      const { token } = await tokens.create("invite", u.id, { ttlMs: 7 * 86_400_000 }, undefined, t0);
      expect(await tokens.peek(token, t0)).toMatchObject({ ok: true, token: { purpose: "invite", userId: u.id } });
      expect(await tokens.redeem(token, undefined, t0)).toMatchObject({ ok: true });
      expect(await tokens.redeem(token, undefined, t0)).toEqual({ ok: false, reason: "used" });
      const late = await tokens.create("reset", u.id, { ttlMs: 1000 }, undefined, t0);
      expect(await tokens.redeem(late.token, undefined, new Date(t0.getTime() + 1000))).toEqual({ ok: false, reason: "expired" });
      expect(await tokens.redeem("nope")).toEqual({ ok: false, reason: "unknown" });
    });
  });

  describe("roles", () => {
    it("names unique without case; assignments listed per user; deleting a role ends its grants", async () => {
      const roles = new RolesRepo(t.database.db);
      const u = await new UsersRepo(t.database.db).create({ email: "r@example.com", name: "R", organizationId: null });
      const help = await roles.create({ name: "Helpdesk", description: null });
      await expect(roles.create({ name: "helpdesk", description: null })).rejects.toBeInstanceOf(DuplicateRoleError);
      const hr = await roles.create({ name: "HR approvers", description: "approve" });
      expect(await roles.assign(help.id, u.id)).toBe(true);
      expect(await roles.assign(help.id, u.id)).toBe(false);
      await roles.assign(hr.id, u.id);
      expect((await roles.rolesOf(u.id)).map((r) => r.name)).toEqual(["Helpdesk", "HR approvers"]);
      expect(await roles.delete(help.id)).toBe(true);
      expect((await roles.rolesOf(u.id)).map((r) => r.name)).toEqual(["HR approvers"]);
      expect(await roles.unassign(hr.id, u.id)).toBe(true);
      expect(await roles.members(hr.id)).toEqual([]);
    });
  });

  describe("audit", () => {
    it("appends in the writer's transaction (a rolled-back change leaves no event), lists newest first with filters", async () => {
      const audit = new AuditRepo(t.database.db);
      const actor = { kind: "user" as const, id: "u1", name: "Ada" };
      await audit.append({ actor, orgId: "o1", action: "user.create", target: "x", ip: "10.0.0.1" });
      await audit.append({ actor, orgId: null, action: "role.create", target: "y", ip: null, details: { name: "Helpdesk" } });
      await t.database.db
        .transaction()
        .execute(async (trx) => {
          await audit.append({ actor, orgId: "o1", action: "user.delete", target: "x", ip: null }, trx);
          throw new Error("roll back");
        })
        .catch(() => undefined);
      const all = await audit.list({ limit: 10, offset: 0 });
      expect(all.events.map((e) => e.action)).toEqual(["role.create", "user.create"]);
      expect(all.events[0]).toMatchObject({ actor, details: { name: "Helpdesk" }, orgId: null });
      expect((await audit.list({ orgId: "o1", limit: 10, offset: 0 })).events.map((e) => e.action)).toEqual(["user.create"]);
      expect((await audit.list({ action: "user.", limit: 10, offset: 0 })).events.map((e) => e.action)).toEqual(["user.create"]);
      const page = await audit.list({ limit: 1, offset: 0 });
      expect(page).toMatchObject({ hasMore: true, events: [{ action: "role.create" }] });
    });
  });
});
