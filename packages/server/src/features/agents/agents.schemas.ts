import { z } from "zod";

export const AgentName = z
  .string()
  .min(1, "must not be empty")
  .max(100)
  .regex(/^[A-Za-z0-9_.-]+$/, "may use letters, digits and _ . - only");

const ToolNames = z.array(z.string().min(1).max(128)).max(50);
const Namespaces = z.array(z.string().min(1).max(200)).max(20);
const MaxIterations = z.int().min(1).max(50);
const MaxTokens = z.int().min(100).max(10_000_000);
/** `roleBased`: only users holding one of `roles` see and chat with it (platform admins always). */
export const Access = z
  .object({ level: z.enum(["authenticated", "roleBased"]), roles: z.array(z.string().trim().min(1).max(100)).max(50).default([]) })
  .strict();

export const DEFAULT_MAX_ITERATIONS = 10;
export const DEFAULT_MAX_TOKENS = 100_000;

/** `POST /api/agents`. */
export const CreateAgent = z
  .object({
    name: AgentName,
    description: z.string().max(4000).optional(),
    systemPrompt: z.string().min(1, "must not be empty").max(200_000),
    /** A provider name (the agent's organization's, else global); default: the scope's chat provider. */
    provider: z.string().min(1).max(100).optional(),
    model: z.string().min(1).max(300).optional(),
    /** Names of the isTool workflows the agent may call. */
    tools: ToolNames.default([]),
    knowledge: Namespaces.default([]),
    maxIterations: MaxIterations.default(DEFAULT_MAX_ITERATIONS),
    /** Token budget of one chat request, all model calls together. */
    maxTokens: MaxTokens.default(DEFAULT_MAX_TOKENS),
    access: Access.optional(),
    scope: z.string().min(1).optional(),
  })
  .strict();

/** `PUT /api/agents/{id}`: given fields replace, null clears, omitted stay. */
export const UpdateAgent = z
  .object({
    name: AgentName.optional(),
    description: z.string().max(4000).nullable().optional(),
    systemPrompt: z.string().min(1, "must not be empty").max(200_000).optional(),
    provider: z.string().min(1).max(100).nullable().optional(),
    model: z.string().min(1).max(300).nullable().optional(),
    tools: ToolNames.optional(),
    knowledge: Namespaces.optional(),
    maxIterations: MaxIterations.optional(),
    maxTokens: MaxTokens.optional(),
    access: Access.optional(),
  })
  .strict();

/** `POST /api/agents/{name}/chat`. */
export const ChatRequest = z
  .object({
    message: z.string().min(1, "must not be empty").max(200_000),
    /** The conversation so far, oldest first (the API keeps no chat state). */
    history: z
      .array(z.object({ role: z.enum(["user", "assistant"]), content: z.string().max(200_000) }).strict())
      .max(200)
      .default([]),
  })
  .strict();

export const ScopeQuery = z.object({ scope: z.string().min(1).optional() }).strict();
