/** The kinds of file the editor's "New" menu (and `POST /api/workflows`) can start from. */
export type WorkflowTemplateKind = "workflow" | "tool" | "dataProvider" | "scheduled" | "endpoint";

/** A workflow name as an exported identifier: `reset_password` → `resetPassword`. */
function identifier(name: string): string {
  const camel = name.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""));
  const safe = camel.replace(/^[^A-Za-z_]+/, "");
  return safe ? safe[0]!.toLowerCase() + safe.slice(1) : "newWorkflow";
}

/** The name as a string literal in the generated source (quotes and backslashes escaped). */
const literal = (name: string) => JSON.stringify(name);

/**
 * Starting points for a new file, one per kind, each a complete TypeScript module that
 * compiles and registers as created (a test compiles every one). `name` is the workflow
 * name (letters, digits, `_ . -`); the export is its camelCase form.
 */
export const WORKFLOW_TEMPLATES: Record<WorkflowTemplateKind, (name: string) => string> = {
  workflow: (name) => `import { workflow, z, context, logger } from "bifrost";

/** Describe what this workflow does: the text shows in the workflow list. */
export const ${identifier(name)} = workflow(
  {
    name: ${literal(name)},
    description: "Describe what this workflow does",
    executionMode: "sync",
    params: z.object({
      name: z.string().min(1).meta({ label: "Name", helpText: "Who to greet" }),
    }),
  },
  async ({ name }) => {
    logger.info(\`Running for \${name} in \${context.orgName ?? "the global scope"}\`);
    return { greeting: \`Hello, \${name}!\` };
  },
);
`,
  tool: (name) => `import { tool, z, logger } from "bifrost";

/** A tool for AI agents and MCP clients: the description tells the model when to call it. */
export const ${identifier(name)} = tool(
  {
    name: ${literal(name)},
    description: "Look something up for the agent; say what it returns",
    params: z.object({ query: z.string().min(1).describe("What to look for") }),
  },
  async ({ query }) => {
    logger.info(\`Looking up \${query}\`);
    return [{ title: \`Result for \${query}\` }];
  },
);
`,
  dataProvider: (name) => `import { dataProvider } from "bifrost";

/** Options for a form dropdown: \`.meta({ dataProvider: ${literal(name)} })\` on a field uses it. */
export const ${identifier(name)} = dataProvider({ name: ${literal(name)}, description: "Options for a dropdown", cacheTtl: 600 }, async () => [
  { label: "First option", value: "first" },
  { label: "Second option", value: "second" },
]);
`,
  scheduled: (name) => `import { workflow, z, logger } from "bifrost";

/** Runs on its schedule (cron, read in the time zone given). */
export const ${identifier(name)} = workflow(
  {
    name: ${literal(name)},
    description: "Runs every weekday at 09:00",
    schedule: { cron: "0 9 * * 1-5", timezone: "UTC" },
    params: z.object({}),
  },
  async () => {
    logger.info("Scheduled run started");
    return { ok: true };
  },
);
`,
  endpoint: (name) => `import { workflow, z, logger } from "bifrost";

/** Callable over HTTP at /api/endpoints/${name} with an endpoint key (X-Bifrost-Key). */
export const ${identifier(name)} = workflow(
  {
    name: ${literal(name)},
    description: "Receives a webhook",
    endpointEnabled: true,
    allowedMethods: ["POST"],
    params: z.object({ event: z.string().min(1), payload: z.record(z.string(), z.unknown()).optional() }),
  },
  async ({ event, payload }) => {
    logger.info(\`Received \${event}\`);
    return { received: event, keys: Object.keys(payload ?? {}) };
  },
);
`,
};
