import { useState } from "react";
import { Badge, Button, Card, Code, Group, JsonInput, Modal, NumberInput, Select, SimpleGrid, Stack, Table, Text, Textarea, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import type { KnowledgeDocument, NamespaceInfo, SearchResult } from "@bifrost/contracts/knowledge.js";
import { api, ApiError, query } from "../lib/api.js";
import { fieldError } from "../lib/form-errors.js";
import { useMe, useOrg } from "../lib/session.js";
import { canWriteScope, defaultScope, scopeChoices } from "../lib/scope.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";
import { ScopeSelect } from "../components/scope-select.js";
import { ActionsHeader, RowButton, TableHead } from "../components/data-table.js";
import { JsonTree } from "../components/json-tree.js";

interface DocumentRow {
  key: string;
  metadata: Record<string, unknown>;
  length: number;
  chunks: number;
  updatedAt: string;
}

/** Parses the metadata box: empty is none; otherwise a JSON object, or a message. */
function parseMetadata(text: string): { ok: true; value?: Record<string, unknown> } | { ok: false; message: string } {
  if (!text.trim()) return { ok: true };
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return { ok: true, value: v as Record<string, unknown> };
  } catch {
    // falls through
  }
  return { ok: false, message: "must be a JSON object" };
}

/** Stores a pasted text as a document (chunked and embedded by the server). */
function StoreForm({ scope, namespace, onStored }: { scope: string; namespace: string; onStored(ns: string): void }) {
  const [form, setForm] = useState({ namespace, key: "", metadata: "", content: "" });
  const [metaError, setMetaError] = useState<string | null>(null);
  const store = useMutation({
    mutationFn: (metadata: Record<string, unknown> | undefined) =>
      api<{ key: string; status: string; chunks: number }>(`/api/knowledge/namespaces/${encodeURIComponent(form.namespace)}/documents${query({ scope })}`, {
        method: "POST",
        body: { content: form.content, ...(form.key.trim() ? { key: form.key.trim() } : {}), ...(metadata ? { metadata } : {}) },
      }),
    onSuccess: () => {
      onStored(form.namespace);
      setForm({ ...form, key: "", metadata: "", content: "" });
    },
  });
  const submit = () => {
    const meta = parseMetadata(form.metadata);
    if (!meta.ok) return setMetaError(meta.message);
    setMetaError(null);
    store.mutate(meta.value);
  };
  const namespaceError = store.error instanceof ApiError && store.error.status === 422 && !store.error.fields.length ? store.error.message : undefined;
  return (
    <Card withBorder component="form" noValidate aria-label="Store a document" onSubmit={(e: React.FormEvent) => (e.preventDefault(), submit())}>
      <Stack gap="sm">
        <Title order={4}>Store a document</Title>
        <Group grow align="start">
          <TextInput label="Namespace" required value={form.namespace} onChange={(e) => setForm({ ...form, namespace: e.currentTarget.value })} error={fieldError(store.error, "namespace") ?? namespaceError} />
          <TextInput label="Key" description="Empty: derived from the content" value={form.key} onChange={(e) => setForm({ ...form, key: e.currentTarget.value })} error={fieldError(store.error, "key")} />
        </Group>
        <Textarea label="Content" required autosize minRows={4} maxRows={12} value={form.content} onChange={(e) => setForm({ ...form, content: e.currentTarget.value })} error={fieldError(store.error, "content")} />
        <JsonInput label="Metadata" placeholder='{ "source": "wiki" }' autosize minRows={2} value={form.metadata} onChange={(v) => (setForm({ ...form, metadata: v }), setMetaError(null))} error={metaError ?? fieldError(store.error, "metadata")} />
        <Group>
          <Button type="submit" loading={store.isPending}>
            Store
          </Button>
          {store.data ? (
            <Text size="sm" role="status">
              {store.data.key}: {store.data.status}, {store.data.chunks} {store.data.chunks === 1 ? "chunk" : "chunks"}
            </Text>
          ) : null}
        </Group>
        {store.error && !(store.error instanceof ApiError && store.error.status === 422) ? <ErrorAlert error={store.error} /> : null}
      </Stack>
    </Card>
  );
}

