import { useEffect, useRef, useState } from "react";
import { Alert, Anchor, Badge, Button, Card, Checkbox, Code, Group, Select, Stack, Table, Text, Textarea, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";
import type { ConnectionInfo, IntegrationInfo, IntegrationMappingInfo } from "@bifrost/contracts/integrations.js";
import { api, ApiError } from "../lib/api.js";
import { fieldError } from "../lib/form-errors.js";
import { FormLevelError } from "../components/admin.js";
import { useMe, useOrg } from "../lib/session.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";
import { RowButton, TableHead } from "../components/data-table.js";

/** The definition form's text boxes (JSON and lists as typed). */
interface DefinitionForm {
  name: string;
  description: string;
  baseUrl: string;
  configSchema: string;
  oauth: boolean;
  flow: "authorization_code" | "client_credentials";
  authorizeUrl: string;
  tokenUrl: string;
  scopes: string;
  clientId: string;
  clientSecret: string;
  clientAuth: "post" | "basic";
}

const EMPTY: DefinitionForm = { name: "", description: "", baseUrl: "", configSchema: "", oauth: false, flow: "authorization_code", authorizeUrl: "", tokenUrl: "", scopes: "", clientId: "", clientSecret: "", clientAuth: "post" };

function formOf(i: IntegrationInfo): DefinitionForm {
  return {
    name: i.name,
    description: i.description ?? "",
    baseUrl: i.baseUrl ?? "",
    configSchema: i.configSchema ? JSON.stringify(i.configSchema, null, 2) : "",
    oauth: i.oauth !== null,
    flow: i.oauth?.flow ?? "authorization_code",
    authorizeUrl: i.oauth?.authorizeUrl ?? "",
    tokenUrl: i.oauth?.tokenUrl ?? "",
    scopes: i.oauth?.scopes.join(" ") ?? "",
    clientId: i.oauth?.clientId ?? "",
    clientSecret: "",
    clientAuth: i.oauth?.clientAuth ?? "post",
  };
}

/** A field problem found before sending (bad JSON), shaped like the server's 422. */
const localProblem = (path: string, message: string) => new ApiError(422, "validation_failed", `${path} ${message}`, [{ path, message }]);

/**
 * The PUT/POST body. An empty secret box keeps the stored secret (the field is omitted);
 * the secret is never sent back to the page, so there is nothing to show.
 */
function bodyOf(f: DefinitionForm, existing: IntegrationInfo | null): Record<string, unknown> {
  let configSchema: unknown = null;
  if (f.configSchema.trim()) {
    try {
      configSchema = JSON.parse(f.configSchema);
    } catch {
      throw localProblem("configSchema", "is not valid JSON");
    }
  }
  const oauth = f.oauth
    ? {
        flow: f.flow,
        authorizeUrl: f.flow === "authorization_code" ? f.authorizeUrl || null : null,
        tokenUrl: f.tokenUrl,
        scopes: f.scopes.split(/\s+/).filter(Boolean),
        clientId: f.clientId,
        clientAuth: f.clientAuth,
        authorizeParams: existing?.oauth?.authorizeParams ?? {},
        ...(f.clientSecret ? { clientSecret: f.clientSecret } : {}),
      }
    : null;
  return { name: f.name, description: f.description || null, baseUrl: f.baseUrl || null, configSchema, oauth };
}

const SHOWN = ["name", "description", "baseUrl", "configSchema", "oauth.flow", "oauth.authorizeUrl", "oauth.tokenUrl", "oauth.scopes", "oauth.clientId", "oauth.clientSecret", "oauth.clientAuth"];

/** Create or edit an integration's definition (platform admins). */
function DefinitionEditor({ existing, onSaved }: { existing: IntegrationInfo | null; onSaved: (i: IntegrationInfo) => void }) {
  const client = useQueryClient();
  const [f, setF] = useState<DefinitionForm>(existing ? formOf(existing) : EMPTY);
  const set = (patch: Partial<DefinitionForm>) => setF((old) => ({ ...old, ...patch }));
  const save = useMutation({
    mutationFn: () =>
      existing
        ? api<IntegrationInfo>(`/api/integrations/${encodeURIComponent(existing.name)}`, { method: "PUT", body: bodyOf(f, existing) })
        : api<IntegrationInfo>("/api/integrations", { method: "POST", body: bodyOf(f, null) }),
    onSuccess: (saved) => {
      set({ clientSecret: "" });
      void client.invalidateQueries({ queryKey: ["integrations"] });
      onSaved(saved);
    },
  });
  const err = (path: string) => fieldError(save.error, path);
  const secretSet = existing?.oauth?.clientSecretSet ?? false;
  return (
    <Card withBorder component="form" aria-label={existing ? `Edit integration ${existing.name}` : "New integration"} onSubmit={(e: React.FormEvent) => (e.preventDefault(), save.mutate())}>
      <Stack gap="sm">
        <Title order={4}>{existing ? "Definition" : "New integration"}</Title>
        <Group align="start" grow>
          <TextInput label="Name" required value={f.name} error={err("name")} onChange={(e) => set({ name: e.currentTarget.value })} />
          <TextInput label="Base URL" description="May contain {entityId}" value={f.baseUrl} error={err("baseUrl")} onChange={(e) => set({ baseUrl: e.currentTarget.value })} />
        </Group>
        <TextInput label="Description" value={f.description} error={err("description")} onChange={(e) => set({ description: e.currentTarget.value })} />
        <Textarea label="Config schema (JSON Schema)" description="Each mapping's config must match it; empty = any object" autosize minRows={2} maxRows={12} styles={{ input: { fontFamily: "monospace" } }} value={f.configSchema} error={err("configSchema")} onChange={(e) => set({ configSchema: e.currentTarget.value })} />
        <Checkbox label="Uses OAuth" checked={f.oauth} onChange={(e) => set({ oauth: e.currentTarget.checked })} />
        {f.oauth ? (
          <Stack gap="sm" pl="md">
            <Group align="start" grow>
              <Select label="Flow" data={[{ value: "authorization_code", label: "Authorization code (a person connects)" }, { value: "client_credentials", label: "Client credentials (no person)" }]} value={f.flow} error={err("oauth.flow")} onChange={(v) => set({ flow: (v ?? "authorization_code") as DefinitionForm["flow"] })} allowDeselect={false} />
              <Select label="Client authentication" data={[{ value: "post", label: "Form fields (post)" }, { value: "basic", label: "HTTP Basic" }]} value={f.clientAuth} error={err("oauth.clientAuth")} onChange={(v) => set({ clientAuth: (v ?? "post") as DefinitionForm["clientAuth"] })} allowDeselect={false} />
            </Group>
            {f.flow === "authorization_code" ? <TextInput label="Authorize URL" value={f.authorizeUrl} error={err("oauth.authorizeUrl")} onChange={(e) => set({ authorizeUrl: e.currentTarget.value })} /> : null}
            <TextInput label="Token URL" required value={f.tokenUrl} error={err("oauth.tokenUrl")} onChange={(e) => set({ tokenUrl: e.currentTarget.value })} />
            <TextInput label="Scopes" description="Separated by spaces" value={f.scopes} error={err("oauth.scopes")} onChange={(e) => set({ scopes: e.currentTarget.value })} />
            <Group align="start" grow>
              <TextInput label="Client ID" required value={f.clientId} error={err("oauth.clientId")} onChange={(e) => set({ clientId: e.currentTarget.value })} />
              <TextInput
                label="Client secret"
                type="password"
                autoComplete="new-password"
                description={secretSet ? "A secret is stored (never shown): type a new one to replace it" : "Write-only: never shown after saving"}
                value={f.clientSecret}
                error={err("oauth.clientSecret")}
                onChange={(e) => set({ clientSecret: e.currentTarget.value })}
              />
            </Group>
          </Stack>
        ) : null}
        <FormLevelError error={save.error} shown={SHOWN} />
        <Group>
          <Button type="submit" loading={save.isPending}>
            {existing ? "Save definition" : "Create integration"}
          </Button>
          {save.isSuccess && existing ? <Text size="sm" role="status">Saved.</Text> : null}
        </Group>
      </Stack>
    </Card>
  );
}

/** Integrations: their definitions, and which have a mapping in the organization acted in. */
export function IntegrationsPage() {
  const me = useMe();
  const navigate = useNavigate();
  const list = useQuery({ queryKey: ["integrations"], queryFn: () => api<{ integrations: IntegrationInfo[] }>("/api/integrations") });
  const canDefine = me.data?.isPlatformAdmin ?? false;
  return (
    <Stack>
      <Title order={2}>Integrations</Title>
      {list.error ? (
        <ErrorAlert error={list.error} />
      ) : list.isPending ? (
        <LoadingRows />
      ) : list.data.integrations.length === 0 ? (
        <Empty title="No integrations yet">An integration holds how to reach a service (OAuth settings, a base URL) and each organization's mapping.</Empty>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table aria-label="Integrations">
            <TableHead headings={["Name", "Description", "OAuth", "Base URL"]} />
            <Table.Tbody>
              {list.data.integrations.map((i) => (
                <Table.Tr key={i.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/integrations/${encodeURIComponent(i.name)}`}>
                      {i.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{i.description}</Table.Td>
                  <Table.Td>{i.oauth ? i.oauth.flow.replace("_", " ") : "—"}</Table.Td>
                  <Table.Td>{i.baseUrl ? <Code>{i.baseUrl}</Code> : null}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {canDefine ? <DefinitionEditor existing={null} onSaved={(i) => navigate(`/integrations/${encodeURIComponent(i.name)}`)} /> : null}
    </Stack>
  );
}

/** The connection state in words: connected (and until when), needs re-authorization, or not connected. */
export function ConnectionState({ connection }: { connection: ConnectionInfo | null }) {
  if (!connection) return <Text size="sm">no OAuth</Text>;
  if (connection.status === "connected") {
    return (
      <Stack gap={2}>
        <Badge color="green" variant="dot">connected</Badge>
        <Text size="xs">{connection.expiresAt ? `expires ${new Date(connection.expiresAt).toLocaleString()}` : "no expiry given"}</Text>
      </Stack>
    );
  }
  if (connection.status === "needs_reauth") {
    return (
      <Stack gap={2}>
        <Badge color="orange" variant="dot">needs re-authorization</Badge>
        {connection.lastError ? <Text size="xs">{connection.lastError}</Text> : null}
      </Stack>
    );
  }
  return <Badge color="gray" variant="dot">not connected</Badge>;
}

/** Connect: opens the provider's consent in a popup, and watches the mapping until it is connected. */
function useConnect(name: string, refetch: () => Promise<unknown>) {
  const me = useMe();
  // The mapping being connected, and its connection's last change before (a reconnect must change it).
  const [waiting, setWaiting] = useState<{ id: string; before: string | null } | null>(null);
  const [blockedUrl, setBlockedUrl] = useState<string | null>(null);
  const popup = useRef<Window | null>(null);
  const start = useMutation({
    mutationFn: async (m: IntegrationMappingInfo) => {
      // Platform admins connect on an organization's behalf; an organization admin connects its own.
      const scope = me.data?.isPlatformAdmin ? `?scope=${encodeURIComponent(m.scope)}` : "";
      const started = await api<{ authorizeUrl: string }>(`/api/oauth/${encodeURIComponent(name)}/authorize${scope}`, { method: "POST" });
      return { m, url: started.authorizeUrl };
    },
    onSuccess: ({ m, url }) => {
      popup.current = window.open(url, "bifrost-oauth", "popup,width=600,height=720");
      if (!popup.current) setBlockedUrl(url);
      setWaiting({ id: m.id, before: m.connection?.updatedAt ?? null });
    },
  });
  // While the provider's window is open (and a little after), the mapping is re-read each second.
  useEffect(() => {
    if (!waiting) return;
    let closedFor = 0;
    const timer = setInterval(() => {
      void refetch();
      if (popup.current?.closed && ++closedFor > 3) setWaiting(null);
    }, 1000);
    return () => clearInterval(timer);
  }, [waiting, refetch]);
  /** Called with each fresh read of the mapping: closes the window once the connection is new. */
  const seen = (m: IntegrationMappingInfo | undefined) => {
    if (!waiting || !m || m.id !== waiting.id || m.connection?.status !== "connected" || m.connection.updatedAt === waiting.before) return;
    popup.current?.close();
    popup.current = null;
    setBlockedUrl(null);
    setWaiting(null);
  };
  return { start, waiting: waiting?.id ?? null, blockedUrl, seen };
}

interface MappingForm {
  scope: string;
  entityId: string;
  entityName: string;
  config: string;
}

/** One integration: its definition (platform admins edit it), its mappings and their connections. */
export function IntegrationPage() {
  const { name = "" } = useParams();
  const { org } = useOrg();
  const me = useMe();
  const navigate = useNavigate();
  const client = useQueryClient();
  const path = `/api/integrations/${encodeURIComponent(name)}`;
  const integration = useQuery({ queryKey: ["integrations", name], queryFn: () => api<IntegrationInfo>(path) });
  const mappingsKey = [org, "integrations", name, "mappings"];
  const mappings = useQuery({ queryKey: mappingsKey, queryFn: () => api<{ mappings: IntegrationMappingInfo[] }>(`${path}/mappings`) });
  const connect = useConnect(name, mappings.refetch);
  const level = me.data?.level;
  const isPlatform = me.data?.isPlatformAdmin ?? false;
  const canConnect = level === "platformAdmin" || level === "orgAdmin";
  const orgs = me.data?.organizations ?? [];
  const orgName = (scope: string) => (scope === "global" ? "Global" : (orgs.find((o) => o.id === scope)?.name ?? scope));

  const [mf, setMf] = useState<MappingForm>({ scope: org ?? orgs[0]?.id ?? "global", entityId: "", entityName: "", config: "{}" });
  const map = useMutation({
    mutationFn: () => {
      let config: unknown;
      try {
        config = JSON.parse(mf.config || "{}");
      } catch {
        throw localProblem("config", "is not valid JSON");
      }
      return api<IntegrationMappingInfo>(`${path}/mappings/${encodeURIComponent(mf.scope)}`, { method: "PUT", body: { entityId: mf.entityId, entityName: mf.entityName || null, config } });
    },
    onSuccess: () => {
      setMf((old) => ({ ...old, entityId: "", entityName: "", config: "{}" }));
      void client.invalidateQueries({ queryKey: mappingsKey });
    },
  });
  const unmap = useMutation({
    mutationFn: (m: IntegrationMappingInfo) => api(`${path}/mappings/${encodeURIComponent(m.scope)}`, { method: "DELETE" }),
    onSettled: () => client.invalidateQueries({ queryKey: mappingsKey }),
  });
  const disconnect = useMutation({
    mutationFn: (m: IntegrationMappingInfo) => api(`${path}/connection${isPlatform ? `?scope=${encodeURIComponent(m.scope)}` : ""}`, { method: "DELETE" }),
    onSettled: () => client.invalidateQueries({ queryKey: mappingsKey }),
  });
  const remove = useMutation({
    mutationFn: () => api(path, { method: "DELETE" }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["integrations"] });
      navigate("/integrations");
    },
  });
  const edit = (m: IntegrationMappingInfo) => setMf({ scope: m.scope, entityId: m.entityId, entityName: m.entityName ?? "", config: JSON.stringify(m.config, null, 2) });

  // A mapping that became connected while its Connect window was open: close the window.
  const watched = mappings.data?.mappings.find((m) => m.id === connect.waiting);
  useEffect(() => connect.seen(watched), [watched, connect]);

  if (integration.error) return <ErrorAlert error={integration.error} />;
  if (integration.isPending) return <LoadingRows />;
  const i = integration.data;
  const authCode = i.oauth?.flow === "authorization_code";
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Integration {i.name}</Title>
        <Anchor component={Link} to="/integrations">
          All integrations
        </Anchor>
      </Group>
      {i.description ? <Text>{i.description}</Text> : null}
      <Card withBorder>
        <Title order={4} mb="sm">
          Mappings
        </Title>
        {connect.blockedUrl ? (
          <Alert color="yellow" title="The browser blocked the provider's window" mb="sm">
            <Anchor href={connect.blockedUrl} target="_blank" rel="opener">
              Open the provider's sign-in page
            </Anchor>{" "}
            and come back: this page shows the connection once it is made.
          </Alert>
        ) : null}
        {[connect.start.error, unmap.error, disconnect.error].map((e, n) => (e ? <ErrorAlert key={n} error={e} /> : null))}
        {mappings.error ? (
          <ErrorAlert error={mappings.error} />
        ) : mappings.isPending ? (
          <LoadingRows rows={2} />
        ) : mappings.data.mappings.length === 0 ? (
          <Empty title="Not mapped yet">{isPlatform ? "Map it to an organization below." : "A platform admin maps it to your organization."}</Empty>
        ) : (
          <Table.ScrollContainer minWidth={720}>
            <Table aria-label="Mappings">
              <TableHead headings={["Organization", "Entity", "Config", "Connection", null]} />
              <Table.Tbody>
                {mappings.data.mappings.map((m) => (
                  <Table.Tr key={m.id} aria-label={`Mapping for ${orgName(m.scope)}`}>
                    <Table.Td>{orgName(m.scope)}</Table.Td>
                    <Table.Td>
                      <Code>{m.entityId}</Code> {m.entityName}
                    </Table.Td>
                    <Table.Td>
                      <Code>{JSON.stringify(m.config)}</Code>
                    </Table.Td>
                    <Table.Td>
                      <ConnectionState connection={m.connection} />
                    </Table.Td>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap">
                        {canConnect && authCode ? (
                          <Button size="xs" loading={connect.waiting === m.id} aria-label={`${m.connection?.status === "connected" ? "Reconnect" : "Connect"} ${orgName(m.scope)}`} onClick={() => connect.start.mutate(m)}>
                            {m.connection?.status === "connected" ? "Reconnect" : "Connect"}
                          </Button>
                        ) : null}
                        {canConnect && m.connection && m.connection.status !== "not_connected" ? (
                          <RowButton label="Disconnect" of={orgName(m.scope)} onClick={() => disconnect.mutate(m)} />
                        ) : null}
                        {isPlatform ? (
                          <>
                            <RowButton label="Edit" of={`mapping for ${orgName(m.scope)}`} onClick={() => edit(m)} />
                            <RowButton label="Delete" of={`mapping for ${orgName(m.scope)}`} danger onClick={() => unmap.mutate(m)} />
                          </>
                        ) : null}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
      {isPlatform ? (
        <Card withBorder component="form" aria-label="Map to an organization" onSubmit={(e: React.FormEvent) => (e.preventDefault(), map.mutate())}>
          <Stack gap="sm">
            <Title order={4}>Map to an organization</Title>
            <Group align="start" grow>
              <Select label="Organization" data={[{ value: "global", label: "Global (every organization without its own)" }, ...orgs.map((o) => ({ value: o.id, label: o.name }))]} value={mf.scope} onChange={(v) => setMf({ ...mf, scope: v ?? "global" })} allowDeselect={false} />
              <TextInput label="Entity ID" description="The organization's id at the service (its tenant)" required value={mf.entityId} error={fieldError(map.error, "entityId")} onChange={(e) => setMf({ ...mf, entityId: e.currentTarget.value })} />
              <TextInput label="Entity name" value={mf.entityName} error={fieldError(map.error, "entityName")} onChange={(e) => setMf({ ...mf, entityName: e.currentTarget.value })} />
            </Group>
            <Textarea label="Config (JSON)" description={i.configSchema ? "Must match the integration's config schema" : "Any JSON object"} autosize minRows={2} styles={{ input: { fontFamily: "monospace" } }} value={mf.config} error={fieldError(map.error, "config")} onChange={(e) => setMf({ ...mf, config: e.currentTarget.value })} />
            <FormLevelError error={map.error} shown={["entityId", "entityName", "config"]} />
            <Group>
              <Button type="submit" loading={map.isPending}>
                Save mapping
              </Button>
            </Group>
          </Stack>
        </Card>
      ) : null}
      {isPlatform ? (
        <>
          <DefinitionEditor key={i.id} existing={i} onSaved={(saved) => saved.name !== i.name && navigate(`/integrations/${encodeURIComponent(saved.name)}`, { replace: true })} />
          <Group>
            {remove.error ? <ErrorAlert error={remove.error} /> : null}
            <Button color="red" variant="light" loading={remove.isPending} onClick={() => window.confirm(`Delete integration ${i.name} with its mappings and connections?`) && remove.mutate()}>
              Delete integration
            </Button>
          </Group>
        </>
      ) : null}
    </Stack>
  );
}
