import type { FastifyInstance, FastifyRequest } from "fastify";
import { principalOf } from "../../auth.js";
import { HttpError } from "../../http-error.js";
import { callerOf } from "../sdk/scope.js";
import type { WorkflowsService } from "../workflows/workflows.service.js";
import type { DataProvidersService } from "./data-providers.service.js";
import { formFields } from "./form-fields.js";

/** Query strings are text: turn the values a schema wants as numbers/booleans into those. */
export function coerceQuery(query: Record<string, unknown>, schema: Record<string, unknown>): Record<string, unknown> {
  const props = (schema.properties ?? {}) as Record<string, { type?: unknown }>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query)) {
    const type = props[k]?.type;
    if (typeof v !== "string") out[k] = v;
    else if ((type === "number" || type === "integer") && v.trim() !== "" && !Number.isNaN(Number(v))) out[k] = Number(v);
    else if (type === "boolean" && (v === "true" || v === "false")) out[k] = v === "true";
    else out[k] = v;
  }
  return out;
}

/** Forms generated from params, and the data providers that fill their dropdowns. */
export function formsRoutes(app: FastifyInstance, deps: { workflows: WorkflowsService; providers: DataProvidersService }): void {
  const paramsOf = (req: FastifyRequest, schema: Record<string, unknown>) => ({
    ...coerceQuery((req.query ?? {}) as Record<string, unknown>, schema),
    ...((req.body as Record<string, unknown> | undefined) ?? {}),
  });

  app.get<{ Params: { name: string } }>("/api/data-providers/:name", async (req) => {
    const caller = callerOf(principalOf(req));
    const provider = deps.workflows.find(caller, req.params.name);
    return deps.providers.options(caller, req.params.name, paramsOf(req, provider.paramsSchema));
  });

  app.post<{ Params: { name: string } }>("/api/data-providers/:name", async (req) => {
    const caller = callerOf(principalOf(req));
    const provider = deps.workflows.find(caller, req.params.name);
    return deps.providers.options(caller, req.params.name, paramsOf(req, provider.paramsSchema));
  });

  app.get<{ Params: { workflow: string } }>("/api/forms/:workflow", async (req) => {
    const w = deps.workflows.find(callerOf(principalOf(req)), req.params.workflow);
    if (w.kind === "data_provider") throw new HttpError(404, "not_found", `"${w.name}" is a data provider, not a workflow with a form`);
    return {
      workflow: { id: w.id, name: w.name, description: w.description, category: w.category, executionMode: w.executionMode },
      fields: formFields(w.paramsSchema),
      submit: `/api/forms/${encodeURIComponent(w.name)}/submit`,
    };
  });

  /** Validates and runs the workflow with trigger `form`: sync workflows answer with the record, async ones with 202. */
  app.post<{ Params: { workflow: string } }>("/api/forms/:workflow/submit", async (req, reply) => {
    const caller = callerOf(principalOf(req));
    const w = deps.workflows.find(caller, req.params.workflow);
    if (w.kind === "data_provider") throw new HttpError(404, "not_found", `"${w.name}" is a data provider, not a workflow with a form`);
    const values = req.body ?? {};
    if (w.executionMode === "async") {
      const queued = await deps.workflows.enqueue(caller, w.id, values, "form");
      return reply.status(202).send({ executionId: queued.id, status: queued.status });
    }
    return deps.workflows.view(caller, await deps.workflows.executeSync(caller, w.id, values, "form"));
  });
}
