import openapiTS, { astToString } from "openapi-typescript";
import { prepareDocument, SdkGeneratorError, type OpenApiDocument } from "./document.js";
import { RUNTIME } from "./runtime.js";

/** The auth a module may be generated with: credentials are secrets and are passed to createClient instead. */
export type DefaultAuth = { type: "integration"; name: string; scope?: string } | { type: "none" };

export interface GenerateOptions {
  /** The module's name (`sdks/<name>.ts`): a letter, then letters, digits, `-` or `_`. */
  name: string;
  /** A parsed OpenAPI 3.0/3.1 or Swagger 2.0 document. */
  document: unknown;
  /** Default base URL (else the document's first server). */
  baseUrl?: string;
  /** What createClient() uses when it is given no auth. */
  auth?: DefaultAuth;
}

export interface GeneratedSdk {
  name: string;
  source: string;
  title: string;
  version: string;
  operations: number;
  paginated: number;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const CURSOR_PARAMS = ["cursor", "after", "page_token", "pageToken", "next_token", "nextToken", "continuation_token", "continuationToken", "starting_after", "marker", "next_cursor", "nextCursor", "skiptoken", "$skiptoken"];
const NEXT_CURSOR = ["next_cursor", "nextCursor", "next_page_token", "nextPageToken", "next_token", "nextToken", "continuation_token", "continuationToken", "end_cursor", "endCursor", "cursor", "next"];
const NEXT_LINK = ["@odata.nextLink", "nextLink", "next_link", "nextPageUrl", "next_page_url", "next"];
const PAGE_PARAMS = ["page", "page_no", "pageNo", "page_number", "pageNumber", "pageIndex"];
const SIZE_PARAMS = ["per_page", "perPage", "page_size", "pageSize", "pagesize", "limit", "count", "size"];
const ITEM_NAMES = ["items", "data", "results", "value", "records", "entries", "list", "nodes"];
const WRAPPERS = ["meta", "pagination", "page_info", "pageInfo", "paging", "links", "_links"];

type Schema = Record<string, unknown>;
type Pagination =
  | { kind: "cursor"; param: string; next: string[]; items: string[] }
  | { kind: "nextLink"; next: string[]; items: string[] }
  | { kind: "page"; param: string; size: string | null; items: string[] };

interface OperationSpec {
  name: string;
  method: string;
  path: string;
  query: string[];
  headers: string[];
  body: "json" | "form" | "multipart" | "binary" | "text" | null;
  bodyType: string | null;
  response: "json" | "text" | "binary" | "none";
  pages: Pagination | null;
}

const q = (s: string) => JSON.stringify(s);

/** Text for a `/** … *\/` comment: the terminator cannot occur, and each line is prefixed. */
export function commentLines(text: string, indent = ""): string[] {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(/\*\//g, "*\\/")
    .split("\n")
    .slice(0, 40)
    .map((l) => `${indent} * ${l.slice(0, 500)}`.trimEnd());
}

/** A method name: camelCase words of the operationId (or method and path), always an identifier. */
export function methodName(operationId: string | undefined, method: string, path: string): string {
  const source = operationId && operationId.trim() !== "" ? operationId : `${method} ${path.replace(/\{([^}]*)\}/g, " by $1 ")}`;
  const words = source.split(/[^A-Za-z0-9]+/).filter(Boolean);
  let name = words.map((w, i) => (i === 0 ? w[0]!.toLowerCase() + w.slice(1) : w[0]!.toUpperCase() + w.slice(1))).join("");
  if (name === "") name = "operation";
  if (/^[0-9]/.test(name)) name = `op${name}`;
  return name;
}

function isJson(mediaType: string): boolean {
  const t = mediaType.split(";")[0]!.trim().toLowerCase();
  return t === "application/json" || t.endsWith("+json") || t === "*/*" || t === "application/*";
}

/** Properties of an object schema, allOf members included (one level). */
function propertiesOf(schema: Schema | undefined): Record<string, Schema> {
  if (!schema || typeof schema !== "object") return {};
  const out: Record<string, Schema> = { ...((schema.properties as Record<string, Schema>) ?? {}) };
  for (const part of (schema.allOf as Schema[] | undefined) ?? []) Object.assign(out, propertiesOf(part));
  return out;
}

const isArraySchema = (s: Schema | undefined) => !!s && (s.type === "array" || (Array.isArray(s.type) && s.type.includes("array")) || (s.items !== undefined && s.properties === undefined));
const isStringLike = (s: Schema | undefined) => !!s && (s.type === undefined || s.type === "string" || (Array.isArray(s.type) && s.type.includes("string")));

/** Where a page's items and the next cursor or link are, when the operation looks paginated. */
function pagination(queryNames: string[], schema: Schema | undefined): Pagination | null {
  if (!schema) return null;
  let items: string[] | null = null;
  const props = propertiesOf(schema);
  if (isArraySchema(schema)) items = [];
  else {
    const arrays = Object.keys(props).filter((k) => isArraySchema(props[k]));
    const preferred = ITEM_NAMES.find((n) => arrays.includes(n)) ?? arrays[0];
    if (preferred !== undefined) items = [preferred];
  }
  if (items === null) return null;
  const find = (names: string[], test: (key: string, s: Schema) => boolean): string[] | null => {
    for (const n of names) if (props[n] && test(n, props[n])) return [n];
    for (const w of WRAPPERS) {
      const inner = propertiesOf(props[w]);
      for (const n of names) if (inner[n] && test(n, inner[n])) return [w, n];
    }
    return null;
  };
  const cursorParam = CURSOR_PARAMS.find((p) => queryNames.includes(p));
  if (cursorParam) {
    const next = find(NEXT_CURSOR, (_k, s) => isStringLike(s) || s.type === "integer");
    if (next) return { kind: "cursor", param: cursorParam, next, items };
  }
  const link = find(NEXT_LINK, (k, s) => isStringLike(s) && (k !== "next" || s.format === "uri" || s.format === "url"));
  if (link) return { kind: "nextLink", next: link, items };
  const pageParam = PAGE_PARAMS.find((p) => queryNames.includes(p));
  if (pageParam) return { kind: "page", param: pageParam, size: SIZE_PARAMS.find((p) => queryNames.includes(p)) ?? null, items };
  return null;
}

function bodyKind(mediaType: string): OperationSpec["body"] {
  const t = mediaType.split(";")[0]!.trim().toLowerCase();
  if (isJson(t)) return "json";
  if (t === "multipart/form-data" || t.startsWith("multipart/")) return "multipart";
  if (t === "application/x-www-form-urlencoded") return "form";
  if (t.startsWith("text/")) return "text";
  return "binary";
}

const BODY_PREFERENCE: OperationSpec["body"][] = ["json", "multipart", "form", "binary", "text"];

function serverUrl(doc: OpenApiDocument): string {
  const servers = doc.servers as { url?: unknown; variables?: Record<string, { default?: unknown }> }[] | undefined;
  const first = servers?.[0];
  if (!first || typeof first.url !== "string") return "";
  return first.url.replace(/\{([^}]+)\}/g, (m, v: string) => {
    const d = first.variables?.[v]?.default;
    return typeof d === "string" ? d : m;
  });
}

/**
 * Turns an OpenAPI document into one TypeScript module: openapi-typescript's types, then a
 * `Client` interface with one typed method per operation, the operation table and the
 * fixed runtime (`createClient`, `ApiError`, `paginate`). Nothing from the document is
 * evaluated; every string it contributes is written as a JSON string literal or inside a
 * comment whose terminator is escaped.
 */
export async function generateSdk(options: GenerateOptions): Promise<GeneratedSdk> {
  if (!NAME.test(options.name)) throw new SdkGeneratorError(422, `name: "${options.name.slice(0, 80)}" must start with a letter and have only letters, digits, - and _ (at most 64)`, [{ pointer: "name", message: "must start with a letter and have only letters, digits, - and _" }]);
  if (options.baseUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(options.baseUrl)) throw new SdkGeneratorError(422, "baseUrl: must be an http or https URL", [{ pointer: "baseUrl", message: "must be an http or https URL" }]);
  const { document, dereferenced } = await prepareDocument(options.document);

  let types: string;
  try {
    types = astToString(await openapiTS(document as never, { silent: true, defaultNonNullable: true }));
  } catch (error) {
    throw new SdkGeneratorError(422, `Invalid OpenAPI document: ${(error as Error).message}`, [{ pointer: "#", message: (error as Error).message }]);
  }

  const used = new Set<string>();
  const specs: OperationSpec[] = [];
  const members: string[] = [];
  const paths = (dereferenced.paths ?? {}) as Record<string, Record<string, unknown>>;
  for (const path of Object.keys(paths).sort()) {
    const item = paths[path]!;
    for (const method of METHODS) {
      const op = item[method] as Schema | undefined;
      if (!op || typeof op !== "object") continue;
      const params = new Map<string, Schema>();
      for (const p of [...((item.parameters as Schema[]) ?? []), ...((op.parameters as Schema[]) ?? [])]) {
        if (p && typeof p.name === "string" && typeof p.in === "string") params.set(`${p.in}:${p.name}`, p);
      }
      const group = (where: string) => [...params.values()].filter((p) => p.in === where);
      const [pathParams, queryParams, headerParams] = [group("path"), group("query"), group("header")];

      let name = methodName(op.operationId as string | undefined, method, path);
      if (used.has(name)) {
        let n = 2;
        while (used.has(`${name}${n}`)) n++;
        name = `${name}${n}`;
      }
      used.add(name);

      const O = `paths[${q(path)}][${q(method)}]`;
      const args: string[] = [];
      if (pathParams.length > 0) args.push(`path: NonNullable<${O}["parameters"]["path"]>`);
      if (queryParams.length > 0) args.push(queryParams.some((p) => p.required === true) ? `query: NonNullable<${O}["parameters"]["query"]>` : `query?: ${O}["parameters"]["query"]`);
      if (headerParams.length > 0) args.push(headerParams.some((p) => p.required === true) ? `headers: NonNullable<${O}["parameters"]["header"]>` : `headers?: ${O}["parameters"]["header"]`);

      let body: OperationSpec["body"] = null;
      let bodyType: string | null = null;
      const requestBody = op.requestBody as { content?: Record<string, unknown>; required?: boolean } | undefined;
      const mediaTypes = Object.keys(requestBody?.content ?? {});
      if (mediaTypes.length > 0) {
        bodyType = [...mediaTypes].sort((a, b) => BODY_PREFERENCE.indexOf(bodyKind(a)) - BODY_PREFERENCE.indexOf(bodyKind(b)))[0]!;
        body = bodyKind(bodyType);
        const content = `NonNullable<${O}["requestBody"]>["content"][${q(bodyType)}]`;
        const t = body === "binary" ? "Blob | ArrayBuffer | Uint8Array | string" : body === "text" ? "string" : body === "multipart" ? `${content} | FormData` : body === "form" ? `${content} | URLSearchParams` : content;
        args.push(`body${requestBody?.required ? "" : "?"}: ${t}`);
      }

      const responses = (op.responses ?? {}) as Record<string, { content?: Record<string, { schema?: Schema }> }>;
      const results: string[] = [];
      let response: OperationSpec["response"] = "none";
      let jsonSchema: Schema | undefined;
      for (const code of Object.keys(responses).filter((c) => /^2(\d\d|XX)$/i.test(c)).sort()) {
        const content = responses[code]?.content ?? {};
        const types = Object.keys(content);
        const json = types.find(isJson);
        if (json) {
          response = "json";
          jsonSchema ??= content[json]?.schema;
          results.push(`${O}["responses"][${q(code)}]["content"][${q(json)}]`);
        } else if (types.some((t) => t.startsWith("text/"))) {
          if (response === "none") response = "text";
          results.push("string");
        } else if (types.length > 0) {
          if (response === "none") response = "binary";
          results.push("ArrayBuffer");
        } else results.push("void");
      }
      const result = results.length === 0 ? (response === "none" ? "unknown" : "void") : [...new Set(results)].join(" | ");
      const pages = response === "json" ? pagination(queryParams.map((p) => p.name as string), jsonSchema) : null;
      const argsType = `{ ${args.join("; ")}${args.length > 0 ? ";" : ""} }`;

      const doc: string[] = [];
      for (const t of [op.summary, op.description]) if (typeof t === "string" && t.trim() !== "") doc.push(...commentLines(t.trim(), "  "), "   *");
      doc.push(...commentLines(`${method.toUpperCase()} ${path}${pages ? ` (paginated: ${pages.kind})` : ""}`, "  "));
      if (op.deprecated === true) doc.push("   * @deprecated");
      let member: string;
      if (pages) {
        const firstJson = results.find((r) => r.startsWith("paths["))!;
        const item = `Items<${pages.items.reduce((acc, key) => `Step<${acc}, ${q(key)}>`, firstJson)}>`;
        member = `PagedMethod<${argsType}, ${result}, ${item}>`;
      } else member = `Method<${argsType}, ${result}>`;
      members.push(`  /**\n${doc.join("\n")}\n   */\n  ${name}: ${member};`);
      specs.push({ name, method, path, query: queryParams.map((p) => p.name as string), headers: headerParams.map((p) => p.name as string), body, bodyType, response, pages });
    }
  }

  const info = (dereferenced.info ?? {}) as { title?: unknown; version?: unknown };
  const title = typeof info.title === "string" ? info.title : options.name;
  const version = typeof info.version === "string" ? info.version : "";
  const auth: DefaultAuth = options.auth ?? { type: "none" };
  const header = [
    "/**",
    ...commentLines(`${title} ${version}: a typed client generated by Bifrost's SDK generator (docs/sdk-generator.md).`),
    ...commentLines("Do not edit: regenerate with POST /api/sdk/generate or `bifrost sdk generate`."),
    " * @module",
    " */",
    "/* eslint-disable */",
  ].join("\n");
  const source = [
    header,
    types,
    "// ---- Operations ---------------------------------------------------------------------",
    "",
    `const TITLE = ${q(title)};`,
    `const DEFAULT_BASE_URL: string = ${q(options.baseUrl ?? serverUrl(dereferenced))};`,
    `const DEFAULT_AUTH: Auth = ${JSON.stringify(auth)};`,
    "",
    "/** The name of every operation (ApiError.operation is one). */",
    `export type OperationName = ${specs.length > 0 ? specs.map((s) => q(s.name)).join(" | ") : "never"};`,
    "",
    "/** One method per operation of the document. */",
    "export interface Client {",
    ...members,
    "}",
    "",
    `const OPERATIONS: readonly Spec[] = ${JSON.stringify(specs)};`,
    RUNTIME,
  ].join("\n");
  return { name: options.name, source, title, version, operations: specs.length, paginated: specs.filter((s) => s.pages).length };
}
