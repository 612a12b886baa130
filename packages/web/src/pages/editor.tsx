import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Alert, Badge, Button, Card, Grid, Group, Modal, ScrollArea, Select, Stack, Text, TextInput, Title, Tree, UnstyledButton, VisuallyHidden, useTree, type TreeNodeData } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useBlocker } from "react-router";
import { isWorkflowName, TEMPLATE_TITLES, WORKFLOW_TEMPLATES, workflowTemplate, type WorkflowTemplate } from "@bifrost/contracts/templates.js";
import { api, query } from "../lib/api.js";
import { loadDeclarations, MAX_WORKSPACE_SOURCES, modelUri, monaco, setWorkspaceSources } from "../lib/monaco.js";
import { useMe, useOrg } from "../lib/session.js";
import type { Workflow } from "../lib/types.js";
import { ErrorAlert, LoadingRows } from "../components/states.js";
import { EditorRunPanel } from "../components/editor-run-panel.js";

interface TreeEntry {
  name: string;
  path: string;
  type: "file" | "directory";
  children?: TreeEntry[];
}

/** A workflow as the editor endpoints answer it: with the export that defines it. */
type EditorWorkflow = Workflow & { exportName: string; filePath: string };

interface LoadError {
  exportName: string | null;
  message: string;
  line: number | null;
  column: number | null;
}

interface Registration {
  workflows: EditorWorkflow[];
  loadErrors: LoadError[];
}

interface OpenedFile extends Registration {
  path: string;
  content: string;
  encoding: "utf8" | "base64";
}

interface Problem {
  line: number;
  column: number;
  message: string;
  source: "TypeScript" | "Load error";
}

/** The templates a new file can start from (the same ones `POST /api/workflows` takes). */
const TEMPLATE_KINDS: { value: WorkflowTemplate | "blank"; label: string }[] = [{ value: "blank", label: "Empty file" }, ...WORKFLOW_TEMPLATES.map((value) => ({ value, label: TEMPLATE_TITLES[value] }))];

const parentOf = (path: string) => (path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "");
const within = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function toTreeData(entries: TreeEntry[], dirty: string | null): TreeNodeData[] {
  return entries.map((e) => ({
    value: e.path,
    label: e.name,
    nodeProps: { type: e.type, dirty: e.path === dirty },
    ...(e.type === "directory" ? { children: toTreeData(e.children ?? [], dirty) } : {}),
  }));
}

/** Every TypeScript file of the tree, for the TypeScript service (imports between files). */
function typeScriptFiles(entry: TreeEntry | undefined, found: string[] = []): string[] {
  if (!entry || found.length >= MAX_WORKSPACE_SOURCES) return found;
  if (entry.type === "file" && /\.(ts|tsx|mts)$/.test(entry.path)) found.push(entry.path);
  for (const child of entry.children ?? []) typeScriptFiles(child, found);
  return found;
}

function findEntry(entries: TreeEntry[], path: string): TreeEntry | null {
  for (const e of entries) {
    if (e.path === path) return e;
    const inner = e.children ? findEntry(e.children, path) : null;
    if (inner) return inner;
  }
  return null;
}

/** The registered workflow whose `export` is the nearest one at or above the cursor's line. */
export function workflowAt(workflows: EditorWorkflow[], source: string, line: number): EditorWorkflow | null {
  const lines = source.split("\n");
  const declared = workflows
    .map((w) => ({ w, line: lines.findIndex((l) => new RegExp(`\\bexport\\s+(?:const|let|var|function)\\s+${escapeRegExp(w.exportName)}\\b`).test(l)) + 1 }))
    .filter((d) => d.line > 0)
    .sort((a, b) => a.line - b.line);
  let pick = declared[0]?.w ?? workflows[0] ?? null;
  for (const d of declared) if (d.line <= line) pick = d.w;
  return pick;
}

function loadErrorMarkers(model: monaco.editor.ITextModel, errors: LoadError[]): monaco.editor.IMarkerData[] {
  return errors.map((e) => {
    const line = Math.min(Math.max(e.line ?? 1, 1), model.getLineCount());
    const column = Math.min(Math.max(e.column ?? 1, 1), model.getLineMaxColumn(line));
    const end = model.getWordAtPosition({ lineNumber: line, column })?.endColumn;
    return {
      severity: monaco.MarkerSeverity.Error,
      message: e.message,
      source: "bifrost",
      startLineNumber: line,
      startColumn: e.column ? column : 1,
      endLineNumber: line,
      endColumn: e.column && end && end > column ? end : model.getLineMaxColumn(line),
    };
  });
}

