import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { CustomForm, CustomFormsRepo } from "@bifrost/storage/custom-forms.repo.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import type { StoredWorkflow } from "@bifrost/storage/workflows.repo.js";
import { principalOf, requireAdmin } from "../../auth.js";
import { HttpError, notFound, validationFailed } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import { canUse, type WorkflowsService } from "../workflows/workflows.service.js";
import { formFields, type FormField } from "./form-fields.js";
import type { DataProvidersService } from "./data-providers.service.js";
import { coerceQuery } from "./forms.routes.js";
import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { audit } from "../audit/audit.js";
import { callerOf, GLOBAL, resolveScope, visibleOrgOf } from "../sdk/scope.js";

const FieldInput = z
  .object({
    name: z.string().min(1),
    label: z.string().min(1).max(200).optional(),
    helpText: z.string().max(2000).optional(),
    hidden: z.boolean().optional(),
    default: z.unknown().optional(),
    /** A data provider (by name) whose options fill the field as a dropdown. */
    dataProvider: z.string().min(1).max(200).optional(),
  })
  .strict();

export const FormInput = z
  .object({
    name: z.string().trim().min(1, "is required").max(200),
    /** The workflow the form launches, by name or id. */
    workflow: z.string().min(1),
    title: z.string().max(200).optional(),
    description: z.string().max(4000).optional(),
    /** Display order, labels and fixed values; params not listed follow in their own order. */
    fields: z.array(FieldInput).max(200).default([]),
    scope: z.string().min(1).optional(),
    /** `roleBased`: only users holding one of `roles` open and submit it — and run its workflow through it. */
    access: z
      .object({ level: z.enum(["authenticated", "roleBased"]), roles: z.array(z.string().trim().min(1).max(100)).max(50).default([]) })
      .strict()
      .optional(),
  })
  .strict();

/**
 * Custom forms: an admin's presentation of a workflow — which fields in which order,
 * with which labels and help, and which hidden values it always sends — stored in the
 * database. Anyone who may run the workflow may open and submit the form.
 */
