import type { FastifyInstance } from "fastify";
import type { Level } from "./auth.js";
import { forbidden, HttpError } from "./http-error.js";

/**
 * The one permission table (docs/users-and-roles.md shows it): every API route belongs to
 * exactly one family, and each family says which levels may call it. A level not listed
 * gets 403 before the handler runs. Handlers then narrow further by organization (another
 * organization's rows are 404: their existence is not revealed) and, for organization
 * members, to their own runs. A route in no family is refused for everyone (fail closed),
 * and a test asserts that every route of the app has a family.
 */
export interface Family {
  name: string;
  /** Who may call it. */
  allow: readonly Level[];
  /** `METHOD /path` patterns as Fastify registers them; `*` ends a pattern to match a prefix. */
  routes: readonly string[];
  why: string;
}

const ALL: readonly Level[] = ["platformAdmin", "mspMember", "orgAdmin", "orgMember"];
const STAFF: readonly Level[] = ["platformAdmin", "mspMember", "orgAdmin"];
const ADMINS: readonly Level[] = ["platformAdmin", "orgAdmin"];
const PLATFORM: readonly Level[] = ["platformAdmin"];

export const FAMILIES: readonly Family[] = [
  { name: "self", allow: ALL, routes: ["GET /api/auth/me", "POST /api/auth/logout", "POST /api/auth/password", "* /api/auth/mfa*"], why: "one's own identity, session, password and MFA" },
  { name: "organizations.read", allow: ALL, routes: ["GET /api/organizations", "GET /api/organizations/:id"], why: "customers see their own organization only" },
  { name: "organizations.write", allow: PLATFORM, routes: ["POST /api/organizations", "PATCH /api/organizations/:id", "DELETE /api/organizations/:id"], why: "platform settings" },
  { name: "apiKeys", allow: ALL, routes: ["* /api/api-keys*"], why: "users manage their own personal keys; organization and platform keys are platform admins'" },
  { name: "users", allow: ADMINS, routes: ["* /api/users*"], why: "organization admins manage their organization's users" },
  { name: "roles.read", allow: STAFF, routes: ["GET /api/roles", "GET /api/roles/:id"], why: "" },
  { name: "roles.write", allow: PLATFORM, routes: ["POST /api/roles", "PUT /api/roles/:id", "DELETE /api/roles/:id"], why: "roles are global definitions" },
  { name: "roles.assign", allow: ADMINS, routes: ["POST /api/roles/:id/users", "DELETE /api/roles/:id/users/:userId"], why: "organization admins grant roles to their own users" },
  { name: "audit", allow: ADMINS, routes: ["GET /api/audit"], why: "organization admins see their organization's events" },
  { name: "workflows.read", allow: ALL, routes: ["GET /api/workflows", "GET /api/workflows/:id"], why: "" },
  { name: "workflows.run", allow: ALL, routes: ["POST /api/workflows/:id/execute", "POST /api/workflows/:id/run", "POST /api/workflows/:id/test"], why: "" },
  { name: "workflows.write", allow: PLATFORM, routes: ["POST /api/workflows", "PUT /api/workflows/:id", "DELETE /api/workflows/:id"], why: "workflow files run for every organization (the engineer of issue 14 is a platform admin)" },
  { name: "workflows.code", allow: PLATFORM, routes: ["POST /api/workflows/code/execute"], why: "arbitrary code" },
  { name: "executions.logSearch", allow: ADMINS, routes: ["GET /api/executions/logs"], why: "lines across every run of an organization" },
  { name: "executions", allow: ALL, routes: ["* /api/executions*"], why: "organization members see (and cancel) their own runs only" },
  { name: "files", allow: STAFF, routes: ["POST /api/files/read", "POST /api/files/write", "POST /api/files/delete", "POST /api/files/list", "POST /api/files/exists"], why: "" },
  { name: "editor.read", allow: STAFF, routes: ["GET /api/files/editor/tree", "GET /api/files/editor/file", "GET /api/files/editor/types"], why: "" },
  { name: "editor.write", allow: PLATFORM, routes: ["POST /api/files/editor/file", "DELETE /api/files/editor/file", "POST /api/files/editor/directory", "POST /api/files/editor/move"], why: "workflow files run for every organization" },
  { name: "sdk", allow: ADMINS, routes: ["POST /api/sdk/call"], why: "the whole SDK, secrets included" },
  { name: "config.read", allow: STAFF, routes: ["GET /api/config", "GET /api/config/:key"], why: "" },
  { name: "config.write", allow: ADMINS, routes: ["PUT /api/config/:key", "DELETE /api/config/:key"], why: "config and secrets" },
  { name: "tables", allow: STAFF, routes: ["* /api/tables*"], why: "" },
  { name: "knowledge", allow: STAFF, routes: ["* /api/knowledge*"], why: "" },
  { name: "reports", allow: STAFF, routes: ["GET /api/reports/*"], why: "" },
  { name: "schedules.read", allow: STAFF, routes: ["GET /api/schedules"], why: "" },
  { name: "schedules.write", allow: ADMINS, routes: ["POST /api/schedules/:workflow/pause", "POST /api/schedules/:workflow/resume"], why: "" },
  { name: "endpointKeys.read", allow: STAFF, routes: ["GET /api/endpoint-keys"], why: "" },
  { name: "endpointKeys.write", allow: ADMINS, routes: ["POST /api/endpoint-keys", "POST /api/endpoint-keys/:id/rotate", "DELETE /api/endpoint-keys/:id"], why: "" },
  { name: "forms", allow: ALL, routes: ["GET /api/forms/:workflow", "POST /api/forms/:workflow/submit", "* /api/data-providers/:name"], why: "" },
  { name: "customForms.use", allow: ALL, routes: ["GET /api/custom-forms", "GET /api/custom-forms/:id", "POST /api/custom-forms/:id/submit", "GET /api/custom-forms/:id/data-providers/:name"], why: "" },
  { name: "customForms.write", allow: PLATFORM, routes: ["POST /api/custom-forms", "PUT /api/custom-forms/:id", "DELETE /api/custom-forms/:id"], why: "" },
  { name: "integrations.read", allow: STAFF, routes: ["GET /api/integrations", "GET /api/integrations/:name", "GET /api/integrations/:name/mappings", "GET /api/integrations/:name/mappings/:scope"], why: "" },
  {
    name: "integrations.define",
    allow: PLATFORM,
    routes: ["POST /api/integrations", "PUT /api/integrations/:name", "DELETE /api/integrations/:name", "PUT /api/integrations/:name/mappings/:scope", "DELETE /api/integrations/:name/mappings/:scope"],
    why: "integration definitions and their organization mappings are providers' settings",
  },
  { name: "integrations.connect", allow: ADMINS, routes: ["* /api/integrations/:name/connection", "POST /api/integrations/:name/refresh", "* /api/oauth/:name/authorize"], why: "organization admins connect their organization" },
  { name: "ai.use", allow: STAFF, routes: ["GET /api/ai/model-info", "POST /api/ai/stream"], why: "" },
  { name: "ai.providers", allow: PLATFORM, routes: ["* /api/ai/providers*", "* /api/ai/settings"], why: "providers and their keys" },
  { name: "agents.use", allow: ALL, routes: ["GET /api/agents", "GET /api/agents/:ref", "POST /api/agents/:ref/chat", "POST /api/agents/:ref/chat/stream"], why: "" },
  { name: "agents.write", allow: PLATFORM, routes: ["POST /api/agents", "PUT /api/agents/:ref", "DELETE /api/agents/:ref"], why: "" },
  { name: "mcp", allow: STAFF, routes: ["* /mcp"], why: "" },
  { name: "sdk.generate", allow: PLATFORM, routes: ["POST /api/sdk/generate"], why: "writes a module every workflow may import" },
  { name: "openapi", allow: ALL, routes: ["GET /api/openapi.json", "GET /api/docs*"], why: "the API's description; each caller sees the workflow endpoints it may use" },
];

