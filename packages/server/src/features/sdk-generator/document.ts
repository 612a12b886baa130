import SwaggerParser from "@apidevtools/swagger-parser";
import swagger2openapi from "swagger2openapi";
import { parse as parseYaml } from "yaml";

/** Largest document the generator takes (bytes of JSON or YAML text). */
export const MAX_DOCUMENT_BYTES = 50 * 1024 * 1024;

/** One thing wrong with a document, located by JSON pointer (`#/paths/~1tickets/get`). */
export interface DocumentProblem {
  pointer: string;
  message: string;
}

/** Why a document cannot be turned into a client; `status` is the HTTP answer (413, 422, 502). */
export class SdkGeneratorError extends Error {
  constructor(
    readonly status: 413 | 422 | 502,
    message: string,
    readonly problems: DocumentProblem[] = [],
  ) {
    super(message);
    this.name = "SdkGeneratorError";
  }
}

export type OpenApiDocument = Record<string, unknown> & { openapi: string; paths?: Record<string, unknown> };

const MAX_PROBLEMS = 10;

const invalid = (problems: DocumentProblem[]) =>
  new SdkGeneratorError(
    422,
    `Invalid OpenAPI document: ${problems.slice(0, 3).map((p) => `${p.pointer} ${p.message}`).join("; ")}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}`,
    problems.slice(0, MAX_PROBLEMS),
  );

/** JSON or YAML text to a value; YAML aliases are capped, so a "billion laughs" file fails instead of growing. */
export function parseDocumentText(text: string): unknown {
  if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES) throw new SdkGeneratorError(413, `The document is larger than ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB`);
  const trimmed = text.trimStart();
  try {
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) return JSON.parse(trimmed);
    return parseYaml(text, { maxAliasCount: 100, uniqueKeys: false });
  } catch (error) {
    throw invalid([{ pointer: "#", message: `is neither JSON nor YAML: ${(error as Error).message.split("\n")[0]}` }]);
  }
}

const escapePointer = (key: string) => key.replace(/~/g, "~0").replace(/\//g, "~1");

function resolvePointer(doc: unknown, ref: string): boolean {
  if (ref === "#") return true;
  let value = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!value || typeof value !== "object" || !Object.hasOwn(value, key)) return false;
    value = (value as Record<string, unknown>)[key];
  }
  return true;
}

/**
 * Every `$ref` must point inside the document: the generator never reads files or URLs a
 * document names (a `$ref` to `/etc/passwd` or an internal address would otherwise be
 * fetched by the server). Also replaces the comment terminator in the texts that
 * openapi-typescript copies into comments.
 */
function checkRefs(doc: unknown): DocumentProblem[] {
  const problems: DocumentProblem[] = [];
  const stack: { value: unknown; pointer: string; depth: number }[] = [{ value: doc, pointer: "#", depth: 0 }];
  while (stack.length > 0 && problems.length < MAX_PROBLEMS) {
    const { value, pointer, depth } = stack.pop()!;
    if (depth > 200) {
      problems.push({ pointer, message: "is nested more than 200 levels deep" });
      break;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        if (v && typeof v === "object") stack.push({ value: v, pointer: `${pointer}/${i}`, depth: depth + 1 });
      });
      continue;
    }
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      if (key === "$ref" && typeof v === "string") {
        if (!v.startsWith("#")) problems.push({ pointer: `${pointer}/$ref`, message: `points outside the document (${JSON.stringify(v.slice(0, 200))}): only local references (#/…) are followed` });
        else if (!resolvePointer(doc, v)) problems.push({ pointer: `${pointer}/$ref`, message: `points to ${JSON.stringify(v.slice(0, 200))}, which does not exist` });
      } else if (typeof v === "string" && (key === "description" || key === "summary" || key === "title") && v.includes("*/")) {
        obj[key] = v.replace(/\*\//g, "*\\/");
      } else if (v && typeof v === "object") {
        stack.push({ value: v, pointer: `${pointer}/${escapePointer(key)}`, depth: depth + 1 });
      }
    }
  }
  return problems;
}

function parserProblems(error: unknown): DocumentProblem[] {
  const e = error as { details?: { instancePath?: string; message?: string; path?: string[] }[]; message?: string; path?: unknown };
  if (Array.isArray(e.details) && e.details.length > 0) {
    return e.details.map((d) => ({ pointer: `#${d.instancePath ?? ""}`, message: d.message ?? "is invalid" }));
  }
  const pointer = Array.isArray(e.path) ? `#/${e.path.map((p) => escapePointer(String(p))).join("/")}` : "#";
  return [{ pointer, message: (e.message ?? String(error)).split("\n")[0]! }];
}

