import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { InTransaction } from "./audit.repo.js";
import type { Schema } from "./schema.js";

import type { Agent } from "@bifrost/contracts/agents.js";

/** An AI agent as stored (SPEC §5 "AI agents"): the wire shape of @bifrost/contracts/agents.js. */
export type StoredAgent = Agent;

export type AgentInput = Omit<StoredAgent, "id" | "scope" | "createdAt" | "updatedAt" | "access"> & { access?: StoredAgent["access"] };

const toAgent = (r: Schema["agents"]): StoredAgent => ({
  id: r.id,
  scope: r.scope,
  name: r.name,
  description: r.description,
  systemPrompt: r.system_prompt,
  provider: r.provider,
  model: r.model,
  tools: JSON.parse(r.tools) as string[],
  knowledge: JSON.parse(r.knowledge) as string[],
  maxIterations: Number(r.max_iterations),
  maxTokens: Number(r.max_tokens),
  access: r.access ? (JSON.parse(r.access) as StoredAgent["access"]) : { level: "authenticated", roles: [] },
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const columns = (input: AgentInput) => ({
  name: input.name,
  description: input.description,
  system_prompt: input.systemPrompt,
  provider: input.provider,
  model: input.model,
  tools: JSON.stringify(input.tools),
  knowledge: JSON.stringify(input.knowledge),
  max_iterations: input.maxIterations,
  max_tokens: input.maxTokens,
  access: input.access && input.access.level !== "authenticated" ? JSON.stringify(input.access) : null,
});

/** Agents per scope ("global" or an organization id), unique by name within a scope. */
export class AgentsRepo {
  constructor(private readonly db: Kysely<Schema>) {}

  /** `also` (its audit event) commits with the change, or neither does. */
  async create(scope: string, input: AgentInput, now = new Date().toISOString(), also?: (db: Kysely<Schema>, agent: StoredAgent) => Promise<void>): Promise<StoredAgent> {
    const row = { id: randomUUID(), scope, ...columns(input), created_at: now, updated_at: now };
    const agent = toAgent(row);
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto("agents").values(row).execute();
      await also?.(trx, agent);
    });
    return agent;
  }

  async get(id: string): Promise<StoredAgent | null> {
    const r = await this.db.selectFrom("agents").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toAgent(r) : null;
  }

  async findByName(scope: string, name: string): Promise<StoredAgent | null> {
    const r = await this.db.selectFrom("agents").selectAll().where("scope", "=", scope).where("name", "=", name).executeTakeFirst();
    return r ? toAgent(r) : null;
  }

  /** Agents of these scopes (undefined = every scope), by name then scope. */
  async list(scopes?: string[]): Promise<StoredAgent[]> {
    if (scopes && scopes.length === 0) return [];
    let q = this.db.selectFrom("agents").selectAll().orderBy("name").orderBy("scope");
    if (scopes) q = q.where("scope", "in", scopes);
    return (await q.execute()).map(toAgent);
  }

  async update(id: string, input: AgentInput, now = new Date().toISOString(), also?: InTransaction): Promise<StoredAgent | null> {
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable("agents").set({ ...columns(input), updated_at: now }).where("id", "=", id).execute();
      await also?.(trx);
    });
    return this.get(id);
  }

  async delete(id: string, also?: InTransaction): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.deleteFrom("agents").where("id", "=", id).executeTakeFirst();
      if (r.numDeletedRows === 0n) return false;
      await also?.(trx);
      return true;
    });
  }
}
