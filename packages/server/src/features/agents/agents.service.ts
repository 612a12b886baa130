import type { z } from "zod";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { Engine } from "@bifrost/engine/engine.js";
import type { AgentInput, AgentsRepo, StoredAgent } from "@bifrost/storage/agents.repo.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import { forbidden, HttpError, notFound, validationFailed } from "../../http-error.js";
import { GLOBAL, resolveScope } from "../sdk/scope.js";
import { canUse } from "../workflows/workflows.service.js";
import type { CreateAgent, UpdateAgent } from "./agents.schemas.js";

/**
 * Agents (SPEC §5): platform admins define them, globally or for one organization; any
 * key may list and chat with the agents of its organization and the global ones. An
 * organization's agent shadows a global one of the same name.
 */
export class AgentsService {
  constructor(private readonly deps: { repo: AgentsRepo; organizations: OrganizationsRepo; engine: Engine }) {}

  private admin(caller: SdkCaller): void {
    if (!caller.isPlatformAdmin) throw forbidden("Only platform admins define agents");
  }

  /** The scopes a caller sees: its organization's and global; an admin without one sees every scope. */
  private visible(caller: SdkCaller): string[] | undefined {
    if (caller.orgId) return [caller.orgId, GLOBAL];
    return caller.isPlatformAdmin ? undefined : [GLOBAL];
  }

  /** Each tool must be an isTool workflow the agent's scope can see: checked when the agent is saved. */
  private checkTools(scope: string, tools: string[]): void {
    const fields: { path: string; message: string }[] = [];
    tools.forEach((name, i) => {
      const w = this.deps.engine.registry.resolve(name, scope === GLOBAL ? null : scope);
      if (!w) fields.push({ path: `tools.${i}`, message: `no workflow "${name}" in the agent's scope` });
      else if (!w.isTool || w.kind === "data_provider") fields.push({ path: `tools.${i}`, message: `workflow "${name}" is not offered as a tool (set isTool: true)` });
    });
    if (new Set(tools).size !== tools.length) fields.push({ path: "tools", message: "must not name a workflow twice" });
    if (fields.length > 0) throw validationFailed(fields);
  }

  async list(caller: SdkCaller, scope?: string): Promise<StoredAgent[]> {
    const listed = scope !== undefined ? await this.deps.repo.list([await resolveScope(caller, scope, "read", this.deps.organizations)]) : await this.deps.repo.list(this.visible(caller));
    return listed.filter((a) => canUse(caller, a.access));
  }

  /** By id, or by name (the caller's organization's first, then global). 404 for anything the caller cannot see. */
  async find(caller: SdkCaller, ref: string): Promise<StoredAgent> {
    const visible = this.visible(caller);
    const byId = await this.deps.repo.get(ref);
    const own = caller.orgId ? await this.deps.repo.findByName(caller.orgId, ref) : null;
    const found = byId && (!visible || visible.includes(byId.scope)) ? byId : (own ?? (await this.deps.repo.findByName(GLOBAL, ref)));
    // A role-based agent the person may not use does not exist for them.
    if (!found || !canUse(caller, found.access)) throw notFound(`Agent "${ref}"`);
    return found;
  }

  async create(caller: SdkCaller, body: z.output<typeof CreateAgent>): Promise<StoredAgent> {
    this.admin(caller);
    const scope = await resolveScope(caller, body.scope, "write", this.deps.organizations);
    const { scope: _scope, ...rest } = body;
    const input: AgentInput = { ...rest, description: body.description ?? null, provider: body.provider ?? null, model: body.model ?? null };
    this.checkTools(scope, input.tools);
    if (await this.deps.repo.findByName(scope, input.name)) throw new HttpError(409, "conflict", `An agent named "${input.name}" already exists in this scope`);
    return this.deps.repo.create(scope, input);
  }

  async update(caller: SdkCaller, ref: string, body: z.output<typeof UpdateAgent>): Promise<StoredAgent> {
    this.admin(caller);
    const current = await this.find(caller, ref);
    const pick = <T>(given: T | undefined, kept: T): T => (given === undefined ? kept : given);
    const input: AgentInput = {
      name: pick(body.name, current.name),
      description: pick(body.description, current.description),
      systemPrompt: pick(body.systemPrompt, current.systemPrompt),
      provider: pick(body.provider, current.provider),
      model: pick(body.model, current.model),
      tools: pick(body.tools, current.tools),
      knowledge: pick(body.knowledge, current.knowledge),
      maxIterations: pick(body.maxIterations, current.maxIterations),
      maxTokens: pick(body.maxTokens, current.maxTokens),
      access: pick(body.access, current.access),
    };
    if (body.tools) this.checkTools(current.scope, input.tools);
    if (input.name !== current.name && (await this.deps.repo.findByName(current.scope, input.name))) {
      throw new HttpError(409, "conflict", `An agent named "${input.name}" already exists in this scope`);
    }
    return (await this.deps.repo.update(current.id, input))!;
  }

  async delete(caller: SdkCaller, ref: string): Promise<void> {
    this.admin(caller);
    await this.deps.repo.delete((await this.find(caller, ref)).id);
  }
}
