import { useState } from "react";
import { Anchor, Button, Card, Code, Group, JsonInput, Modal, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "react-router";
import { api, ApiError, query } from "../lib/api.js";
import { fieldError } from "../lib/form-errors.js";
import { useMe, useOrg } from "../lib/session.js";
import { canWriteScope, defaultScope, scopeChoices } from "../lib/scope.js";
import { buildWhere, OPERATORS, type Condition, type Operator } from "../lib/where.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";
import { ScopeSelect } from "../components/scope-select.js";
import { ActionsHeader, RowButton, TableHead } from "../components/data-table.js";
import { ConfirmModal } from "../components/confirm.js";

interface TableInfo {
  name: string;
  scope: string;
  documentCount: number;
  createdAt: string;
}

type Doc = Record<string, unknown> & { id: string };

interface QueryPage {
  documents: Doc[];
  total: number;
  limit: number;
  offset: number;
}

const PAGE_SIZE = 20;

/** Every 422 field problem as "path: message" lines (for an editor holding a whole document). */
const allFieldMessages = (error: unknown): string | undefined =>
  error instanceof ApiError && error.fields.length ? error.fields.map((f) => (f.path ? `${f.path}: ${f.message}` : f.message)).join("; ") : undefined;

/** The scope in the URL (`?scope=`), else the organization acted in, else global. */
function useScope() {
  const me = useMe();
  const { org } = useOrg();
  const [params, setParams] = useSearchParams();
  const who = me.data!;
  const scope = params.get("scope") ?? defaultScope(who, org);
  const setScope = (s: string) =>
    setParams((p) => {
      const next = new URLSearchParams(p);
      next.set("scope", s);
      next.delete("page");
      return next;
    });
  return { scope, setScope, choices: scopeChoices(who, org), canWrite: canWriteScope(who, org, scope), params, setParams };
}

/** Tables of a scope (global or an organization): their counts; create and drop. */
export function TablesPage() {
  const { scope, setScope, choices, canWrite } = useScope();
  const { org } = useOrg();
  const client = useQueryClient();
  const key = [org, "tables", scope];
  const list = useQuery({ queryKey: key, queryFn: () => api<{ tables: TableInfo[] }>(`/api/tables${query({ scope })}`) });
  const [name, setName] = useState("");
  const [dropping, setDropping] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => api<TableInfo>(`/api/tables${query({ scope })}`, { method: "POST", body: { name } }),
    onSuccess: () => {
      setName("");
      void client.invalidateQueries({ queryKey: key });
    },
  });
  const drop = useMutation({
    mutationFn: (table: string) => api(`/api/tables/${encodeURIComponent(table)}${query({ scope })}`, { method: "DELETE" }),
    onSuccess: () => setDropping(null),
    onSettled: () => client.invalidateQueries({ queryKey: key }),
  });

  return (
    <Stack>
      <Title order={2}>Tables</Title>
      <Group align="end">
        <ScopeSelect scope={scope} setScope={setScope} choices={choices} />
      </Group>
      {canWrite ? (
        <Card withBorder component="form" noValidate aria-label="Create a table" onSubmit={(e: React.FormEvent) => (e.preventDefault(), create.mutate())}>
          <Group align="start">
            <TextInput label="Table name" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(create.error, "name")} w={280} />
            <Button type="submit" loading={create.isPending} mt={25}>
              Create table
            </Button>
          </Group>
          {create.error && !fieldError(create.error, "name") ? <ErrorAlert error={create.error} /> : null}
        </Card>
      ) : null}
      {drop.error ? <ErrorAlert error={drop.error} /> : null}
      {list.error ? (
        <ErrorAlert error={list.error} />
      ) : list.isPending ? (
        <LoadingRows />
      ) : list.data.tables.length === 0 ? (
        <Empty title="No tables in this scope">Workflows create them with `tables.create`.</Empty>
      ) : (
        <Table aria-label="Tables">
          <TableHead headings={["Name", "Documents", "Created", <ActionsHeader />]} />
          <Table.Tbody>
            {list.data.tables.map((t) => (
              <Table.Tr key={t.name}>
                <Table.Td>
                  <Anchor component={Link} to={`/tables/${encodeURIComponent(t.name)}${query({ scope })}`}>
                    {t.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>{t.documentCount}</Table.Td>
                <Table.Td>{new Date(t.createdAt).toLocaleString()}</Table.Td>
                <Table.Td>
                  {canWrite ? (
                    <RowButton label="Drop" of={t.name} danger onClick={() => setDropping(t.name)} />
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <ConfirmModal opened={dropping !== null} title={`Drop table ${dropping ?? ""}?`} confirmLabel="Drop table" loading={drop.isPending} onKeep={() => setDropping(null)} onConfirm={() => dropping && drop.mutate(dropping)}>
        The table and every document in it are deleted.
      </ConfirmModal>
    </Stack>
  );
}

function FilterBuilder({ conditions, onChange, error }: { conditions: Condition[]; onChange(c: Condition[]): void; error: unknown }) {
  const set = (i: number, patch: Partial<Condition>) => onChange(conditions.map((c, j) => (j === i ? { ...c, ...patch } : c)));
  const rowError = (c: Condition) =>
    error instanceof ApiError ? error.fields.find((f) => f.path === `where.${c.field.trim()}` || f.path.startsWith(`where.${c.field.trim()}.`))?.message : undefined;
  return (
    <Stack gap="xs">
      {conditions.map((c, i) => (
        <Group key={i} align="start" role="group" aria-label={`Condition ${i + 1}`}>
          <TextInput label="Field" placeholder="specs.ram" value={c.field} onChange={(e) => set(i, { field: e.currentTarget.value })} error={rowError(c)} w={200} />
          <Select label="Operator" data={[...OPERATORS]} value={c.op} onChange={(v) => v && set(i, { op: v as Operator })} allowDeselect={false} w={140} comboboxProps={{ withinPortal: true }} />
          <TextInput
            label="Value"
            placeholder={c.op === "in" ? "a, b, 3" : c.op === "isNull" ? "true" : '8, true, "8"'}
            value={c.value}
            onChange={(e) => set(i, { value: e.currentTarget.value })}
            w={200}
          />
          <Button variant="subtle" color="red" mt={25} aria-label={`Remove condition ${i + 1}`} onClick={() => onChange(conditions.filter((_, j) => j !== i))}>
            Remove
          </Button>
        </Group>
      ))}
      <Text size="xs" c="dimmed">
        Values are typed: 8 is a number, "8" (quoted) a string; true, false and null are themselves. For in, separate values with commas.
      </Text>
    </Stack>
  );
}

/** A document's JSON in an editor with validation; the server's field problems show below it. */
function DocumentEditor({ title, initial, readOnly, save, onClose }: { title: string; initial: string; readOnly: boolean; save(doc: Record<string, unknown>): Promise<unknown>; onClose(): void }) {
  const [text, setText] = useState(initial);
  const [localError, setLocalError] = useState<string | null>(null);
  const mutation = useMutation({ mutationFn: save, onSuccess: onClose });
  const submit = () => {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return setLocalError("Not valid JSON");
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return setLocalError("A document is a JSON object: { … }");
    setLocalError(null);
    mutation.mutate(doc as Record<string, unknown>);
  };
  const serverError = allFieldMessages(mutation.error);
  return (
    <Modal closeButtonProps={{ "aria-label": "Close" }} opened onClose={onClose} title={title} size="lg">
      <Stack>
        <JsonInput
          label="Document"
          value={text}
          onChange={(v) => (setText(v), setLocalError(null))}
          readOnly={readOnly}
          validationError="Not valid JSON"
          formatOnBlur
          autosize
          minRows={8}
          maxRows={24}
          error={localError ?? serverError}
        />
        {mutation.error && !serverError ? <ErrorAlert error={mutation.error} /> : null}
        <Group justify="end">
          <Button variant="default" onClick={onClose}>
            {readOnly ? "Close" : "Cancel"}
          </Button>
          {readOnly ? null : (
            <Button onClick={submit} loading={mutation.isPending}>
              Save document
            </Button>
          )}
        </Group>
      </Stack>
    </Modal>
  );
}

/** The `?filter=` rows (JSON), or none when it is missing or not rows. */
function readConditions(text: string | null): Condition[] {
  if (!text) return [];
  try {
    const rows: unknown = JSON.parse(text);
    return Array.isArray(rows) ? rows.filter((r): r is Condition => typeof r?.field === "string" && OPERATORS.includes(r?.op) && typeof r?.value === "string") : [];
  } catch {
    return [];
  }
}

const preview = (doc: Doc) => {
  const { id: _id, ...rest } = doc;
  const s = JSON.stringify(rest);
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
};

/** One table's documents: a filter built from the query operators, order, pages; view, edit, insert, delete. */
export function TablePage() {
  const { table = "" } = useParams();
  const { scope, canWrite, params, setParams, choices } = useScope();
  const scopeName = choices.find((c) => c.value === scope)?.label ?? scope;
  const { org } = useOrg();
  const client = useQueryClient();
  const page = Math.max(Number(params.get("page")) || 1, 1);
  // The applied filter, order and page live in the URL (a link or a reload shows the same documents).
  const applied = readConditions(params.get("filter"));
  const orderBy = params.get("orderBy") ?? "";
  const orderDir = params.get("dir") === "desc" ? "desc" : "asc";
  const [draft, setDraft] = useState<Condition[]>(applied);
  const [draftOrder, setDraftOrder] = useState({ by: orderBy, dir: orderDir as "asc" | "desc" });
  const [editing, setEditing] = useState<Doc | "new" | null>(null);
  const [deleting, setDeleting] = useState<Doc | null>(null);
  const where = buildWhere(applied);
  const base = `/api/tables/${encodeURIComponent(table)}`;
  const key = [org, "table", scope, table];
  const info = useQuery({ queryKey: [...key, "info"], queryFn: () => api<TableInfo>(`${base}${query({ scope })}`) });
  const docs = useQuery({
    queryKey: [...key, "docs", where, orderBy, orderDir, page],
    queryFn: () =>
      api<QueryPage>(`${base}/query${query({ scope })}`, {
        method: "POST",
        body: { where, ...(orderBy ? { orderBy, orderDir } : {}), limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE },
      }),
  });
  const refresh = () => client.invalidateQueries({ queryKey: key });
  const remove = useMutation({
    mutationFn: (doc: Doc) => api(`${base}/documents/${encodeURIComponent(doc.id)}${query({ scope })}`, { method: "DELETE" }),
    onSuccess: () => setDeleting(null),
    onSettled: refresh,
  });
  const setPage = (p: number) =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      if (p > 1) next.set("page", String(p));
      else next.delete("page");
      return next;
    });
  const apply = () =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      const rows = draft.filter((c) => c.field.trim());
      if (rows.length) next.set("filter", JSON.stringify(rows));
      else next.delete("filter");
      if (draftOrder.by.trim()) next.set("orderBy", draftOrder.by.trim());
      else next.delete("orderBy");
      if (draftOrder.dir === "desc") next.set("dir", "desc");
      else next.delete("dir");
      next.delete("page");
      return next;
    });
  const pages = docs.data ? Math.max(Math.ceil(docs.data.total / PAGE_SIZE), 1) : 1;
  const filterError = docs.error instanceof ApiError && docs.error.status === 422 ? docs.error : null;

  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Title order={2}>Table {table}</Title>
          <Text size="sm" c="dimmed">
            <Anchor component={Link} to={`/tables${query({ scope })}`} underline="always">
              Tables
            </Anchor>{" "}
            · {scopeName} · {info.data ? `${info.data.documentCount} documents` : "…"}
          </Text>
        </div>
        {canWrite ? <Button onClick={() => setEditing("new")}>Insert document</Button> : null}
      </Group>
      {info.error ? <ErrorAlert error={info.error} /> : null}
      <Card withBorder component="form" noValidate aria-label="Filter" onSubmit={(e: React.FormEvent) => (e.preventDefault(), apply())}>
        <Stack gap="sm">
          <FilterBuilder conditions={draft} onChange={setDraft} error={filterError} />
          <Group align="end">
            <Button variant="default" onClick={() => setDraft([...draft, { field: "", op: "eq", value: "" }])}>
              Add condition
            </Button>
            <TextInput label="Order by" placeholder="field path" value={draftOrder.by} onChange={(e) => setDraftOrder({ ...draftOrder, by: e.currentTarget.value })} w={180} />
            <Select label="Direction" data={["asc", "desc"]} value={draftOrder.dir} onChange={(v) => setDraftOrder({ ...draftOrder, dir: v === "desc" ? "desc" : "asc" })} allowDeselect={false} w={100} comboboxProps={{ withinPortal: true }} />
            <Button type="submit">Apply filter</Button>
          </Group>
          <Text size="sm">
            where: <Code aria-label="Where">{JSON.stringify(buildWhere(draft))}</Code>
          </Text>
          {filterError ? (
            <Text c="red" size="sm" role="alert">
              {filterError.fields.map((f) => `${f.path}: ${f.message}`).join("; ") || filterError.message}
            </Text>
          ) : null}
        </Stack>
      </Card>
      {remove.error ? <ErrorAlert error={remove.error} /> : null}
      {docs.error && !filterError ? (
        <ErrorAlert error={docs.error} />
      ) : docs.isPending || !docs.data ? (
        filterError ? null : <LoadingRows />
      ) : (
        <>
          <Text size="sm" aria-label="Matches">
            {docs.data.total} {docs.data.total === 1 ? "document matches" : "documents match"}
          </Text>
          {docs.data.documents.length === 0 ? (
            <Empty title="No documents">{applied.length ? "None matches this filter." : "Insert one, or let a workflow write them."}</Empty>
          ) : (
            <Table aria-label="Documents">
              <TableHead headings={["id", "Document", <ActionsHeader />]} />
              <Table.Tbody>
                {docs.data.documents.map((d) => (
                  <Table.Tr key={d.id}>
                    <Table.Td>
                      <Code style={{ whiteSpace: "nowrap" }}>{d.id}</Code>
                    </Table.Td>
                    <Table.Td>
                      <Code style={{ wordBreak: "break-all" }}>{preview(d)}</Code>
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4} wrap="nowrap">
                        <Button size="xs" variant="subtle" aria-label={`${canWrite ? "Edit" : "View"} ${d.id}`} onClick={() => setEditing(d)}>
                          {canWrite ? "Edit" : "View"}
                        </Button>
                        {canWrite ? (
                          <RowButton label="Delete" of={d.id} danger onClick={() => setDeleting(d)} />
                        ) : null}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          <Group>
            <Button variant="default" disabled={page <= 1} onClick={() => setPage(page - 1)}>
              Previous page
            </Button>
            <Text size="sm">
              Page {page} of {pages}
            </Text>
            <Button variant="default" disabled={page >= pages} onClick={() => setPage(page + 1)}>
              Next page
            </Button>
          </Group>
        </>
      )}
      {editing !== null ? (
        <DocumentEditor
          key={editing === "new" ? "new" : editing.id}
          readOnly={!canWrite}
          title={editing === "new" ? "Insert a document" : canWrite ? `Edit ${editing.id}` : editing.id}
          initial={editing === "new" ? "{\n  \n}" : JSON.stringify(editing, null, 2)}
          onClose={() => setEditing(null)}
          save={async (doc) => {
            if (editing === "new") await api(`${base}/documents${query({ scope })}`, { method: "POST", body: doc });
            else await api(`${base}/documents/${encodeURIComponent(editing.id)}${query({ scope })}`, { method: "PUT", body: doc });
            await refresh();
          }}
        />
      ) : null}
      <ConfirmModal opened={deleting !== null} title={`Delete document ${deleting?.id ?? ""}?`} confirmLabel="Delete document" loading={remove.isPending} onKeep={() => setDeleting(null)} onConfirm={() => deleting && remove.mutate(deleting)} />
    </Stack>
  );
}
