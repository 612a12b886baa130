import { z } from "zod";
import { runResponses, time } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { FormInput } from "./custom-forms.routes.js";

const Values = z.record(z.string(), z.unknown()).describe("The form's values (the workflow's params)");
const FormFieldSchema = z
  .object({
    name: z.string(),
    label: z.string(),
    type: z.enum(["text", "email", "number", "integer", "checkbox", "select", "list", "json", "date", "datetime", "url"]),
    required: z.boolean(),
    default: z.unknown().optional(),
    helpText: z.string().optional(),
    options: z.array(z.object({ label: z.string(), value: z.unknown() })).optional(),
    dataProvider: z.string().optional(),
  })
  .loose()
  .meta({ title: "FormField" });
const Options = z.object({ options: z.array(z.object({ label: z.string(), value: z.unknown() })), cached: z.boolean(), executionId: z.string().nullable() }).meta({ title: "ProviderOptions" });
const CustomFormSchema = z
  .object({
    id: z.string(),
    scope: z.string(),
    name: z.string(),
    workflowId: z.string(),
    title: z.string().nullable(),
    description: z.string().nullable(),
    fields: z.array(z.object({ name: z.string(), label: z.string().optional(), helpText: z.string().optional(), hidden: z.boolean().optional(), default: z.unknown().optional() })),
    access: z.object({ level: z.enum(["authenticated", "roleBased"]), roles: z.array(z.string()) }),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ title: "CustomForm" });
const PARAMS_IN_QUERY = "The data provider's params travel as query parameters (numbers and booleans as text).";

export const formsDocs: FeatureDocs = {
  tag: "Forms",
  description: "Forms generated from workflows' params, custom forms, and the data providers behind their dropdowns",
  routes: {
    "GET /api/forms/:workflow": {
      summary: "A workflow's generated form",
      responses: {
        200: z.object({
          workflow: z.object({ id: z.string(), name: z.string(), description: z.string().nullable(), category: z.string(), executionMode: z.enum(["sync", "async"]) }),
          fields: z.array(FormFieldSchema),
          submit: z.string(),
        }),
      },
    },
    "POST /api/forms/:workflow/submit": { summary: "Submit a generated form (runs the workflow, trigger `form`)", body: Values, responses: runResponses },
    "GET /api/data-providers/:name": { summary: "A data provider's options (params in the query)", description: PARAMS_IN_QUERY, responses: { 200: Options } },
    "POST /api/data-providers/:name": { summary: "A data provider's options (params in the body)", body: Values, responses: { 200: Options } },
    "POST /api/custom-forms": { summary: "Create a custom form", body: FormInput, responses: { 201: CustomFormSchema }, errors: [409] },
    "GET /api/custom-forms": { summary: "List custom forms the caller may use", responses: { 200: z.object({ forms: z.array(CustomFormSchema) }) } },
    "GET /api/custom-forms/:id": {
      summary: "A custom form, ready to render",
      responses: {
        200: CustomFormSchema.extend({
          workflow: z.object({ id: z.string(), name: z.string(), executionMode: z.enum(["sync", "async"]) }),
          render: z.array(FormFieldSchema),
          submit: z.string(),
        }),
      },
    },
    "PUT /api/custom-forms/:id": { summary: "Replace a custom form", body: FormInput, responses: { 200: CustomFormSchema }, errors: [409] },
    "DELETE /api/custom-forms/:id": { summary: "Delete a custom form", responses: { 204: null } },
    "GET /api/custom-forms/:id/data-providers/:name": { summary: "A custom form's data provider options", description: PARAMS_IN_QUERY, responses: { 200: Options } },
    "POST /api/custom-forms/:id/submit": { summary: "Submit a custom form (its hidden values added)", body: Values, responses: runResponses },
  },
};
