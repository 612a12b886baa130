import { lazy, Suspense } from "react";
import { Code, Loader } from "@mantine/core";
import { inertHtmlDocument, resultKind } from "../lib/result-kind.js";
import { JsonTree } from "./json-tree.js";

// The markdown renderer loads with the first markdown result, not with the app.
const MarkdownText = lazy(() => import("./markdown.js"));

/**
 * A run's result, shown safely: JSON as a tree; an HTML string in a sandboxed frame that runs
 * no script and loads nothing; markdown rendered without its raw HTML (react-markdown escapes
 * it, and drops `javascript:` links); other text as it is.
 */
export function ResultView({ value }: { value: unknown }) {
  const kind = resultKind(value);
  if (kind === "json") return <JsonTree value={value} />;
  const text = value as string;
  if (kind === "html") {
    return <iframe title="HTML result" sandbox="" srcDoc={inertHtmlDocument(text)} style={{ width: "100%", minHeight: 240, border: "1px solid var(--mantine-color-gray-3)", borderRadius: 4, background: "white" }} />;
  }
  if (kind === "markdown") {
    return (
      <Suspense fallback={<Loader size="sm" aria-label="Loading the result" />}>
        <MarkdownText text={text} />
      </Suspense>
    );
  }
  return (
    <Code block style={{ whiteSpace: "pre-wrap" }}>
      {text}
    </Code>
  );
}
