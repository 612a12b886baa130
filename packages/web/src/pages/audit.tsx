import { Button, Code, Group, Select, Stack, Text, TextInput, Title } from "@mantine/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { createColumnHelper } from "@tanstack/react-table";
import { useSearchParams } from "react-router";
import { api, query } from "../lib/api.js";
import { useMe } from "../lib/session.js";
import { DataTable } from "../components/data-table.js";
import { Allowed } from "../components/admin.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";
import { TIME_RANGES } from "../components/filter-bar.js";

interface AuditEvent {
  id: number;
  at: string;
  actor: { kind: string; id: string | null; name: string | null };
  orgId: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  details: Record<string, unknown> | null;
}

const PAGE = 25;
const RANGES: Record<string, number> = { "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000 };

/** The audit query of the page's URL: its filters, and `page` as an offset. */
export function auditQuery(params: URLSearchParams, now = Date.now()): Record<string, string | number | undefined> {
  const range = RANGES[params.get("range") ?? ""];
  const page = Math.max(Number(params.get("page")) || 1, 1);
  return {
    action: params.get("action") ?? undefined,
    actorId: params.get("actor") ?? undefined,
    target: params.get("target") ?? undefined,
    organizationId: params.get("org") ?? undefined,
    since: range ? new Date(now - range).toISOString() : undefined,
    limit: PAGE,
    offset: (page - 1) * PAGE,
  };
}

const column = createColumnHelper<AuditEvent>();
const columns = [
  column.accessor("at", { header: "When", cell: (c) => new Date(c.getValue()).toLocaleString() }),
  column.accessor("action", { header: "Action", cell: (c) => <Code>{c.getValue()}</Code> }),
  column.accessor("actor", { header: "Who", cell: (c) => c.getValue().name ?? c.getValue().kind }),
  column.accessor("target", { header: "Target", cell: (c) => <Text size="xs" ff="monospace">{c.getValue() ?? ""}</Text> }),
  column.accessor("details", { header: "Details", cell: (c) => (c.getValue() ? <Text size="xs" ff="monospace" lineClamp={2} maw={320}>{JSON.stringify(c.getValue())}</Text> : null) }),
  column.accessor("ip", { header: "Address" }),
];

/** Who did what, newest first: filters and pages in the URL. */
export function AuditPage() {
  return (
    <Allowed>
      <Audit />
    </Allowed>
  );
}

function Audit() {
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const q = auditQuery(params);
  const page = Math.max(Number(params.get("page")) || 1, 1);
  const set = (key: string, value: string | null, keepPage = false) =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      if (value) next.set(key, value);
      else next.delete(key);
      if (!keepPage) next.delete("page");
      return next;
    });
  const list = useQuery({
    queryKey: ["global", "audit", q],
    queryFn: () => api<{ events: AuditEvent[]; hasMore: boolean }>(`/api/audit${query(q)}`, { org: null }),
    placeholderData: keepPreviousData,
  });
  const text = (key: string, label: string, placeholder: string) => (
    <TextInput
      label={label}
      placeholder={placeholder}
      defaultValue={params.get(key) ?? ""}
      key={`${key}:${params.get(key) ?? ""}`}
      onKeyDown={(e) => e.key === "Enter" && set(key, e.currentTarget.value.trim() || null)}
      onBlur={(e) => set(key, e.currentTarget.value.trim() || null)}
      w={200}
    />
  );

  return (
    <Stack>
      <Title order={2}>Audit log</Title>
      <Group align="end">
        {text("action", "Action", "user. or user.create")}
        {text("target", "Target", "an id or a key")}
        {text("actor", "Actor id", "a user's or key's id")}
        {me.data?.isPlatformAdmin ? (
          <Select label="Organization" clearable data={(me.data.organizations ?? []).map((o) => ({ value: o.id, label: o.name }))} value={params.get("org")} onChange={(v) => set("org", v)} w={200} />
        ) : null}
        <Select
          label="Time range"
          clearable
          data={TIME_RANGES}
          value={params.get("range")}
          onChange={(v) => set("range", v)}
          w={160}
        />
      </Group>
      {list.error ? <ErrorAlert error={list.error} /> : null}
      {list.isPending ? (
        <LoadingRows />
      ) : list.data && list.data.events.length === 0 ? (
        <Empty title="No events">{page > 1 ? "This page is past the last event." : "No event matches these filters."}</Empty>
      ) : list.data ? (
        <DataTable label="Audit events" data={list.data.events} columns={columns} rowId={(e) => String(e.id)} />
      ) : null}
      <Group>
        <Button variant="default" disabled={page <= 1} onClick={() => set("page", page > 2 ? String(page - 1) : null, true)}>
          Previous page
        </Button>
        <Text size="sm">Page {page}</Text>
        <Button variant="default" disabled={!list.data?.hasMore} onClick={() => set("page", String(page + 1), true)}>
          Next page
        </Button>
      </Group>
    </Stack>
  );
}