/** The search playground: a query over chosen namespaces; scores, and whether vectors or full-text answered. */
function SearchPlayground({ scope, namespaces }: { scope: string; namespaces: string[] }) {
  const [q, setQ] = useState("");
  const [namespace, setNamespace] = useState<string | null>(null);
  const [limit, setLimit] = useState<number | string>(5);
  const search = useMutation({
    mutationFn: () => api<SearchResult>(`/api/knowledge/search${query({ scope })}`, { method: "POST", body: { query: q, ...(namespace ? { namespace } : {}), limit: Number(limit) || 5 } }),
  });
  return (
    <Card withBorder component="form" noValidate aria-label="Search" onSubmit={(e: React.FormEvent) => (e.preventDefault(), search.mutate())}>
      <Stack gap="sm">
        <Title order={4}>Search playground</Title>
        <Group align="start" grow>
          <TextInput label="Query" required value={q} onChange={(e) => setQ(e.currentTarget.value)} error={fieldError(search.error, "query")} />
          <Select label="Search namespace" data={namespaces} value={namespace} onChange={setNamespace} placeholder="default" clearable comboboxProps={{ withinPortal: true }} />
          <NumberInput label="Results" min={1} max={100} value={limit} onChange={setLimit} error={fieldError(search.error, "limit")} />
        </Group>
        <Group>
          <Button type="submit" loading={search.isPending}>
            Search
          </Button>
        </Group>
        {search.error && !(search.error instanceof ApiError && search.error.fields.length) ? <ErrorAlert error={search.error} /> : null}
        {search.data ? (
          <Stack gap="xs" role="region" aria-label="Search results">
            <Group gap="xs">
              <Badge color={search.data.mode === "vector" ? "grape" : "blue"} aria-label={`mode ${search.data.mode}`}>
                {search.data.mode === "vector" ? "vector search" : "full-text search"}
              </Badge>
              {search.data.model ? <Text size="sm">model {search.data.model}</Text> : <Text size="sm">no embedding provider: ranked by words</Text>}
              {search.data.pendingChunks ? <Text size="sm">{search.data.pendingChunks} chunks still wait for a vector</Text> : null}
            </Group>
            {search.data.results.length === 0 ? (
              <Empty title="Nothing matches" />
            ) : (
              <Table aria-label="Results">
                <TableHead headings={["Score", "Document", "Best chunk"]} />
                <Table.Tbody>
                  {search.data.results.map((r) => (
                    <Table.Tr key={`${r.scope}/${r.namespace}/${r.key}`}>
                      <Table.Td>
                        <Code>{r.score.toFixed(3)}</Code>
                      </Table.Td>
                      <Table.Td>
                        {r.key}
                        <Text size="xs" c="dimmed">
                          {r.namespace} · {r.scope}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" lineClamp={3}>
                          {r.content}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
          </Stack>
        ) : null}
      </Stack>
    </Card>
  );
}

/** One document: its content, metadata and chunk count. */
function DocumentView({ scope, namespace, docKey, onClose }: { scope: string; namespace: string; docKey: string; onClose(): void }) {
  const { org } = useOrg();
  const doc = useQuery({
    queryKey: [org, "knowledge-doc", scope, namespace, docKey],
    queryFn: () => api<KnowledgeDocument>(`/api/knowledge/namespaces/${encodeURIComponent(namespace)}/documents/${encodeURIComponent(docKey)}${query({ scope })}`),
  });
  return (
    <Modal closeButtonProps={{ "aria-label": "Close" }} opened onClose={onClose} title={`${namespace} / ${docKey}`} size="lg">
      {doc.error ? (
        <ErrorAlert error={doc.error} />
      ) : !doc.data ? (
        <LoadingRows rows={3} />
      ) : (
        <Stack gap="sm">
          <Text size="sm">
            {doc.data.chunks} {doc.data.chunks === 1 ? "chunk" : "chunks"} · scope {doc.data.scope}
            {doc.data.models.length ? ` · vectors of ${doc.data.models.join(", ")}` : " · no vectors"}
          </Text>
          <Text fw={600} size="sm">
            Metadata
          </Text>
          <JsonTree value={doc.data.metadata} />
          <Text fw={600} size="sm">
            Content
          </Text>
          <Code block style={{ whiteSpace: "pre-wrap" }} aria-label="Content">
            {doc.data.content}
          </Code>
        </Stack>
      )}
    </Modal>
  );
}

/** Knowledge of a scope: namespaces, their documents, storing pasted text, and a search playground. */
export function KnowledgePage() {
  const me = useMe();
  const { org } = useOrg();
  const client = useQueryClient();
  const [params, setParams] = useSearchParams();
  const who = me.data!;
  const scope = params.get("scope") ?? defaultScope(who, org);
  const canWrite = canWriteScope(who, org, scope);
  const selected = params.get("namespace");
  const [viewing, setViewing] = useState<string | null>(null);
  const set = (name: string, value: string | null) =>
    setParams((p) => {
      const next = new URLSearchParams(p);
      if (value) next.set(name, value);
      else next.delete(name);
      if (name === "scope") next.delete("namespace");
      return next;
    });
  const nsKey = [org, "knowledge-namespaces", scope];
  const namespaces = useQuery({ queryKey: nsKey, queryFn: () => api<{ namespaces: NamespaceInfo[] }>(`/api/knowledge/namespaces${query({ scope })}`) });
  const docsKey = [org, "knowledge-docs", scope, selected];
  const docs = useQuery({
    queryKey: docsKey,
    enabled: !!selected,
    queryFn: () => api<{ documents: DocumentRow[]; total: number }>(`/api/knowledge/namespaces/${encodeURIComponent(selected!)}/documents${query({ scope, limit: 100 })}`),
  });
  const refresh = () => Promise.all([client.invalidateQueries({ queryKey: nsKey }), client.invalidateQueries({ queryKey: [org, "knowledge-docs", scope] })]);
  const removeDoc = useMutation({
    mutationFn: (key: string) => api(`/api/knowledge/namespaces/${encodeURIComponent(selected!)}/documents/${encodeURIComponent(key)}${query({ scope })}`, { method: "DELETE" }),
    onSettled: refresh,
  });
  const removeNs = useMutation({
    mutationFn: (ns: string) => api(`/api/knowledge/namespaces/${encodeURIComponent(ns)}${query({ scope })}`, { method: "DELETE" }),
    onSuccess: (_, ns) => ns === selected && set("namespace", null),
    onSettled: refresh,
  });
  const names = namespaces.data?.namespaces.map((n) => n.namespace) ?? [];

  return (
    <Stack>
      <Title order={2}>Knowledge</Title>
      <ScopeSelect scope={scope} setScope={(v) => set("scope", v)} choices={scopeChoices(who, org)} />
      {removeNs.error ? <ErrorAlert error={removeNs.error} /> : null}
      {namespaces.error ? (
        <ErrorAlert error={namespaces.error} />
      ) : namespaces.isPending ? (
        <LoadingRows rows={3} />
      ) : namespaces.data.namespaces.length === 0 ? (
        <Empty title="No knowledge in this scope">Store a document below, or from a workflow with `knowledge.store`.</Empty>
      ) : (
        <Table aria-label="Namespaces">
          <TableHead headings={["Namespace", "Documents", "Chunks", "Updated", <ActionsHeader />]} />
          <Table.Tbody>
            {namespaces.data.namespaces.map((n) => (
              <Table.Tr key={`${n.scope}/${n.namespace}`}>
                <Table.Td>
                  <Button variant={n.namespace === selected ? "filled" : "subtle"} size="compact-sm" aria-pressed={n.namespace === selected} aria-label={`Open namespace ${n.namespace}`} onClick={() => set("namespace", n.namespace)}>
                    {n.namespace}
                  </Button>
                </Table.Td>
                <Table.Td>{n.documents}</Table.Td>
                <Table.Td>{n.chunks}</Table.Td>
                <Table.Td>{new Date(n.updatedAt).toLocaleString()}</Table.Td>
                <Table.Td>
                  {canWrite ? (
                    <RowButton label="Delete" of={`namespace ${n.namespace}`} danger onClick={() => removeNs.mutate(n.namespace)} />
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {selected ? (
        <Card withBorder role="region" aria-label={`Documents of ${selected}`}>
          <Stack gap="xs">
            <Group justify="space-between">
              <Title order={4}>Documents of {selected}</Title>
              {docs.data ? (
                <Text size="sm" c="dimmed">
                  {docs.data.documents.length < docs.data.total ? `the first ${docs.data.documents.length} of ${docs.data.total}` : `${docs.data.total} ${docs.data.total === 1 ? "document" : "documents"}`}
                </Text>
              ) : null}
            </Group>
            {removeDoc.error ? <ErrorAlert error={removeDoc.error} /> : null}
            {docs.error ? (
              <ErrorAlert error={docs.error} />
            ) : !docs.data ? (
              <LoadingRows rows={2} />
            ) : docs.data.documents.length === 0 ? (
              <Empty title="No documents" />
            ) : (
              <Table aria-label="Documents">
                <TableHead headings={["Key", "Characters", "Chunks", "Metadata", <ActionsHeader />]} />
                <Table.Tbody>
                  {docs.data.documents.map((d) => (
                    <Table.Tr key={d.key}>
                      <Table.Td>{d.key}</Table.Td>
                      <Table.Td>{d.length}</Table.Td>
                      <Table.Td>{d.chunks}</Table.Td>
                      <Table.Td>
                        <Code>{JSON.stringify(d.metadata)}</Code>
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4} wrap="nowrap">
                          <RowButton label="View" of={d.key} onClick={() => setViewing(d.key)} />
                          {canWrite ? (
                            <RowButton label="Delete" of={d.key} danger onClick={() => removeDoc.mutate(d.key)} />
                          ) : null}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
          </Stack>
        </Card>
      ) : null}
      <SimpleGrid cols={{ base: 1, lg: canWrite ? 2 : 1 }}>
        {canWrite ? <StoreForm key={scope} scope={scope} namespace={selected ?? "default"} onStored={(ns) => (set("namespace", ns), void refresh())} /> : null}
        <SearchPlayground key={scope} scope={scope} namespaces={names} />
      </SimpleGrid>
      {viewing && selected ? <DocumentView scope={scope} namespace={selected} docKey={viewing} onClose={() => setViewing(null)} /> : null}
    </Stack>
  );
}