/**
 * The workspace editor (engineers and admins): the file tree with create, rename, move and
 * delete; Monaco with the SDK's types; Ctrl/Cmd-S saves and shows what registered (load
 * errors as markers); the Run panel runs the workflow under the cursor. Unsaved edits are
 * never lost silently: switching file, leaving the page or closing the tab asks first.
 */
export function EditorPage() {
  const me = useMe();
  if (me.data?.level === "orgMember") {
    return (
      <Alert color="orange" title="No access to the editor" role="alert">
        The workspace editor is for engineers and admins. Ask a platform admin if you need a workflow changed.
      </Alert>
    );
  }
  return <Editor />;
}

function Editor() {
  const me = useMe();
  const { org } = useOrg();
  const client = useQueryClient();
  const canWrite = me.data?.level === "platformAdmin";
  const treeKey = [org, "editor-tree"];
  const treeQuery = useQuery({ queryKey: treeKey, queryFn: () => api<{ tree: TreeEntry; truncated: boolean }>("/api/files/editor/tree") });
  const types = useQuery({ queryKey: ["editor-types"], queryFn: () => loadDeclarations().then(() => true), staleTime: Infinity, retry: false });
  const sourcePaths = useMemo(() => typeScriptFiles(treeQuery.data?.tree), [treeQuery.data]);
  const sourcesKey = [org, "editor-sources", sourcePaths];
  const sources = useQuery({
    queryKey: sourcesKey,
    queryFn: () =>
      Promise.all(
        sourcePaths.map(async (path) => {
          const f = await api<OpenedFile>(`/api/files/editor/file${query({ path })}`);
          return { path, content: f.encoding === "utf8" ? f.content : "" };
        }),
      ),
    enabled: types.isSuccess && sourcePaths.length > 0,
  });

  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const savedVersion = useRef(0);
  const [file, setFile] = useState<OpenedFile | null>(null);
  const [dirty, setDirty] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [cursorLine, setCursorLine] = useState(1);
  const [saveInfo, setSaveInfo] = useState<{ at: Date; ms: number } | null>(null);
  const [pending, setPending] = useState<{ what: string; proceed: () => void; cancel?: () => void } | null>(null);
  const [dialog, setDialog] = useState<null | "file" | "folder" | "move" | "delete">(null);
  const tree = useTree();

  // Monaco: one editor for the page's life; each opened file gets its own model.
  useEffect(() => {
    if (!host.current) return;
    const editor = monaco.editor.create(host.current, {
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 13,
      fixedOverflowWidgets: true,
      ariaLabel: "Code editor",
      readOnly: true,
      scrollBeyondLastLine: false,
      // (The default dims the last line's number below WCAG AA contrast.)
      renderFinalNewline: "on",
    });
    editorRef.current = editor;
    const cursor = editor.onDidChangeCursorPosition((e) => setCursorLine(e.position.lineNumber));
    const content = editor.onDidChangeModelContent(() => setDirty(editor.getModel()?.getAlternativeVersionId() !== savedVersion.current));
    const markers = monaco.editor.onDidChangeMarkers((uris) => {
      const model = editor.getModel();
      if (!model || !uris.some((u) => u.toString() === model.uri.toString())) return;
      setProblems(
        monaco.editor
          .getModelMarkers({ resource: model.uri })
          .filter((m) => m.severity === monaco.MarkerSeverity.Error)
          .map((m): Problem => ({ line: m.startLineNumber, column: m.startColumn, message: m.message, source: m.owner === "bifrost" ? "Load error" : "TypeScript" }))
          .sort((a, b) => a.line - b.line || a.column - b.column),
      );
    });
    return () => {
      cursor.dispose();
      content.dispose();
      markers.dispose();
      editor.getModel()?.dispose();
      editor.dispose();
      editorRef.current = null;
    };
  }, []);

  useEffect(() => {
    editorRef.current?.updateOptions({ readOnly: !canWrite || !file || file.encoding !== "utf8" });
  }, [canWrite, file]);

  const showRegistration = useCallback((registration: Registration) => {
    const model = editorRef.current?.getModel();
    if (model) monaco.editor.setModelMarkers(model, "bifrost", loadErrorMarkers(model, registration.loadErrors));
    setFile((f) => (f ? { ...f, ...registration } : f));
  }, []);

  /** Shows a file (the caller has already confirmed discarding edits). */
  const openNow = useCallback(
    async (path: string | null) => {
      const editor = editorRef.current;
      if (!editor) return;
      const old = editor.getModel();
      setProblems([]);
      setSaveInfo(null);
      if (path === null) {
        editor.setModel(null);
        old?.dispose();
        setFile(null);
        setDirty(false);
        return;
      }
      const opened = await api<OpenedFile>(`/api/files/editor/file${query({ path })}`);
      monaco.editor.getModel(modelUri(path))?.dispose();
      const model = monaco.editor.createModel(opened.encoding === "utf8" ? opened.content : "(a binary file: not shown)", undefined, modelUri(path));
      editor.setModel(model);
      if (old && old !== model && !old.isDisposed()) old.dispose();
      savedVersion.current = model.getAlternativeVersionId();
      setDirty(false);
      setFile(opened);
      setCursorLine(1);
      monaco.editor.setModelMarkers(model, "bifrost", loadErrorMarkers(model, opened.loadErrors));
    },
    [],
  );

  /** Runs `action` now, or after the person agrees to lose the unsaved edits. */
  const guard = useCallback(
    (action: () => void) => {
      if (!dirty) return action();
      setPending({ what: file?.path ?? "this file", proceed: action });
    },
    [dirty, file?.path],
  );

  const [openError, setOpenError] = useState<unknown>(null);
  const open = (path: string | null) =>
    guard(() => {
      if (path !== null) setSelected(path);
      setOpenError(null);
      openNow(path).catch(setOpenError);
    });

  const save = useMutation({
    mutationFn: async () => {
      const model = editorRef.current?.getModel();
      if (!model || !file) throw new Error("No file is open");
      const version = model.getAlternativeVersionId();
      const started = performance.now();
      const answer = await api<Registration>("/api/files/editor/file", { method: "POST", body: { path: file.path, content: model.getValue() } });
      return { answer, version, ms: Math.round(performance.now() - started) };
    },
    onSuccess: ({ answer, version, ms }) => {
      savedVersion.current = version;
      setDirty(editorRef.current?.getModel()?.getAlternativeVersionId() !== version);
      showRegistration(answer);
      setSaveInfo({ at: new Date(), ms });
      void client.invalidateQueries({ queryKey: treeKey });
      void client.invalidateQueries({ queryKey: [org, "editor-sources"] });
      void client.invalidateQueries({ predicate: (q) => q.queryKey.includes("workflows") || q.queryKey.includes("workflow") });
    },
  });
  // The other workspace files, for imports between them (the open one is the editor's model).
  useEffect(() => {
    if (sources.data) setWorkspaceSources(sources.data, file?.path ?? null);
  }, [sources.data, file?.path]);
  useEffect(() => () => setWorkspaceSources([], null), []);
  const saveRef = useRef(() => {});
  saveRef.current = () => {
    if (canWrite && file?.encoding === "utf8" && !save.isPending) save.mutate();
  };
  useEffect(() => {
    const editor = editorRef.current;
    editor?.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => saveRef.current());
    // Outside the editor too (the tree, the panel): the browser's "save page" is never wanted here.
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s" && !e.defaultPrevented) {
        e.preventDefault();
        saveRef.current();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // Leaving with unsaved edits: closing the tab or reloading (the browser asks), and links in the app.
  useEffect(() => {
    if (!dirty) return;
    const onUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = "";
    };
    window.addEventListener("beforeunload", onUnload);
    return () => window.removeEventListener("beforeunload", onUnload);
  }, [dirty]);
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (blocker.state === "blocked") setPending({ what: file?.path ?? "this file", proceed: () => blocker.proceed(), cancel: () => blocker.reset() });
  }, [blocker, file?.path]);

  const entries = useMemo(() => treeQuery.data?.tree.children ?? [], [treeQuery.data]);
  const data = useMemo(() => toTreeData(entries, dirty ? (file?.path ?? null) : null), [entries, dirty, file?.path]);
  const selectedEntry = selected ? findEntry(entries, selected) : null;
  const folder = selectedEntry ? (selectedEntry.type === "directory" ? selectedEntry.path : parentOf(selectedEntry.path)) : "";
  const source = file ? (editorRef.current?.getModel()?.getValue() ?? file.content) : "";
  // (cursorLine and the registration are what change the answer; the source is read fresh.)
  const underCursor = useMemo(() => (file ? workflowAt(file.workflows, source, cursorLine) : null), [file, cursorLine, source]);

  const afterTreeChange = () => client.invalidateQueries({ queryKey: treeKey });
  /** Shows `path` in the tree once the tree has re-read the workspace. */
  const reveal = (path: string) =>
    void afterTreeChange().then(() => {
      for (let p = parentOf(path); p; p = parentOf(p)) tree.expand(p);
    });

  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Title order={2}>Editor</Title>
        {!canWrite ? (
          <Text size="sm" c="dimmed">
            Read-only: only platform admins change workspace files.
          </Text>
        ) : null}
      </Group>
      {types.error ? <Alert color="orange" title="Types not loaded">{`Completion and type checks are off: ${String((types.error as Error).message)}`}</Alert> : null}
      <Grid gutter="sm">
        <Grid.Col span={{ base: 12, md: 3 }}>
          <Card withBorder p="xs" component="section" aria-label="Workspace files">
            <Stack gap="xs">
              {canWrite ? (
                <Group gap={4}>
                  <Button size="compact-xs" variant="default" onClick={() => setDialog("file")}>
                    New file
                  </Button>
                  <Button size="compact-xs" variant="default" onClick={() => setDialog("folder")}>
                    New folder
                  </Button>
                  <Button size="compact-xs" variant="default" disabled={!selectedEntry} onClick={() => (file && selectedEntry && within(file.path, selectedEntry.path) ? guard(() => setDialog("move")) : setDialog("move"))}>
                    Rename or move
                  </Button>
                  <Button size="compact-xs" variant="default" color="red" disabled={!selectedEntry} onClick={() => setDialog("delete")}>
                    Delete
                  </Button>
                </Group>
              ) : null}
              {treeQuery.isPending ? <LoadingRows rows={4} /> : null}
              {treeQuery.error ? <ErrorAlert error={treeQuery.error} /> : null}
              <ScrollArea.Autosize mah="65vh" type="auto">
                <Tree
                  aria-label="Files"
                  data={data}
                  tree={tree}
                  levelOffset="md"
                  selectOnClick
                  onKeyDown={(e) => {
                    if (e.key !== "Enter") return;
                    const value = (e.target as HTMLElement).closest("[role=treeitem]")?.getAttribute("data-value");
                    const entry = value ? findEntry(entries, value) : null;
                    if (entry) {
                      setSelected(entry.path);
                      if (entry.type === "file") open(entry.path);
                    }
                  }}
                  renderNode={({ node, expanded, elementProps }) => {
                    const isFolder = node.nodeProps?.type === "directory";
                    return (
                      <Group
                        gap={6}
                        wrap="nowrap"
                        {...elementProps}
                        onClick={(e) => {
                          elementProps.onClick(e);
                          if (isFolder) setSelected(node.value);
                          else if (node.value !== file?.path) open(node.value);
                        }}
                        style={{ ...elementProps.style, cursor: "pointer", background: node.value === selected ? "var(--mantine-color-blue-light)" : undefined, borderRadius: 4, padding: "1px 4px" }}
                      >
                        <Text span size="sm" aria-hidden="true" c="dimmed">
                          {isFolder ? (expanded ? "▾" : "▸") : "·"}
                        </Text>
                        <Text span size="sm" fw={node.value === file?.path ? 700 : 400}>
                          {node.label}
                        </Text>
                        {node.nodeProps?.dirty ? (
                          <>
                            <Text span c="orange.9" aria-hidden="true">
                              ●
                            </Text>
                            <VisuallyHidden>(unsaved changes)</VisuallyHidden>
                          </>
                        ) : null}
                      </Group>
                    );
                  }}
                />
              </ScrollArea.Autosize>
              {treeQuery.data && entries.length === 0 ? (
                <Text size="sm" c="dimmed">
                  The workspace is empty.
                </Text>
              ) : null}
            </Stack>
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Stack gap="xs">
            <Group justify="space-between" wrap="nowrap">
              <Text fw={600} ff="monospace" size="sm" aria-label="Open file">
                {file ? `${file.path}${dirty ? " ●" : ""}` : "No file open"}
              </Text>
              {file && canWrite ? (
                <Button size="compact-sm" onClick={() => saveRef.current()} loading={save.isPending} disabled={file.encoding !== "utf8"}>
                  Save (Ctrl+S)
                </Button>
              ) : null}
            </Group>
            {openError ? <ErrorAlert error={openError} /> : null}
            <div ref={host} style={{ height: "62vh", minHeight: 320, border: "1px solid var(--mantine-color-gray-4)" }} />
            {save.error ? <ErrorAlert error={save.error} /> : null}
            {file ? <RegistrationSummary file={file} saveInfo={saveInfo} /> : null}
            <ProblemsList
              problems={problems}
              reveal={(p) => {
                const editor = editorRef.current;
                editor?.setPosition({ lineNumber: p.line, column: p.column });
                editor?.revealLineInCenter(p.line);
                editor?.focus();
              }}
            />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 3 }}>
          <Card withBorder p="sm" component="section" aria-label="Run panel">
            <Stack gap="xs">
              <Title order={2} size="h4">
                Run
              </Title>
              <EditorRunPanel workflow={underCursor} />
            </Stack>
          </Card>
        </Grid.Col>
      </Grid>

      <Modal opened={pending !== null} onClose={() => (pending?.cancel?.(), setPending(null))} title="Discard unsaved changes?">
        <Stack>
          <Text size="sm">{`${pending?.what ?? "This file"} has changes that are not saved. They are lost if you continue.`}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => (pending?.cancel?.(), setPending(null))}>
              Keep editing
            </Button>
            <Button
              color="red"
              onClick={() => {
                const p = pending;
                setPending(null);
                setDirty(false);
                p?.proceed();
              }}
            >
              Discard changes
            </Button>
          </Group>
        </Stack>
      </Modal>

      {dialog === "file" || dialog === "folder" ? (
        <NewDialog
          kind={dialog}
          folder={folder}
          onClose={() => setDialog(null)}
          onCreated={(path) => {
            setDialog(null);
            reveal(path);
            if (dialog === "file") {
              setSelected(path);
              open(path);
            }
          }}
        />
      ) : null}
      {dialog === "move" && selectedEntry ? (
        <MoveDialog
          entry={selectedEntry}
          onClose={() => setDialog(null)}
          onMoved={(to) => {
            setDialog(null);
            reveal(to);
            setSelected(to);
            if (file && within(file.path, selectedEntry.path)) {
              const moved = to + file.path.slice(selectedEntry.path.length);
              setDirty(false);
              openNow(moved).catch(setOpenError);
            }
          }}
        />
      ) : null}
      {dialog === "delete" && selectedEntry ? (
        <DeleteDialog
          entry={selectedEntry}
          onClose={() => setDialog(null)}
          onDeleted={() => {
            setDialog(null);
            setSelected(null);
            void afterTreeChange();
            if (file && within(file.path, selectedEntry.path)) {
              setDirty(false);
              void openNow(null);
            }
          }}
        />
      ) : null}
    </Stack>
  );
}

