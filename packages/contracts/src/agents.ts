/** An AI agent as stored and as `GET /api/agents` shows it (SPEC §5 "AI agents"). */
export interface Agent {
  id: string;
  /** An organization id, or "global". */
  scope: string;
  name: string;
  description: string | null;
  systemPrompt: string;
  /** A provider name; null = the scope's chat provider. */
  provider: string | null;
  /** null = the provider's chat model. */
  model: string | null;
  /** Names of the isTool workflows the agent may call. */
  tools: string[];
  /** Knowledge namespaces searched for each message. */
  knowledge: string[];
  maxIterations: number;
  maxTokens: number;
  /** Who may see it and chat with it. */
  access: { level: "authenticated" | "roleBased"; roles: string[] };
  createdAt: string;
  updatedAt: string;
}
