import { HttpError, validationFailed } from "./http-error.js";

/**
 * How deep JSON may nest (objects and arrays) where users send it: `{}` is 1 level,
 * `{"a":[1]}` is 2. Deep values crash recursive code — `JSON.stringify` throws a
 * RangeError past a few thousand levels, and so do zod, the redactor and every other
 * walker — so they are refused where they enter the platform, without recursion.
 */
export const DEFAULT_MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether JSON text nests deeper than `max`, by one pass over its characters (strings
 * skipped with `indexOf`). Text that is not valid JSON gives an answer JSON.parse then
 * refuses anyway.
 */
export function jsonTextTooDeep(text: string, max: number): boolean {
  // Deeper than max takes max + 1 openings and as many closings: short bodies need no scan.
  if (text.length < 2 * (max + 1)) return false;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Skip to the closing quote: the first one preceded by an even number of backslashes.
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) return false;
        let b = q - 1;
        while (text.charCodeAt(b) === BACKSLASH) b--;
        if ((q - 1 - b) % 2 === 0) {
          i = q;
          break;
        }
        from = q + 1;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/**
 * Whether a value nests deeper than `max` (same count as `jsonTextTooDeep`), walked with
 * an explicit stack, never recursion: null when it does not, else the key (or index) of
 * its top-level field that does. Meant for values that came from JSON (no shared
 * references); a cycle counts as too deep, binary data (Buffer, typed arrays) as a leaf.
 */
export function tooDeepField(value: unknown, max: number): string | null {
  if (!isBranch(value)) return null;
  if (max < 1) return "";
  const stack: object[] = [];
  const depths: number[] = [];
  const fields: string[] = [];
  for (const [k, child] of Object.entries(value)) {
    if (isBranch(child)) {
      stack.push(child);
      depths.push(2);
      fields.push(k);
    }
  }
  while (stack.length > 0) {
    const v = stack.pop()!;
    const d = depths.pop()!;
    const field = fields.pop()!;
    if (d > max) return field;
    const children: unknown[] = Array.isArray(v) ? v : Object.values(v);
    for (const child of children) {
      if (isBranch(child)) {
        stack.push(child);
        depths.push(d + 1);
        fields.push(field);
      }
    }
  }
  return null;
}

function isBranch(value: unknown): value is object {
  return typeof value === "object" && value !== null && !ArrayBuffer.isView(value);
}

/** Whether a value nests deeper than `max` (see `tooDeepField`). */
export function valueTooDeep(value: unknown, max: number): boolean {
  return tooDeepField(value, max) !== null;
}

/** The 422 naming the field (`options.metadata`) whose value nests deeper than `max`. */
export function fieldTooDeep(argument: string, value: unknown, max: number): HttpError | null {
  const field = tooDeepField(value, max);
  if (field === null) return null;
  const path = field === "" ? argument : `${argument}.${field}`;
  return validationFailed([{ path, message: `is nested deeper than ${max} levels of objects and arrays (the limit, BIFROST_MAX_JSON_DEPTH)` }]);
}

/** The 400 for a request body nested too deep. */
export function bodyTooDeep(max: number): HttpError {
  return new HttpError(
    400,
    "json_too_deep",
    `Request body is nested deeper than ${max} levels of objects and arrays (the limit, BIFROST_MAX_JSON_DEPTH)`,
  );
}