function RegistrationSummary({ file, saveInfo }: { file: OpenedFile; saveInfo: { at: Date; ms: number } | null }) {
  return (
    <Group gap="xs" role="status" aria-label="Registration">
      {saveInfo ? (
        <Text size="sm" c="dimmed">
          {`Saved ${saveInfo.at.toLocaleTimeString()} (${saveInfo.ms} ms).`}
        </Text>
      ) : null}
      {file.workflows.length ? (
        <>
          <Text size="sm">Registered:</Text>
          {file.workflows.map((w) => (
            <Badge key={w.id} variant="light" color="green" tt="none">
              {w.name}
            </Badge>
          ))}
        </>
      ) : (
        <Text size="sm" c="dimmed">
          No workflows registered from this file.
        </Text>
      )}
      {file.loadErrors.length ? (
        <Badge color="red" variant="filled" tt="none">
          {`${file.loadErrors.length} load error${file.loadErrors.length === 1 ? "" : "s"}`}
        </Badge>
      ) : null}
    </Group>
  );
}

function ProblemsList({ problems, reveal }: { problems: Problem[]; reveal: (p: Problem) => void }) {
  return (
    <Card withBorder p="xs" component="section" aria-label="Problems">
      <Text fw={600} size="sm">
        {`Problems (${problems.length})`}
      </Text>
      {problems.length === 0 ? (
        <Text size="sm" c="dimmed">
          None.
        </Text>
      ) : (
        <Stack component="ul" gap={2} style={{ listStyle: "none", margin: 0, padding: 0 }}>
          {problems.slice(0, 50).map((p, i) => (
            <li key={i}>
              <UnstyledButton onClick={() => reveal(p)} style={{ fontSize: 13 }}>
                <Text span c="red.8" fw={600} inherit>
                  {p.source}
                </Text>{" "}
                <Text span c="dimmed" inherit>{`line ${p.line}, column ${p.column}:`}</Text> {p.message.split("\n")[0]}
              </UnstyledButton>
            </li>
          ))}
        </Stack>
      )}
    </Card>
  );
}

