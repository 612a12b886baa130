import { describe, expect, it } from "vitest";
import { IntegrationsRepo, type IntegrationInput, type TokenSet } from "@bifrost/storage/integrations.repo.js";
import { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import { SecretBox } from "@bifrost/storage/secret-box.js";
import { forEachDatabase } from "./databases.js";

const box = new SecretBox(Buffer.alloc(32, 7));

const definition = (name: string, over: Partial<IntegrationInput> = {}): IntegrationInput => ({
  name,
  description: null,
  configSchema: { type: "object", properties: { region: { type: "string" } } },
  baseUrl: "https://api.example.com/{entityId}",
  oauth: {
    flow: "authorization_code",
    authorizeUrl: "https://login.example.com/{entityId}/authorize",
    tokenUrl: "https://login.example.com/{entityId}/token",
    scopes: ["offline_access", "read"],
    clientId: "client-1",
    clientAuth: "post",
    authorizeParams: {},
  },
  clientSecret: "CLIENT-SECRET-value",
  ...over,
});

const tokens = (n: number, over: Partial<TokenSet> = {}): TokenSet => ({
  accessToken: `ACCESS-${n}-token`,
  refreshToken: `REFRESH-${n}-token`,
  tokenType: "Bearer",
  scopes: "read",
  expiresAt: new Date(Date.now() + 3600_000).toISOString(),
  obtainedAt: new Date().toISOString(),
  ...over,
});

forEachDatabase((t) => {
  describe("integrations", () => {
    it("stores definitions with the client secret sealed, unique by name", async () => {
      const repo = new IntegrationsRepo(t.database.db, box);
      const created = await repo.create(definition("psa"));
      expect(created).toMatchObject({ name: "psa", hasClientSecret: true, oauth: { flow: "authorization_code", scopes: ["offline_access", "read"] } });
      expect(created).not.toHaveProperty("clientSecret");
      expect(await repo.create(definition("psa"))).toBeNull();

      const raw = await t.database.db.selectFrom("integrations").select("client_secret").where("id", "=", created!.id).executeTakeFirstOrThrow();
      expect(raw.client_secret).not.toContain("CLIENT-SECRET");
      expect(await repo.clientSecret(created!.id)).toBe("CLIENT-SECRET-value");

      // Updating without a secret keeps it; null removes it; a taken name is refused.
      await repo.create(definition("rmm"));
      expect(await repo.update(created!.id, { ...definition("psa2"), clientSecret: undefined })).toMatchObject({ name: "psa2", hasClientSecret: true });
      expect(await repo.clientSecret(created!.id)).toBe("CLIENT-SECRET-value");
      expect(await repo.update(created!.id, definition("rmm"))).toBeNull();
      expect(await repo.update(created!.id, { ...definition("psa2"), clientSecret: null })).toMatchObject({ hasClientSecret: false });
      expect((await repo.list()).map((i) => i.name)).toEqual(expect.arrayContaining(["psa2", "rmm"]));
      expect(await repo.findByName("psa2")).toMatchObject({ id: created!.id });
    });

    it("maps per scope; a new entity id drops the connection; deleting the definition removes everything", async () => {
      const repo = new IntegrationsRepo(t.database.db, box);
      const orgs = new OrganizationsRepo(t.database.db);
      const org = await orgs.create("Mapped");
      const integration = (await repo.create(definition("m365-a")))!;

      const first = await repo.upsertMapping(integration.id, org.id, { entityId: "tenant-1", entityName: "Tenant One", config: { region: "eu" } });
      expect(first.created).toBe(true);
      const global = await repo.upsertMapping(integration.id, "global", { entityId: "msp", entityName: null, config: {} });
      expect((await repo.listMappings(integration.id)).map((m) => m.scope).sort()).toEqual([org.id, "global"].sort());
      expect((await repo.listMappings(integration.id, [org.id])).map((m) => m.entityId)).toEqual(["tenant-1"]);
      expect(await repo.listMappings(integration.id, [])).toEqual([]);

      await repo.connect(first.mapping.id, tokens(1));
      const same = await repo.upsertMapping(integration.id, org.id, { entityId: "tenant-1", entityName: "Renamed", config: { region: "us" } });
      expect(same).toMatchObject({ created: false, mapping: { id: first.mapping.id, entityName: "Renamed", config: { region: "us" } } });
      expect((await repo.getConnection(first.mapping.id))?.status).toBe("connected");
      await repo.upsertMapping(integration.id, org.id, { entityId: "tenant-2", entityName: "Renamed", config: {} });
      expect(await repo.getConnection(first.mapping.id)).toBeNull();

      await repo.connect(global.mapping.id, tokens(2));
      await repo.createState("h1", { mappingId: global.mapping.id, codeVerifier: "v", redirectUri: "http://x/cb", createdBy: null, expiresAt: new Date(Date.now() + 60_000).toISOString() });
      expect(await repo.delete(integration.id)).toBe(true);
      expect(await repo.getMappingById(global.mapping.id)).toBeNull();
      expect(await repo.getConnection(global.mapping.id)).toBeNull();
      expect(await repo.consumeState("h1")).toBeNull();
    });

    it("deleting an organization deletes its mappings, connections and pending authorizations", async () => {
      const repo = new IntegrationsRepo(t.database.db, box);
      const orgs = new OrganizationsRepo(t.database.db);
      const gone = await orgs.create("Gone");
      const kept = await orgs.create("Kept");
      const integration = (await repo.create(definition("cascade")))!;
      const a = (await repo.upsertMapping(integration.id, gone.id, { entityId: "e1", entityName: null, config: {} })).mapping;
      const b = (await repo.upsertMapping(integration.id, kept.id, { entityId: "e2", entityName: null, config: {} })).mapping;
      await repo.connect(a.id, tokens(3));
      await repo.connect(b.id, tokens(4));
      await repo.createState("gone-state", { mappingId: a.id, codeVerifier: "v", redirectUri: "http://x/cb", createdBy: null, expiresAt: new Date(Date.now() + 60_000).toISOString() });

      expect(await orgs.delete(gone.id)).toBe(true);
      expect(await repo.getMappingById(a.id)).toBeNull();
      expect(await repo.getConnection(a.id)).toBeNull();
      expect(await repo.consumeState("gone-state")).toBeNull();
      expect((await repo.getConnection(b.id))?.accessToken).toBe("ACCESS-4-token");
    });

    it("seals tokens at rest and counts versions; a refresh result only lands while its lease is held", async () => {
      const repo = new IntegrationsRepo(t.database.db, box);
      const integration = (await repo.create(definition("lease")))!;
      const { mapping } = await repo.upsertMapping(integration.id, "global", { entityId: "e", entityName: null, config: {} });

      const connected = await repo.connect(mapping.id, tokens(1));
      expect(connected).toMatchObject({ status: "connected", accessToken: "ACCESS-1-token", refreshToken: "REFRESH-1-token", version: 1, lastError: null });
      const raw = await t.database.db.selectFrom("integration_connections").selectAll().where("mapping_id", "=", mapping.id).executeTakeFirstOrThrow();
      expect(JSON.stringify(raw)).not.toMatch(/ACCESS-1|REFRESH-1/);

      const soon = new Date(Date.now() + 30_000).toISOString();
      expect(await repo.acquireLease(mapping.id, "p1", soon)).toBe(true);
      expect(await repo.acquireLease(mapping.id, "p2", soon)).toBe(false);
      expect(await repo.storeRefreshed(mapping.id, "p2", tokens(9))).toBe(false);
      expect(await repo.storeRefreshed(mapping.id, "p1", tokens(2, { refreshToken: null }))).toBe(true);
      expect(await repo.getConnection(mapping.id)).toMatchObject({ accessToken: "ACCESS-2-token", refreshToken: "REFRESH-1-token", version: 2, leaseOwner: null });

      // An expired lease can be taken over; the old holder's result is then discarded.
      expect(await repo.acquireLease(mapping.id, "p1", new Date(Date.now() - 1000).toISOString())).toBe(true);
      expect(await repo.acquireLease(mapping.id, "p2", soon)).toBe(true);
      expect(await repo.storeRefreshed(mapping.id, "p1", tokens(8))).toBe(false);
      expect(await repo.markNeedsReauth(mapping.id, "p2", "invalid_grant: revoked")).toBe(true);
      expect(await repo.getConnection(mapping.id)).toMatchObject({ status: "needs_reauth", accessToken: null, refreshToken: null, lastError: "invalid_grant: revoked", version: 3 });

      // A new authorization clears needs_reauth and breaks any lease.
      expect(await repo.acquireLease(mapping.id, "p3", soon)).toBe(true);
      expect(await repo.connect(mapping.id, tokens(5))).toMatchObject({ status: "connected", lastError: null, leaseOwner: null, version: 4 });
      expect(await repo.storeRefreshed(mapping.id, "p3", tokens(6))).toBe(false);
      expect(await repo.deleteConnection(mapping.id)).toBe(true);
    });

    it("hands a lease to exactly one of many handles racing for it (one per process)", async () => {
      const repo = new IntegrationsRepo(t.database.db, box);
      const integration = (await repo.create(definition("race")))!;
      const { mapping } = await repo.upsertMapping(integration.id, "global", { entityId: "e", entityName: null, config: {} });
      const others = await Promise.all([t.open(), t.open()]);
      const repos = [repo, ...others.map((d) => new IntegrationsRepo(d.db, box))];
      const until = new Date(Date.now() + 30_000).toISOString();
      // No connection row yet: the first lease creates it (client-credentials tokens).
      const taken = await Promise.all(repos.flatMap((r, i) => [0, 1, 2].map((n) => r.acquireLease(mapping.id, `p${i}-${n}`, until))));
      expect(taken.filter(Boolean)).toHaveLength(1);
      expect(await repo.getConnection(mapping.id)).toMatchObject({ status: "not_connected", accessToken: null, version: 0 });
    });

    it("lists connections about to expire, soonest first", async () => {
      const repo = new IntegrationsRepo(t.database.db, box);
      const at = (s: number) => new Date(Date.now() + s * 1000).toISOString();
      const ids: string[] = [];
      for (const [n, expires, refresh] of [[1, 50, true], [2, 10, true], [3, 5000, true], [4, 20, false]] as const) {
        const integration = (await repo.create(definition(`expiry-${n}`)))!;
        const { mapping } = await repo.upsertMapping(integration.id, "global", { entityId: "e", entityName: null, config: {} });
        await repo.connect(mapping.id, tokens(n, { expiresAt: at(expires), refreshToken: refresh ? `R${n}-token` : null }));
        ids.push(mapping.id);
      }
      const due = await repo.expiringConnections(at(100));
      expect(due.filter((d) => ids.includes(d.mappingId)).map((d) => d.mappingId)).toEqual([ids[1], ids[0]]);
    });

    it("uses each authorization state once", async () => {
      const repo = new IntegrationsRepo(t.database.db, box);
      const integration = (await repo.create(definition("states")))!;
      const { mapping } = await repo.upsertMapping(integration.id, "global", { entityId: "e", entityName: null, config: {} });
      const future = new Date(Date.now() + 60_000).toISOString();
      await repo.createState("s-1", { mappingId: mapping.id, codeVerifier: "VERIFIER-secret", redirectUri: "http://x/cb", createdBy: "k1", expiresAt: future });
      const raw = await t.database.db.selectFrom("oauth_states").select("code_verifier").where("state_hash", "=", "s-1").executeTakeFirstOrThrow();
      expect(raw.code_verifier).not.toContain("VERIFIER");
      const consumed = await Promise.all([repo.consumeState("s-1"), repo.consumeState("s-1")]);
      expect(consumed.filter(Boolean)).toEqual([{ mappingId: mapping.id, codeVerifier: "VERIFIER-secret", redirectUri: "http://x/cb", createdBy: "k1", expiresAt: future }]);

      await repo.createState("s-old", { mappingId: mapping.id, codeVerifier: "v", redirectUri: "http://x/cb", createdBy: null, expiresAt: new Date(Date.now() - 1000).toISOString() });
      expect(await repo.pruneStates()).toBeGreaterThanOrEqual(1);
      expect(await repo.consumeState("s-old")).toBeNull();
    });
  });
});
