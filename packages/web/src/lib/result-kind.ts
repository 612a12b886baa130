/** How a run's result is shown: a JSON tree, or a string as HTML, markdown or plain text. */
export type ResultKind = "json" | "html" | "markdown" | "text";

const HTML_START = /^\s*(<!doctype html|<html[\s>]|<(div|p|table|h[1-6]|ul|ol|section|article|body|span|pre|b|strong|em|a|style)[\s>])/i;
const CLOSING_TAG = /<\/[a-z][\w-]*\s*>/i;
const MARKDOWN = /(^|\n)(#{1,6} \S|[-*] \S|\d+\. \S|> \S|```)|\*\*[^*\n]+\*\*|\[[^\]\n]+\]\([^)\s]+\)/;

/**
 * What a result looks like: objects, arrays, numbers and booleans are JSON; a string that is
 * an HTML document or fragment is HTML; one with markdown's headings, lists, emphasis or links
 * is markdown; any other string is text.
 *
 * @example
 * resultKind("# Report\n- 3 devices") // "markdown"
 */
export function resultKind(result: unknown): ResultKind {
  if (typeof result !== "string") return "json";
  if (HTML_START.test(result) && CLOSING_TAG.test(result)) return "html";
  if (MARKDOWN.test(result)) return "markdown";
  return "text";
}

/**
 * The HTML result as an iframe's document that can do nothing but be read: no script (the
 * frame is sandboxed too), no request anywhere (images only as data: URLs), inline styles only.
 */
export function inertHtmlDocument(html: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"></head><body>${html}</body></html>`;
}
