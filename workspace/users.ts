import { workflow, tool, dataProvider, z, context, logger, UserError } from "bifrost";

export const getDepartments = dataProvider(
  { name: "get_departments", description: "Departments for the user form", cacheTtl: 600 },
  async () => [
    { label: "Engineering", value: "eng" },
    { label: "Sales", value: "sales" },
    { label: "Support", value: "support" },
  ],
);

/** Shows validation (email, enum, bounded int with default), ROI and a user-facing error. */
export const createUser = workflow(
  {
    name: "create_user",
    description: "Create a user in the customer's directory",
    category: "User Management",
    tags: ["m365", "onboarding"],
    params: z.object({
      email: z.email().meta({ label: "Email", helpText: "The new user's sign-in address" }),
      department: z.enum(["eng", "sales", "support"]).meta({ dataProvider: "get_departments", label: "Department" }),
      licenses: z.int().min(1).max(25).default(1),
    }),
    timeoutSeconds: 60,
    timeSaved: 15,
    value: 25,
  },
  async ({ email, department, licenses }) => {
    if (email.endsWith("@example.invalid")) throw new UserError(`${email} is not a deliverable address`);
    logger.info(`Creating ${email} in ${department} for ${context.orgName ?? "the platform"}`);
    const user = { id: `u_${Math.random().toString(36).slice(2, 10)}`, email, department, licenses };
    logger.debug("directory payload", user);
    return { created: true, user };
  },
);

/** A tool for AI agents and MCP clients. */
export const lookupUser = tool(
  { name: "lookup_user", description: "Find a user by email", params: z.object({ email: z.email() }) },
  async ({ email }) => ({ email, found: false }),
);
