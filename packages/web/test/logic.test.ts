/** The web app's logic that needs no browser: field errors, log merging, history queries, cookies. */
import { describe, expect, it } from "vitest";
import { csrfToken, query } from "../src/lib/api.js";
import { toCsv } from "../src/lib/csv.js";
import { fieldErrorsToErrorSchema, formSchema } from "../src/lib/form-errors.js";
import { historyQuery, logSearchQuery } from "../src/lib/history-query.js";
import { inertHtmlDocument, resultKind } from "../src/lib/result-kind.js";
import { mergeLines, streamUrl } from "../src/lib/log-stream.js";

import type { LogLine } from "../src/lib/types.js";

const line = (seq: number): LogLine => ({ seq, level: "info", message: `line ${seq}`, ts: "2026-12-04T00:00:00.000Z" });

describe("form errors", () => {
  it("puts each server field message on its field, nested paths included", () => {
    expect(
      fieldErrorsToErrorSchema([
        { path: "email", message: "must be an e-mail address" },
        { path: "devices.1", message: "is required" },
        { path: "email", message: "is taken" },
        { path: "", message: "unknown field(s): x" },
      ]),
    ).toEqual({ email: { __errors: ["must be an e-mail address", "is taken"] }, devices: { 1: { __errors: ["is required"] } }, __errors: ["unknown field(s): x"] });
  });

  it("drops $schema (rjsf is given 2020-12 schemas through its own validator)", () => {
    expect(formSchema({ $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" })).toEqual({ type: "object" });
  });
});

describe("log lines", () => {
  it("keeps seq order and never repeats a line (a reconnect replays after Last-Event-ID)", () => {
    let lines: LogLine[] = [];
    for (const seq of [1, 2, 4, 2, 3, 4, 5]) lines = mergeLines(lines, line(seq));
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("history query", () => {
  it("reads filters and the page from the URL", () => {
    const now = Date.parse("2026-12-04T12:00:00.000Z");
    expect(historyQuery(new URLSearchParams("workflow=greet&status=Failed&trigger=api&range=24h&page=3&size=10"), now)).toEqual({
      workflow: "greet",
      status: "Failed",
      trigger: "api",
      since: "2026-12-03T12:00:00.000Z",
      limit: 10,
      offset: 20,
    });
    expect(historyQuery(new URLSearchParams("page=-1&size=100000&range=forever"))).toMatchObject({ limit: 500, offset: 0, since: undefined });
    expect(historyQuery(new URLSearchParams("q=PSA%20down&organization=org-1&user=u-7"), now)).toMatchObject({ q: "PSA down", organizationId: "org-1", user: "u-7" });
  });

  it("leaves empty values out of the query string", () => {
    expect(query({ a: "x y", b: "", c: undefined, d: null, e: 0 })).toBe("?a=x+y&e=0");
    expect(query({})).toBe("");
  });
});

describe("csrf token", () => {
  it("is read from the bifrost_csrf cookie", () => {
    expect(csrfToken("a=1; bifrost_csrf=abc%3D%3D; b=2")).toBe("abc==");
    expect(csrfToken("a=1")).toBeNull();
  });
});

describe("csv", () => {
  it("quotes what needs quoting and defuses spreadsheet formulas", () => {
    expect(toCsv(["a", "b"], [["x,y", 'say "hi"'], [-3, "=1+1"], [null, "line\nbreak"]])).toBe('a,b\r\n"x,y","say ""hi"""\r\n-3,\'=1+1\r\n,"line\nbreak"\r\n');
  });
});

describe("live logs in an organization", () => {
  it("names the organization in ?org= (EventSource sends no headers), escaped; none for the caller's own scope", () => {
    expect(streamUrl("abc", null)).toBe("/api/executions/abc/logs/stream");
    expect(streamUrl("a/b", "org 1&x")).toBe("/api/executions/a%2Fb/logs/stream?org=org%201%26x");
  });
});

describe("log search query", () => {
  it("maps the page's URL to the API's filters and page", () => {
    const now = Date.parse("2026-12-04T12:00:00.000Z");
    const q = logSearchQuery(new URLSearchParams("q=timeout&level=warn,error&workflow=sync&organization=o1&range=24h&page=3&size=20"), now);
    expect(q).toEqual({ level: "warn,error", workflow: "sync", organizationId: "o1", q: "timeout", since: "2026-12-03T12:00:00.000Z", limit: 20, offset: 40 });
    expect(logSearchQuery(new URLSearchParams("range=forever&page=-2&size=9999"), now)).toEqual({
      level: undefined,
      workflow: undefined,
      organizationId: undefined,
      q: undefined,
      since: undefined,
      limit: 500,
      offset: 0,
    });
  });
});

describe("how a result is shown", () => {
  it("JSON for values, HTML, markdown or text for strings", () => {
    expect(resultKind({ a: 1 })).toBe("json");
    expect(resultKind(3)).toBe("json");
    expect(resultKind(null)).toBe("json");
    expect(resultKind("<table><tr><td>1</td></tr></table>")).toBe("html");
    expect(resultKind("<!doctype html><p>hi</p>")).toBe("html");
    expect(resultKind("# Title\n\ntext")).toBe("markdown");
    expect(resultKind("see [the docs](https://example.com)")).toBe("markdown");
    expect(resultKind("3 < 4 and 5 > 2")).toBe("text");
    expect(resultKind("Hello, Ada.")).toBe("text");
  });

  it("an HTML result's document may load nothing and run no script", () => {
    const doc = inertHtmlDocument("<p>hi</p>");
    expect(doc).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(doc.indexOf("Content-Security-Policy")).toBeLessThan(doc.indexOf("<p>hi</p>"));
  });
});
