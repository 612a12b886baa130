import { Alert, Anchor, Badge, Group, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "react-router";
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
  const [params] = useSearchParams();
  const workflow = useQuery({ queryKey: [org, "workflow", name], queryFn: () => api<Workflow>(`/api/workflows/${encodeURIComponent(name)}`) });
  // ?rerun=<execution id>: the form starts from that run's input ("Run again with this input").
  const rerunId = params.get("rerun");
  const rerun = useQuery({
    queryKey: [org, "execution", rerunId],
    queryFn: () => api<ExecutionRecord>(`/api/executions/${encodeURIComponent(rerunId!)}`),
    enabled: !!rerunId,
  });
  if (workflow.isPending || (rerunId && rerun.isPending)) return <LoadingRows />;
  if (workflow.error) return <ErrorAlert error={workflow.error} />;
  const w = workflow.data;
  const input = rerun.data && rerun.data.workflowName === w.name && rerun.data.input && typeof rerun.data.input === "object" ? (rerun.data.input as Record<string, unknown>) : undefined;
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
      {rerunId && rerun.error ? <ErrorAlert error={rerun.error} /> : null}
      {input ? (
        <Alert color="blue" title="Prefilled">
          With the input of{" "}
          <Anchor component={Link} to={`/runs/${rerunId}`} inherit>
            run {rerunId}
          </Anchor>
          : change what you need and press Run.
        </Alert>
      ) : null}
      <RunForm key={`${w.id}:${input ? rerunId : ""}`} schema={w.paramsSchema} initialData={input} submit={(params) => runWorkflow(w, params)} />
    </Stack>
  );
}