function NewDialog({ kind, folder, onClose, onCreated }: { kind: "file" | "folder"; folder: string; onClose: () => void; onCreated: (path: string) => void }) {
  const [path, setPath] = useState(folder ? `${folder}/` : "");
  const [template, setTemplate] = useState<WorkflowTemplate | "blank">(kind === "file" ? "workflow" : "blank");
  const [name, setName] = useState("");
  const [errors, setErrors] = useState<{ path?: string; name?: string }>({});
  const baseName = path.split("/").pop()?.replace(/\.[^.]*$/, "") ?? "";
  const workflowName = name || baseName.replace(/[^A-Za-z0-9_]/g, "_");
  const create = useMutation({
    mutationFn: async () => {
      const target = kind === "file" && template !== "blank" && !/\.[A-Za-z0-9]+$/.test(path) ? `${path}.ts` : path;
      if (kind === "folder") await api("/api/files/editor/directory", { method: "POST", body: { path: target } });
      else await api("/api/files/editor/file", { method: "POST", body: { path: target, content: template === "blank" ? "" : workflowTemplate(template, workflowName) } });
      return target;
    },
    onSuccess: onCreated,
  });
  const submit = () => {
    const problems: typeof errors = {};
    if (!path.trim() || path.endsWith("/")) problems.path = kind === "file" ? "Name the file, e.g. tickets/sync.ts" : "Name the folder";
    if (kind === "file" && template !== "blank" && !isWorkflowName(workflowName)) problems.name = "Start with a letter or _, then letters, digits and _ (not a reserved word such as class)";
    setErrors(problems);
    if (!Object.keys(problems).length) create.mutate();
  };
  return (
    <Modal opened onClose={onClose} title={kind === "file" ? "New file" : "New folder"}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <Stack>
          <TextInput label="Path" description="Relative to the workspace" value={path} onChange={(e) => setPath(e.currentTarget.value)} error={errors.path} data-autofocus />
          {kind === "file" ? (
            <>
              <Select label="Template" data={TEMPLATE_KINDS} value={template} onChange={(v) => setTemplate((v as WorkflowTemplate | "blank") ?? "blank")} allowDeselect={false} comboboxProps={{ withinPortal: true }} />
              {template !== "blank" ? <TextInput label="Workflow name" placeholder={workflowName || "sync_tickets"} value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.name} /> : null}
            </>
          ) : null}
          {create.error ? <ErrorAlert error={create.error} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Create
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function MoveDialog({ entry, onClose, onMoved }: { entry: TreeEntry; onClose: () => void; onMoved: (to: string) => void }) {
  const [to, setTo] = useState(entry.path);
  const move = useMutation({ mutationFn: () => api("/api/files/editor/move", { method: "POST", body: { from: entry.path, to } }), onSuccess: () => onMoved(to) });
  const fieldError = !to.trim() ? "Give the new path" : to === entry.path ? "Change the name or the folder" : undefined;
  const [touched, setTouched] = useState(false);
  return (
    <Modal opened onClose={onClose} title={`Rename or move ${entry.name}`}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setTouched(true);
          if (!fieldError) move.mutate();
        }}
      >
        <Stack>
          <TextInput label="New path" description="Change the name to rename; change the folders to move" value={to} onChange={(e) => setTo(e.currentTarget.value)} error={touched ? fieldError : undefined} data-autofocus />
          {move.error ? <ErrorAlert error={move.error} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={move.isPending}>
              Move
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function DeleteDialog({ entry, onClose, onDeleted }: { entry: TreeEntry; onClose: () => void; onDeleted: () => void }) {
  const remove = useMutation({ mutationFn: () => api(`/api/files/editor/file${query({ path: entry.path })}`, { method: "DELETE" }), onSuccess: onDeleted });
  return (
    <Modal opened onClose={onClose} title={`Delete ${entry.name}?`}>
      <Stack>
        <Text size="sm">{entry.type === "directory" ? `The folder ${entry.path} and everything in it are deleted.` : `${entry.path} is deleted; its workflows stop being registered.`}</Text>
        {remove.error ? <ErrorAlert error={remove.error} /> : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color="red" loading={remove.isPending} onClick={() => remove.mutate()}>
            Delete
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
