import { useEffect, useRef, useState } from "react";
import { Group, Select, TextInput, type ComboboxData } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useSearchParams } from "react-router";

/** One control of a filter bar: free text (applied as one types, or on Enter) or a choice. */
export type Filter =
  | { type: "text"; name: string; label: string; placeholder?: string; width?: number }
  | { type: "select"; name: string; label: string; data: ComboboxData; width?: number };

/** The `?range=` choices the history, log search and audit pages offer (lib/history-query.ts reads them). */
export const TIME_RANGES = [
  { value: "1h", label: "Last hour" },
  { value: "24h", label: "Last 24 hours" },
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
];

/** The "Time range" control of a filter bar. */
export const TIME_RANGE_FILTER: Filter = { type: "select", name: "range", label: "Time range", data: TIME_RANGES };

/**
 * Filters kept in the page's URL (so a link or a reload keeps them). `set` changes one and,
 * with `resetPage`, goes back to the first page.
 */
export function useUrlFilters(options: { resetPage?: boolean } = {}): { params: URLSearchParams; set(name: string, value: string | null, keepPage?: boolean): void } {
  const [params, setParams] = useSearchParams();
  const set = (name: string, value: string | null, keepPage = false) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (value) next.set(name, value);
        else next.delete(name);
        if (options.resetPage && !keepPage) next.delete("page");
        return next;
      },
      { replace: !options.resetPage },
    );
  return { params, set };
}

function TextFilter({ filter, value, onCommit }: { filter: Extract<Filter, { type: "text" }>; value: string; onCommit(value: string | null): void }) {
  const [text, setText] = useState(value);
  const [debounced] = useDebouncedValue(text, 300);
  const committed = useRef(value);
  // The URL changed elsewhere (back button, a link): show it.
  useEffect(() => {
    if (value !== committed.current) {
      committed.current = value;
      setText(value);
    }
  }, [value]);
  const commit = (v: string) => {
    const trimmed = v.trim();
    if (trimmed === committed.current) return;
    committed.current = trimmed;
    onCommit(trimmed || null);
  };
  useEffect(() => commit(debounced), [debounced]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <TextInput
      label={filter.label}
      placeholder={filter.placeholder}
      value={text}
      onChange={(e) => setText(e.currentTarget.value)}
      onKeyDown={(e) => {
        if (e.key === "Enter") commit(e.currentTarget.value);
      }}
      onBlur={(e) => commit(e.currentTarget.value)}
      w={filter.width ?? 200}
    />
  );
}

/** The row of filters above a list (workflows, history, log search), each labelled, all in the URL. */
export function FilterBar({ filters, params, set }: { filters: readonly Filter[]; params: URLSearchParams; set(name: string, value: string | null): void }) {
  return (
    <Group align="end" role="search" aria-label="Filters">
      {filters.map((f) =>
        f.type === "text" ? (
          <TextFilter key={f.name} filter={f} value={params.get(f.name) ?? ""} onCommit={(v) => set(f.name, v)} />
        ) : (
          <Select key={f.name} label={f.label} clearable data={f.data} value={params.get(f.name)} onChange={(v) => set(f.name, v)} w={f.width ?? 160} />
        ),
      )}
    </Group>
  );
}
