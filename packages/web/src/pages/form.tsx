import { Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import type { UiSchema } from "@rjsf/utils";
import { api } from "../lib/api.js";
import { useOrg } from "../lib/session.js";
import type { ExecutionRecord, Workflow } from "../lib/types.js";
import { ErrorAlert, LoadingRows } from "../components/states.js";
import { RunForm, type RunAnswer } from "../components/run-form.js";

interface FormField {
  name: string;
  label: string;
  helpText?: string;
  dataProvider?: string;
}

interface FormAnswer {
  workflow: { name: string; description: string | null; executionMode: "sync" | "async" };
  fields: FormField[];
  submit: string;
}

type Options = Record<string, { label: string; value: unknown }[]>;

/** The form's labels and help over the JSON Schema, and each data provider's options as a choice. */
export function formSchemaWithOptions(schema: Record<string, unknown>, fields: FormField[], options: Options): { schema: Record<string, unknown>; uiSchema: UiSchema } {
  const properties = { ...((schema.properties ?? {}) as Record<string, Record<string, unknown>>) };
  const uiSchema: UiSchema = {};
  for (const f of fields) {
    const prop = properties[f.name];
    if (!prop) continue;
    const choices = f.dataProvider ? options[f.dataProvider] : undefined;
    properties[f.name] = { ...prop, title: f.label, ...(f.helpText ? { description: f.helpText } : {}), ...(choices ? { oneOf: choices.map((o) => ({ const: o.value, title: o.label })) } : {}) };
  }
  return { schema: { ...schema, properties }, uiSchema };
}

/** A workflow's form (`/forms/{name}`): labels and help from the form, choices from its data providers, run with trigger `form`. */
export function FormPage() {
  const { name = "" } = useParams();
  const { org } = useOrg();
  const form = useQuery({ queryKey: [org, "form", name], queryFn: () => api<FormAnswer>(`/api/forms/${encodeURIComponent(name)}`) });
  const workflow = useQuery({ queryKey: [org, "workflow", name], queryFn: () => api<Workflow>(`/api/workflows/${encodeURIComponent(name)}`) });
  const providers = [...new Set((form.data?.fields ?? []).flatMap((f) => (f.dataProvider ? [f.dataProvider] : [])))];
  const options = useQuery({
    queryKey: [org, "providers", providers],
    enabled: form.isSuccess,
    queryFn: async () => {
      const out: Options = {};
      for (const p of providers) out[p] = (await api<{ options: { label: string; value: unknown }[] }>(`/api/data-providers/${encodeURIComponent(p)}`)).options;
      return out;
    },
  });
  const error = form.error ?? workflow.error ?? options.error;
  if (error) return <ErrorAlert error={error} />;
  if (!form.data || !workflow.data || !options.data) return <LoadingRows />;
  const f = form.data;
  const { schema, uiSchema } = formSchemaWithOptions(workflow.data.paramsSchema, f.fields, options.data);
  const submit = async (params: Record<string, unknown>): Promise<RunAnswer> => {
    const answer = await api<ExecutionRecord | { executionId: string }>(f.submit, { method: "POST", body: params });
    return "executionId" in answer && !("workflowName" in answer) ? { queued: answer } : { record: answer as ExecutionRecord };
  };
  return (
    <Stack maw={720}>
      <Title order={2}>{f.workflow.description ?? f.workflow.name}</Title>
      <Text c="dimmed" size="sm">
        {f.workflow.name}
      </Text>
      <RunForm key={f.workflow.name} schema={schema} uiSchema={uiSchema} submit={submit} />
    </Stack>
  );
}
