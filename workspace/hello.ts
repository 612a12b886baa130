import { workflow, z, context, logger } from "bifrost";

/** The smallest useful workflow: validated input, a log line, a result. */
export const hello = workflow(
  {
    description: "Say hello",
    category: "Examples",
    params: z.object({ name: z.string().min(1).meta({ label: "Your name" }) }),
    executionMode: "sync",
  },
  async ({ name }) => {
    const greeting = `Hello, ${name}!`;
    logger.info(`Greeting ${name} in ${context.orgName ?? "the global scope"}`);
    return { greeting };
  },
);