/**
 * A parsed document checked and made ready: OpenAPI 3.0 / 3.1 as is, Swagger 2.0
 * converted to 3.0. Returns the document (references kept, for openapi-typescript) and a
 * dereferenced copy (for reading operations); problems become a 422 naming JSON pointers.
 */
export async function prepareDocument(input: unknown): Promise<{ document: OpenApiDocument; dereferenced: OpenApiDocument }> {
  if (!input || typeof input !== "object" || Array.isArray(input)) throw invalid([{ pointer: "#", message: "must be an object (an OpenAPI document)" }]);
  let doc = structuredClone(input) as Record<string, unknown>;
  const version = typeof doc.openapi === "string" ? doc.openapi : typeof doc.swagger === "string" ? doc.swagger : null;
  if (version === null) throw invalid([{ pointer: "#/openapi", message: 'is missing: the document must say "openapi": "3.x" (or "swagger": "2.0")' }]);
  if (!(/^3\.[01]\.\d+$/.test(version) || version === "2.0")) throw invalid([{ pointer: doc.openapi ? "#/openapi" : "#/swagger", message: `is "${version.slice(0, 40)}": only OpenAPI 3.0, 3.1 and Swagger 2.0 are supported` }]);
  const refProblems = checkRefs(doc);
  if (refProblems.length > 0) throw invalid(refProblems);

  const options = { resolve: { external: false }, dereference: { circular: true as const } };
  let dereferenced: OpenApiDocument;
  try {
    // validate() dereferences the copy it checks: for OpenAPI 3 that copy is the one read.
    dereferenced = (await SwaggerParser.validate(structuredClone(doc) as never, options)) as unknown as OpenApiDocument;
  } catch (error) {
    throw invalid(parserProblems(error));
  }
  if (version === "2.0") {
    try {
      doc = (await swagger2openapi.convertObj(doc as never, { patch: true, warnOnly: true, resolve: false } as never)).openapi as unknown as Record<string, unknown>;
      dereferenced = (await SwaggerParser.dereference(structuredClone(doc) as never, options)) as unknown as OpenApiDocument;
    } catch (error) {
      throw invalid([{ pointer: "#", message: `cannot be converted from Swagger 2.0: ${(error as Error).message}` }]);
    }
  }
  return { document: doc as OpenApiDocument, dereferenced };
}

/**
 * Downloads a document for `POST /api/sdk/generate { spec: "https://…" }`: http(s) only,
 * a time limit and the size cap (the body is read as a stream and abandoned past it).
 * Failures are 502 with the reason; too large is 413.
 */
export async function fetchDocument(url: string, options: { timeoutMs?: number; maxBytes?: number; fetch?: typeof fetch } = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? MAX_DOCUMENT_BYTES;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new SdkGeneratorError(422, `spec: "${url.slice(0, 200)}" is not a URL`, [{ pointer: "spec", message: "is not a URL" }]);
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    throw new SdkGeneratorError(422, `spec: only http and https URLs are fetched, not ${target.protocol}`, [{ pointer: "spec", message: "must be an http or https URL" }]);
  }
  const reason = (error: unknown) => {
    const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e.name === "TimeoutError") return `no answer within ${(options.timeoutMs ?? 30_000) / 1000} s`;
    return e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
  };
  let res: Response;
  try {
    res = await (options.fetch ?? fetch)(target, { headers: { accept: "application/json, application/yaml, text/yaml, */*" }, signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
  } catch (error) {
    throw new SdkGeneratorError(502, `Cannot fetch ${target.origin}${target.pathname}: ${reason(error)}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new SdkGeneratorError(502, `Cannot fetch ${target.origin}${target.pathname}: the server answered HTTP ${res.status}`);
  }
  const tooLarge = () => new SdkGeneratorError(413, `The document at ${target.origin}${target.pathname} is larger than ${maxBytes / 1024 / 1024} MB`);
  if (Number(res.headers.get("content-length") ?? 0) > maxBytes) {
    await res.body?.cancel();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body ?? []) {
      size += chunk.byteLength;
      if (size > maxBytes) throw tooLarge();
      chunks.push(Buffer.from(chunk));
    }
  } catch (error) {
    if (error instanceof SdkGeneratorError) throw error;
    throw new SdkGeneratorError(502, `Cannot fetch ${target.origin}${target.pathname}: ${reason(error)}`);
  }
  return Buffer.concat(chunks).toString("utf8");
}
