/**
 * Starting points for a new workflow file, shared by `POST /api/workflows { template }`
 * and the web editor's "new file" menu (the web package reads contracts only). Each
 * template is a complete file that compiles and registers as created.
 */

export const WORKFLOW_TEMPLATES = ["workflow", "tool", "dataProvider", "scheduled", "endpoint"] as const;
export type WorkflowTemplate = (typeof WORKFLOW_TEMPLATES)[number];

/** A workflow name a template can use as its export name too: a JavaScript identifier. */
export const WORKFLOW_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;

/** Words that are identifiers by their letters but cannot name a `const`. */
const RESERVED = new Set(
  "arguments await break case catch class const continue debugger default delete do else enum eval export extends false finally for function if implements import in instanceof interface let new null package private protected public return static super switch this throw true try typeof var void while with yield".split(" "),
);

/** Whether `name` can be a workflow's name and its export's: an identifier, not a reserved word. */
export function isWorkflowName(name: string): boolean {
  return WORKFLOW_NAME.test(name) && !RESERVED.has(name);
}

/** What each template is for, as a menu shows it. */
export const TEMPLATE_TITLES: Record<WorkflowTemplate, string> = {
  workflow: "Workflow",
  tool: "Tool (for agents)",
  dataProvider: "Data provider",
  scheduled: "Scheduled workflow",
  endpoint: "Endpoint (webhook)",
};

const BODIES: Record<WorkflowTemplate, (name: string) => string> = {
  workflow: (name) => `import { workflow, z, context, logger } from "bifrost";

/** Describe what ${name} does: the description is shown in the workflow list. */
export const ${name} = workflow(
  {
    name: "${name}",
    description: "TODO: what this workflow does",
    params: z.object({ name: z.string().min(1).meta({ label: "Name" }) }),
  },
  async ({ name }) => {
    logger.info(\`Running for \${name} in \${context.orgName ?? "the global scope"}\`);
    return { ok: true, name };
  },
);
`,
  tool: (name) => `import { tool, z } from "bifrost";

/** A tool: AI agents and MCP clients call it with these parameters. */
export const ${name} = tool(
  {
    name: "${name}",
    description: "TODO: what the tool does, written for a language model",
    params: z.object({ query: z.string().min(1) }),
  },
  async ({ query }) => ({ query, results: [] as string[] }),
);
`,
  dataProvider: (name) => `import { dataProvider } from "bifrost";

/** Options for a form field: \`.meta({ dataProvider: "${name}" })\` on a parameter. */
export const ${name} = dataProvider(
  { name: "${name}", description: "TODO: which options these are", cacheTtl: 300 },
  async () => [
    { label: "First option", value: "first" },
    { label: "Second option", value: "second" },
  ],
);
`,
  scheduled: (name) => `import { workflow, logger } from "bifrost";

/** Runs on its schedule (cron, UTC unless a timezone is given). */
export const ${name} = workflow(
  {
    name: "${name}",
    description: "TODO: what runs every day",
    schedule: { cron: "0 6 * * *", timezone: "UTC" },
  },
  async () => {
    logger.info("Scheduled run");
    return { ok: true };
  },
);
`,
  endpoint: (name) => `import { workflow, z } from "bifrost";

/** Called as POST /api/endpoints/${name} with an X-Bifrost-Key endpoint key. */
export const ${name} = workflow(
  {
    name: "${name}",
    description: "TODO: what the endpoint does",
    endpointEnabled: true,
    allowedMethods: ["POST"],
    params: z.object({ id: z.string().min(1) }),
  },
  async ({ id }) => ({ received: id }),
);
`,
};

/**
 * The source of a new file from a template, its workflow named `name` (exported under the
 * same name). Throws for a name that is not an identifier.
 *
 * @example
 * ```ts
 * const source = workflowTemplate("scheduled", "nightly_report");
 * ```
 */
export function workflowTemplate(template: WorkflowTemplate, name: string): string {
  if (!isWorkflowName(name)) throw new Error(`"${name}" is not a workflow name: letters, digits and _ (not first a digit, not a reserved word), at most 100`);
  return BODIES[template](name);
}