export function customFormsRoutes(
  app: FastifyInstance,
  deps: {
    forms: CustomFormsRepo;
    workflows: WorkflowsService;
    organizations: OrganizationsRepo;
    providers: DataProvidersService;
    audit: AuditRepo;
    checkRoles: (names: string[], path: string) => Promise<void>;
  },
): void {
  const { forms, workflows } = deps;

  /** The form's fields: the workflow's, reordered and relabelled; hidden ones left out. */
  function render(form: CustomForm, w: StoredWorkflow): FormField[] {
    const derived = new Map(formFields(w.paramsSchema).map((f) => [f.name, f]));
    const listed = form.fields.map((f) => {
      const base = derived.get(f.name)!;
      derived.delete(f.name);
      return f.hidden ? null : { ...base, ...(f.label ? { label: f.label } : {}), ...(f.helpText ? { helpText: f.helpText } : {}), ...(f.default !== undefined ? { default: f.default, required: false } : {}), ...(f.dataProvider ? { dataProvider: f.dataProvider } : {}) };
    });
    return [...listed.filter((f): f is FormField => f !== null), ...derived.values()];
  }

  /** Whether `name` is a data provider the caller (acting in the form's scope) can use. */
  function isProvider(caller: SdkCaller, name: string): boolean {
    try {
      return workflows.find(caller, name).kind === "data_provider";
    } catch {
      return false;
    }
  }

  function checkFields(caller: SdkCaller, w: StoredWorkflow, fields: z.output<typeof FieldInput>[]): void {
    const known = new Set(Object.keys((w.paramsSchema.properties ?? {}) as object));
    const errors = fields.flatMap((f, i) => {
      if (!known.has(f.name)) return [{ path: `fields.${i}.name`, message: `"${f.name}" is not a parameter of workflow "${w.name}"` }];
      if (f.hidden && f.default === undefined) return [{ path: `fields.${i}.default`, message: "a hidden field needs a default value" }];
      if (f.dataProvider && !isProvider(caller, f.dataProvider)) return [{ path: `fields.${i}.dataProvider`, message: `"${f.dataProvider}" is not a data provider` }];
      return [];
    });
    const names = fields.map((f) => f.name);
    const dupe = names.find((n, i) => names.indexOf(n) !== i);
    if (dupe) errors.push({ path: "fields", message: `"${dupe}" is listed twice` });
    if (errors.length) throw validationFailed(errors);
  }

  /**
   * The form if the caller may use it (else 404), its workflow, and the caller to run it
   * as: a role-based form grants its workflow to its roles, so through the form the
   * workflow's own access is not checked again.
   */
  async function visibleForm(caller: SdkCaller, id: string): Promise<{ form: CustomForm; workflow: StoredWorkflow; runner: SdkCaller }> {
    const form = await forms.get(id);
    const org = visibleOrgOf(caller);
    if (!form || (org !== undefined && form.scope !== GLOBAL && form.scope !== org) || !canUse(caller, form.access)) throw notFound("Form");
    const { roles: _roles, ...granted } = caller;
    const runner = form.access.level === "roleBased" ? granted : caller;
    let workflow: StoredWorkflow;
    try {
      workflow = workflows.find(runner, form.workflowId);
    } catch {
      throw new HttpError(409, "workflow_missing", `The workflow of form "${form.name}" no longer exists`);
    }
    return { form, workflow, runner };
  }

  async function input(req: FastifyRequest) {
    const caller = callerOf(requireAdmin(req));
    const body = parseBody(FormInput, req.body);
    const scope = await resolveScope(caller, body.scope, "write", deps.organizations);
    const inScope = { ...caller, orgId: scope === GLOBAL ? null : scope };
    const w = workflows.find(inScope, body.workflow);
    if (w.kind === "data_provider") throw validationFailed([{ path: "workflow", message: "is a data provider, not a workflow" }]);
    checkFields(inScope, w, body.fields);
    if (body.access) await deps.checkRoles(body.access.roles, "access.roles");
    return { scope, values: { name: body.name, workflowId: w.id, title: body.title ?? null, description: body.description ?? null, fields: body.fields, access: body.access } };
  }

  app.post("/api/custom-forms", async (req, reply) => {
    const { scope, values } = await input(req);
    if (await forms.findByName(scope, values.name)) throw new HttpError(409, "conflict", `A form named "${values.name}" already exists`);
    const created = await forms.create(scope, values, undefined, (db, f) => audit(deps.audit, req, { action: "form.create", target: f.id, orgId: scope === GLOBAL ? null : scope, details: { name: f.name } }, db));
    return reply.status(201).send(created);
  });

  /** The fixed values of hidden fields are the admins' business: others see that a field is hidden. */
  const shown = (form: CustomForm, isAdmin: boolean): CustomForm =>
    isAdmin ? form : { ...form, fields: form.fields.map((f) => (f.hidden ? { name: f.name, hidden: true } : f)) };

  app.get("/api/custom-forms", async (req) => {
    const caller = callerOf(principalOf(req));
    const org = visibleOrgOf(caller);
    const list = await forms.list(org === undefined ? undefined : [GLOBAL, ...(org ? [org] : [])]);
    return { forms: list.filter((f) => canUse(caller, f.access)).map((f) => shown(f, caller.isPlatformAdmin)) };
  });

  app.get<{ Params: { id: string } }>("/api/custom-forms/:id", async (req) => {
    const caller = callerOf(principalOf(req));
    const { form, workflow } = await visibleForm(caller, req.params.id);
    return {
      ...shown(form, caller.isPlatformAdmin),
      workflow: { id: workflow.id, name: workflow.name, executionMode: workflow.executionMode },
      render: render(form, workflow),
      submit: `/api/custom-forms/${form.id}/submit`,
    };
  });

  app.put<{ Params: { id: string } }>("/api/custom-forms/:id", async (req) => {
    const current = await forms.get(req.params.id);
    if (!current) throw notFound("Form");
    const { values } = await input(req);
    return forms.update(req.params.id, values, undefined, (db) =>
      audit(deps.audit, req, { action: "form.update", target: current.id, orgId: current.scope === GLOBAL ? null : current.scope, details: { name: values.name } }, db),
    );
  });

  app.delete<{ Params: { id: string } }>("/api/custom-forms/:id", async (req, reply) => {
    requireAdmin(req);
    const id = req.params.id;
    if (!(await forms.delete(id, (db) => audit(deps.audit, req, { action: "form.delete", target: id }, db)))) throw notFound("Form");
    return reply.status(204).send();
  });

  /**
   * A dropdown of the form, through the form: a role-based form grants the data providers
   * its workflow's fields name to its roles, as it grants the workflow.
   */
  app.get<{ Params: { id: string; name: string } }>("/api/custom-forms/:id/data-providers/:name", async (req) => {
    const { form, workflow, runner } = await visibleForm(callerOf(principalOf(req)), req.params.id);
    if (!render(form, workflow).some((f) => f.dataProvider === req.params.name)) throw notFound(`Data provider "${req.params.name}" of this form`);
    const provider = workflows.find(runner, req.params.name);
    return deps.providers.options(runner, provider.name, coerceQuery((req.query ?? {}) as Record<string, unknown>, provider.paramsSchema));
  });

  /** Runs the form's workflow with the values (hidden fields fixed), trigger `form`. */
  app.post<{ Params: { id: string } }>("/api/custom-forms/:id/submit", async (req, reply) => {
    const { form, workflow, runner: caller } = await visibleForm(callerOf(principalOf(req)), req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== "object" || Array.isArray(body)) throw validationFailed([{ path: "(body)", message: "must be a JSON object" }]);
    const values: Record<string, unknown> = { ...body };
    for (const f of form.fields) if (f.hidden) values[f.name] = f.default;
    if (workflow.executionMode === "async") {
      const queued = await workflows.enqueue(caller, workflow.id, values, "form");
      return reply.status(202).send({ executionId: queued.id, status: queued.status });
    }
    return workflows.view(caller, await workflows.executeSync(caller, workflow.id, values, "form"));
  });
}
