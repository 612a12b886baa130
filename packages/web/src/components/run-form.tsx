import { useState } from "react";
import { Alert, Anchor, Card, Group, Stack, Text, Title } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { Link, useNavigate } from "react-router";
import Form from "@rjsf/mantine";
import type { IChangeEvent } from "@rjsf/core";
import type { ErrorSchema, RJSFSchema, UiSchema } from "@rjsf/utils";
import { customizeValidator } from "@rjsf/validator-ajv8";
import Ajv2020 from "ajv/dist/2020.js";
import { ApiError } from "../lib/api.js";
import { fieldErrorsToErrorSchema, formSchema } from "../lib/form-errors.js";
import type { ExecutionRecord } from "../lib/types.js";
import { ErrorAlert } from "./states.js";
import { formatDuration, StatusBadge } from "./status-badge.js";
import { ResultView } from "./result-view.js";

const validator = customizeValidator({ AjvClass: Ajv2020 as never });

/** What a run request answers: the finished record (sync) or the queued run's id (async). */
export type RunAnswer = { record: ExecutionRecord } | { queued: { executionId: string } };

/**
 * The run form generated from a workflow's JSON Schema (rjsf, Mantine theme). The server
 * validates — the same messages as its API — and its 422 field messages show beside the
 * inputs. A finished run shows its result here; a queued one opens its live page —
 * unless `onAnswer` is given, which then gets every answer (the editor's run panel).
 */
export function RunForm({
  schema,
  uiSchema,
  submit,
  initialData,
  onAnswer,
}: {
  schema: Record<string, unknown>;
  uiSchema?: UiSchema;
  submit: (params: Record<string, unknown>) => Promise<RunAnswer>;
  /** Values to start from (e.g. an earlier run's input: "Run again with this input"). */
  initialData?: Record<string, unknown>;
  /** Gets every answer instead of the form showing it (the editor's run panel). */
  onAnswer?: (answer: RunAnswer) => void;
}) {
  const navigate = useNavigate();
  const [formData, setFormData] = useState<Record<string, unknown>>(() => initialData ?? {});
  const [extraErrors, setExtraErrors] = useState<ErrorSchema | undefined>();
  const [result, setResult] = useState<ExecutionRecord | null>(null);
  const run = useMutation({
    mutationFn: submit,
    onMutate: () => {
      setExtraErrors(undefined);
      setResult(null);
    },
    onSuccess: (answer) => {
      if (onAnswer) onAnswer(answer);
      else if ("queued" in answer) navigate(`/runs/${answer.queued.executionId}`);
      else setResult(answer.record);
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 422 && error.fields.length) setExtraErrors(fieldErrorsToErrorSchema(error.fields));
    },
  });
  const fieldProblem = run.error instanceof ApiError && run.error.status === 422 && run.error.fields.length > 0;

  return (
    <Stack>
      <Card withBorder>
        <Form
          schema={formSchema(schema) as RJSFSchema}
          validator={validator}
          formData={formData}
          extraErrors={extraErrors}
          showErrorList={false}
          noValidate
          noHtml5Validate
          disabled={run.isPending}
          uiSchema={{ ...uiSchema, "ui:submitButtonOptions": { submitText: run.isPending ? "Running…" : "Run" } }}
          onChange={(e: IChangeEvent) => {
            setFormData(e.formData as Record<string, unknown>);
            if (extraErrors) setExtraErrors(undefined);
          }}
          onSubmit={(e: IChangeEvent) => run.mutate((e.formData ?? {}) as Record<string, unknown>)}
        />
      </Card>
      {run.error && !fieldProblem ? <ErrorAlert error={run.error} /> : null}
      {fieldProblem ? (
        <Alert color="orange" title="Check the highlighted fields">
          {run.error!.message}
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
        <ResultView value={record.result} />
      </Stack>
    </Card>
  );
}
