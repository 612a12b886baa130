import { z } from "zod";
import type { FeatureDocs } from "../openapi/route-docs.js";

const JsonRpc = z.looseObject({ jsonrpc: z.literal("2.0") }).describe("A JSON-RPC 2.0 message of the Model Context Protocol");

export const mcpDocs: FeatureDocs = {
  tag: "MCP",
  description: "Tool workflows over the Model Context Protocol (stateless, streamable HTTP)",
  routes: {
    "POST /mcp": { summary: "An MCP request (tools/list, tools/call, …)", body: JsonRpc, responses: { 200: JsonRpc } },
    "GET /mcp": { summary: "Not offered: the endpoint is stateless", responses: {}, errors: [405] },
    "DELETE /mcp": { summary: "Not offered: the endpoint is stateless", responses: {}, errors: [405] },
  },
};
