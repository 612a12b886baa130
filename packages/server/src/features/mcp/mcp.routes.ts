import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { Engine } from "@bifrost/engine/engine.js";
import { CompileError } from "@bifrost/engine/compiler/compiler.js";
import { executionPrincipal, principalOf } from "../../auth.js";
import { HttpError } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import { canUse, InlineCode, type WorkflowsService } from "../workflows/workflows.service.js";
import { callerOf, visibleOrgOf } from "../sdk/scope.js";

export const EXECUTE_CODE_TOOL = "execute_code";

const EXECUTE_CODE_SCHEMA = {
  type: "object",
  properties: {
    code: {
      type: "string",
      description:
        'TypeScript run as the body of an async function: it may import from "bifrost", use await, read `params`, and `return` the result.',
    },
    params: { type: "object", description: "Available to the code as `params`.", additionalProperties: true },
    timeoutSeconds: { type: "number", minimum: 1, maximum: 3600, description: "Default 60." },
  },
  required: ["code"],
  additionalProperties: false,
};

function textResult(value: unknown, isError = false): CallToolResult {
  return { content: [{ type: "text", text: typeof value === "string" ? value : JSON.stringify(value, null, 2) }], isError };
}

/**
 * `/mcp`: an MCP server over Streamable HTTP (stateless: a server per request),
 * authenticated with an API key. Its tools are the organization's `isTool` workflows,
 * described by their `toolDescription` and params' JSON Schema, plus `execute_code`;
 * every call is an execution with trigger `tool`.
 */
export function mcpRoutes(app: FastifyInstance, deps: { engine: Engine; workflows: WorkflowsService }): void {
  const { engine, workflows } = deps;

  function tools(caller: SdkCaller) {
    const listed = engine.registry
      .list({ orgId: visibleOrgOf(caller) })
      .filter((w) => w.isTool && w.kind !== "data_provider" && canUse(caller, w.access))
      .map((w) => {
        const { $schema: _schema, ...inputSchema } = w.paramsSchema;
        return { name: w.name, description: w.toolDescription ?? w.description ?? w.name, inputSchema: { type: "object" as const, ...inputSchema } };
      });
    // Arbitrary code is for platform admins only (as on POST /api/workflows/code/execute).
    if (!caller.isPlatformAdmin) return listed;
    return [...listed, { name: EXECUTE_CODE_TOOL, description: "Run a TypeScript snippet with the Bifrost SDK in this organization.", inputSchema: EXECUTE_CODE_SCHEMA as never }];
  }

  async function call(caller: SdkCaller, name: string, args: Record<string, unknown>, principal: ReturnType<typeof principalOf>): Promise<CallToolResult> {
    try {
      if (name === EXECUTE_CODE_TOOL) {
        if (!caller.isPlatformAdmin) return textResult("execute_code is available to platform admins only", true);
        // The same schema and path as POST /api/workflows/code/execute.
        const { record } = await workflows.runCode(caller, executionPrincipal(principal), parseBody(InlineCode, args), "tool");
        return record.status === "Success"
          ? textResult(record.result)
          : textResult(`execution ${record.id} ended ${record.status}: ${record.error ?? ""}`, true);
      }
      const w = workflows.find(caller, name);
      if (!w.isTool) return textResult(`"${name}" is not offered as a tool`, true);
      const { record } = await workflows.executeSync(caller, w.id, args, "tool");
      if (record.status === "Success" || record.status === "CompletedWithErrors") {
        return { ...textResult(record.result), _meta: { executionId: record.id, status: record.status } };
      }
      return { ...textResult(`${record.errorType ?? "Error"}: ${record.error ?? record.status} (execution ${record.id})`, true), _meta: { executionId: record.id, status: record.status } };
    } catch (error) {
      // Bad input, unknown tool, code that does not compile: a tool error the model can read.
      if (error instanceof HttpError) {
        const fields = error.fields?.map((f) => `${f.path}: ${f.message}`).join("; ");
        return textResult(fields ? `Invalid arguments: ${fields}` : error.message, true);
      }
      if (error instanceof CompileError) return textResult(`The code does not compile: ${error.message}`, true);
      throw error;
    }
  }

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    const principal = principalOf(req);
    const caller = callerOf(principal);
    const server = new Server({ name: "bifrost", version: "0.1.0" }, { capabilities: { tools: { listChanged: false } } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: tools(caller) }));
    server.setRequestHandler(CallToolRequestSchema, async (request) => call(caller, request.params.name, (request.params.arguments ?? {}) as Record<string, unknown>, principal));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.hijack();
    reply.raw.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req.raw, reply.raw, req.body);
  };

  app.post("/mcp", handle);
  // Stateless: no server-initiated stream and no sessions to delete.
  const notAllowed = async (_req: FastifyRequest, reply: FastifyReply) =>
    reply.status(405).header("allow", "POST").send({ error: { code: "method_not_allowed", message: "The MCP endpoint is stateless: use POST" } });
  app.get("/mcp", notAllowed);
  app.delete("/mcp", notAllowed);
}
