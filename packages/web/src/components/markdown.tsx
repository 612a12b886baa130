import { TypographyStylesProvider } from "@mantine/core";
import Markdown from "react-markdown";

/** Markdown rendered without its raw HTML (escaped as text) and without `javascript:` links. */
export default function MarkdownText({ text }: { text: string }) {
  return (
    <TypographyStylesProvider>
      <Markdown>{text}</Markdown>
    </TypographyStylesProvider>
  );
}
