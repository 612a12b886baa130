import { Anchor, Badge, Group, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { api } from "../lib/api.js";
import { useOrg } from "../lib/session.js";
import type { ExecutionRecord, Workflow } from "../lib/types.js";
import { ErrorAlert, LoadingRows } from "../components/states.js";
import { RunForm, type RunAnswer } from "../components/run-form.js";

/** Runs a workflow: sync ones answer with the record, async ones are queued (202). */
export async function runWorkflow(w: Pick<Workflow, "name" | "executionMode">, params: Record<string, unknown>): Promise<RunAnswer> {
  const name = encodeURIComponent(w.name);
  if (w.executionMode === "sync") return { record: await api<ExecutionRecord>(`/api/workflows/${name}/execute`, { method: "POST", body: params }) };
  return { queued: await api<{ executionId: string }>(`/api/workflows/${name}/run`, { method: "POST", body: params }) };
}

/** One workflow: what it does and its run form, generated from its parameters' JSON Schema. */
export function WorkflowPage() {
  const { name = "" } = useParams();
  const { org } = useOrg();
  const workflow = useQuery({ queryKey: [org, "workflow", name], queryFn: () => api<Workflow>(`/api/workflows/${encodeURIComponent(name)}`) });
  if (workflow.isPending) return <LoadingRows />;
  if (workflow.error) return <ErrorAlert error={workflow.error} />;
  const w = workflow.data;
  return (
    <Stack maw={900}>
      <Group>
        <Title order={2}>{w.name}</Title>
        <Badge variant="outline">{w.executionMode === "sync" ? "runs and waits" : "queued"}</Badge>
        {w.category ? <Badge variant="light">{w.category}</Badge> : null}
        <Anchor component={Link} to={`/history?workflow=${encodeURIComponent(w.name)}`} size="sm">
          Runs
        </Anchor>
      </Group>
      {w.description ? <Text c="dimmed">{w.description}</Text> : null}
      <RunForm key={w.id} schema={w.paramsSchema} submit={(params) => runWorkflow(w, params)} />
    </Stack>
  );
}
