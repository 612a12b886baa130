import { Box, Code, Text } from "@mantine/core";

/** A JSON value as a tree whose objects and arrays fold open and shut (native <details>). */
export function JsonTree({ value, label, depth = 0 }: { value: unknown; label?: string; depth?: number }) {
  const key = label !== undefined ? <Text span c="dimmed" ff="monospace" size="sm">{label}: </Text> : null;
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
    const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
    return (
      <Box component="details" open={depth < 2} ml={depth ? "md" : 0}>
        <Box component="summary" style={{ cursor: "pointer" }}>
          {key}
          <Text span ff="monospace" size="sm" c="dimmed">{summary}</Text>
        </Box>
        {entries.map(([k, v]) => (
          <JsonTree key={k} label={k} value={v} depth={depth + 1} />
        ))}
      </Box>
    );
  }
  return (
    <Box ml={depth ? "md" : 0} pl={depth ? 14 : 0}>
      {key}
      <Code>{JSON.stringify(value)}</Code>
    </Box>
  );
}