function matches(pattern: string, method: string, url: string): boolean {
  const space = pattern.indexOf(" ");
  const m = pattern.slice(0, space);
  const p = pattern.slice(space + 1);
  if (m !== "*" && m !== method) return false;
  return p.endsWith("*") ? url.startsWith(p.slice(0, -1)) : url === p;
}

/** The family of a route (its method and its path as registered), or null. */
export function familyOf(method: string, url: string): Family | null {
  // HEAD is answered by the GET route.
  const m = method === "HEAD" ? "GET" : method;
  return FAMILIES.find((f) => f.routes.some((r) => matches(r, m, url))) ?? null;
}

/** Applies the table to every route of `app`: registered after authentication, before any body is read. */
export function registerPermissions(app: FastifyInstance): void {
  app.addHook("onRequest", async (request) => {
    const p = request.principal;
    if (!p) return;
    const url = request.routeOptions.url;
    if (!url) return; // no route: the 404 handler answers
    const family = familyOf(request.method, url);
    if (!family) throw forbidden(`${request.method} ${url} has no permission entry: refused`);
    if (p.mfaPending && family.name !== "self") {
      throw new HttpError(403, "mfa_enrolment_required", "Platform admins must turn on two-factor sign-in first (BIFROST_REQUIRE_MFA_FOR_ADMINS): POST /api/auth/mfa/enroll");
    }
    if (!family.allow.includes(p.level)) throw forbidden(`Your level (${p.level}) may not use ${family.name}`);
  });
}

const LEVEL_TITLES: Record<Level, string> = { platformAdmin: "platform admin", mspMember: "MSP member", orgAdmin: "org admin", orgMember: "org member" };

/** The table as docs/users-and-roles.md shows it (a test keeps the two the same). */
export function permissionTableMarkdown(): string {
  const levels = Object.keys(LEVEL_TITLES) as Level[];
  const head = `| family | routes | ${levels.map((l) => LEVEL_TITLES[l]).join(" | ")} |\n|---|---|${levels.map(() => "---|").join("")}`;
  const rows = FAMILIES.map((f) => `| \`${f.name}\` | ${f.routes.map((r) => `\`${r}\``).join("<br>")} | ${levels.map((l) => (f.allow.includes(l) ? "✓" : "403")).join(" | ")} |`);
  return [head, ...rows].join("\n");
}
