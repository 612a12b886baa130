import { useState } from "react";
import { Alert, Anchor, Badge, Card, Group, Stack, Text, Title } from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";
import Form from "@rjsf/mantine";
import type { IChangeEvent } from "@rjsf/core";
import type { ErrorSchema, RJSFSchema } from "@rjsf/utils";
import { customizeValidator } from "@rjsf/validator-ajv8";
import Ajv2020 from "ajv/dist/2020.js";
import { api, ApiError } from "../lib/api.js";
import { fieldErrorsToErrorSchema, formSchema } from "../lib/form-errors.js";
import { useOrg } from "../lib/session.js";
import type { ExecutionRecord, Workflow } from "../lib/types.js";
import { ErrorAlert, LoadingRows } from "../components/states.js";
import { formatDuration, StatusBadge } from "../components/status-badge.js";
import { JsonTree } from "../components/json-tree.js";

const validator = customizeValidator({ AjvClass: Ajv2020 as never });

/** One workflow: what it does and its run form, generated from its parameters' JSON Schema. */
export function WorkflowPage() {
  const { name = "" } = useParams();
  const { org } = useOrg();
  const navigate = useNavigate();
  const workflow = useQuery({ queryKey: [org, "workflow", name], queryFn: () => api<Workflow>(`/api/workflows/${encodeURIComponent(name)}`) });
  const [formData, setFormData] = useState<Record<string, unknown>>({});
  const [extraErrors, setExtraErrors] = useState<ErrorSchema | undefined>();
  const [result, setResult] = useState<ExecutionRecord | null>(null);

  const run = useMutation({
    mutationFn: async (params: Record<string, unknown>) => {
      const w = workflow.data!;
      if (w.executionMode === "sync") return { record: await api<ExecutionRecord>(`/api/workflows/${encodeURIComponent(w.name)}/execute`, { method: "POST", body: params }) };
      return { queued: await api<{ executionId: string }>(`/api/workflows/${encodeURIComponent(w.name)}/run`, { method: "POST", body: params }) };
    },
    onMutate: () => {
      setExtraErrors(undefined);
      setResult(null);
    },
    onSuccess: (answer) => {
      if ("queued" in answer && answer.queued) navigate(`/runs/${answer.queued.executionId}`);
      else if ("record" in answer && answer.record) setResult(answer.record);
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 422 && error.fields.length) setExtraErrors(fieldErrorsToErrorSchema(error.fields));
    },
  });

  if (workflow.isPending) return <LoadingRows />;
  if (workflow.error) return <ErrorAlert error={workflow.error} />;
  const w = workflow.data;

  return (
    <Stack maw={900}>
      <Group>
        <Title order={2}>{w.name}</Title>
        <Badge variant="outline">{w.executionMode === "sync" ? "runs and waits" : "queued"}</Badge>
        {w.category ? <Badge variant="light">{w.category}</Badge> : null}
      </Group>
      {w.description ? <Text c="dimmed">{w.description}</Text> : null}
      <Card withBorder>
        <Form
          schema={formSchema(w.paramsSchema) as RJSFSchema}
          validator={validator}
          formData={formData}
          extraErrors={extraErrors}
          showErrorList={false}
          // The server validates (the same messages as its API): its 422 fields show beside the inputs.
          noValidate
          noHtml5Validate
          disabled={run.isPending}
          uiSchema={{ "ui:submitButtonOptions": { submitText: run.isPending ? "Running…" : "Run" } }}
          onChange={(e: IChangeEvent) => {
            setFormData(e.formData as Record<string, unknown>);
            if (extraErrors) setExtraErrors(undefined);
          }}
          onSubmit={(e: IChangeEvent) => run.mutate((e.formData ?? {}) as Record<string, unknown>)}
        />
      </Card>
      {run.error && !(run.error instanceof ApiError && run.error.status === 422 && run.error.fields.length) ? <ErrorAlert error={run.error} /> : null}
      {run.error instanceof ApiError && run.error.status === 422 && run.error.fields.length ? (
        <Alert color="orange" title="Check the highlighted fields">
          {run.error.message}
        </Alert>
      ) : null}
      {result ? <RunResult record={result} /> : null}
    </Stack>
  );
}

function RunResult({ record }: { record: ExecutionRecord }) {
  return (
    <Card withBorder role="region" aria-label="Result">
      <Stack gap="xs">
        <Group>
          <Title order={4}>Result</Title>
          <StatusBadge status={record.status} />
          <Text size="sm" c="dimmed">
            {formatDuration(record.durationMs)}
          </Text>
          <Anchor component={Link} to={`/runs/${record.id}`} size="sm">
            Open run
          </Anchor>
        </Group>
        {record.error ? (
          <Alert color="red" title={record.errorType ?? "Error"}>
            {record.error}
          </Alert>
        ) : null}
        <JsonTree value={record.result} />
      </Stack>
    </Card>
  );
}
