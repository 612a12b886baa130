import { describe, expect, it } from "vitest";
import { AgentsRepo, type AgentInput } from "@bifrost/storage/agents.repo.js";
import { AiProvidersRepo, type AiProviderInput } from "@bifrost/storage/ai-providers.repo.js";
import { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import { forEachDatabase } from "./databases.js";

const input = (over: Partial<AiProviderInput> = {}): AiProviderInput => ({
  name: "openai",
  kind: "openai-compatible",
  baseUrl: "http://127.0.0.1:1/v1",
  apiKey: "v1:sealed-key",
  headers: null,
  queryParams: { "api-version": "2024-10-21" },
  chatModel: "gpt-4o-mini",
  embeddingModel: null,
  timeoutMs: 60_000,
  ...over,
});

const agent = (over: Partial<AgentInput> = {}): AgentInput => ({
  name: "helpdesk",
  description: "Answers tickets",
  systemPrompt: "You are a helpdesk agent.",
  provider: "openai",
  model: "gpt-4o-mini",
  tools: ["reset_password", "unlock.account"],
  knowledge: ["runbooks"],
  maxIterations: 8,
  maxTokens: 20_000,
  ...over,
});

forEachDatabase((t) => {
  describe("ai providers", () => {
    it("are unique by scope and name, and read back every column as stored", async () => {
      const repo = new AiProvidersRepo(t.database.db);
      const now = "2025-01-01T00:00:00.000Z";
      const p = await repo.create("global", input(), now);
      expect(await repo.get(p.id)).toEqual({ ...input(), id: p.id, scope: "global", createdAt: now, updatedAt: now });
      await expect(repo.create("global", input({ kind: "anthropic" }))).rejects.toThrow();
      const other = await repo.create("org-1", input()); // the same name in another scope is fine
      expect(await repo.findByName("org-1", "openai")).toEqual(other);
      expect(await repo.findByName("org-2", "openai")).toBeNull();
      expect((await repo.list(["global"])).map((r) => r.id)).toEqual([p.id]);
      expect((await repo.list()).map((r) => r.scope)).toEqual(["global", "org-1"]);
      expect(await repo.list([])).toEqual([]);

      const updated = await repo.update(p.id, input({ queryParams: null, timeoutMs: 2_500_000_000, embeddingModel: "e" }), "2025-02-01T00:00:00.000Z");
      expect(updated).toMatchObject({ queryParams: null, timeoutMs: 2_500_000_000, embeddingModel: "e", createdAt: now, updatedAt: "2025-02-01T00:00:00.000Z" });
    });

    it("keep one default choice per scope, cleared when the provider is deleted", async () => {
      const repo = new AiProvidersRepo(t.database.db);
      const a = await repo.create("scope-d", input({ name: "a" }));
      const b = await repo.create("scope-d", input({ name: "b" }));
      expect(await repo.getSettings("scope-d")).toEqual({ scope: "scope-d", chatProviderId: null, embeddingProviderId: null, updatedAt: null });
      await repo.setSettings("scope-d", { chatProviderId: a.id, embeddingProviderId: b.id });
      await repo.setSettings("scope-d", { chatProviderId: a.id, embeddingProviderId: a.id });
      expect(await repo.getSettings("scope-d")).toMatchObject({ chatProviderId: a.id, embeddingProviderId: a.id });
      expect(await repo.delete(a.id)).toBe(true);
      expect(await repo.delete(a.id)).toBe(false);
      expect(await repo.getSettings("scope-d")).toMatchObject({ chatProviderId: null, embeddingProviderId: null });
      expect((await repo.list(["scope-d"])).map((r) => r.name)).toEqual(["b"]);
    });

    it("go with their organization, as do its agents", async () => {
      const orgs = new OrganizationsRepo(t.database.db);
      const org = await orgs.create("Gone");
      const repo = new AiProvidersRepo(t.database.db);
      const p = await repo.create(org.id, input());
      await repo.setSettings(org.id, { chatProviderId: p.id, embeddingProviderId: null });
      const agents = new AgentsRepo(t.database.db);
      await agents.create(org.id, agent());
      await orgs.delete(org.id);
      expect(await repo.list([org.id])).toEqual([]);
      expect((await repo.getSettings(org.id)).updatedAt).toBeNull();
      expect(await agents.list([org.id])).toEqual([]);
    });
  });

  describe("agents", () => {
    it("are unique by scope and name, keep their lists and limits, and update and delete", async () => {
      const repo = new AgentsRepo(t.database.db);
      const now = "2025-01-01T00:00:00.000Z";
      const a = await repo.create("global", agent(), now);
      expect(await repo.get(a.id)).toEqual({ ...agent(), access: { level: "authenticated", roles: [] }, id: a.id, scope: "global", createdAt: now, updatedAt: now });
      await expect(repo.create("global", agent())).rejects.toThrow();
      const b = await repo.create("org-9", agent({ tools: [], knowledge: [] }));
      expect(await repo.findByName("org-9", "helpdesk")).toEqual(b);
      expect((await repo.list(["org-9", "global"])).map((x) => x.scope)).toEqual(["global", "org-9"]);
      expect(await repo.list([])).toEqual([]);
      const updated = await repo.update(a.id, agent({ description: null, model: null, maxIterations: 3, maxTokens: 3_000_000_000 }), "2025-03-01T00:00:00.000Z");
      expect(updated).toMatchObject({ description: null, model: null, maxIterations: 3, maxTokens: 3_000_000_000, updatedAt: "2025-03-01T00:00:00.000Z" });
      const roleBased = await repo.update(a.id, agent({ access: { level: "roleBased", roles: ["Helpdesk"] } }));
      expect(roleBased?.access).toEqual({ level: "roleBased", roles: ["Helpdesk"] });
      expect(await repo.delete(a.id)).toBe(true);
      expect(await repo.delete(a.id)).toBe(false);
    });
  });
});
