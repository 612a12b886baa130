/** A form field derived from one property of a workflow's params JSON Schema. */
export interface FormField {
  name: string;
  label: string;
  type: "text" | "email" | "number" | "integer" | "checkbox" | "select" | "list" | "json" | "date" | "datetime" | "url";
  required: boolean;
  default?: unknown;
  helpText?: string;
  /** For `select`: the allowed values (from an enum). */
  options?: { label: string; value: unknown }[];
  /** The data provider whose options fill this dropdown (`GET /api/data-providers/{name}`). */
  dataProvider?: string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
}

type JsonSchema = Record<string, unknown>;

/** "departmentId" / "department_id" → "Department id". */
export function labelFor(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function fieldType(schema: JsonSchema): FormField["type"] {
  if (Array.isArray(schema.enum)) return "select";
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "string":
      if (schema.format === "email") return "email";
      if (schema.format === "date") return "date";
      if (schema.format === "date-time") return "datetime";
      if (schema.format === "uri") return "url";
      return "text";
    case "integer":
      return "integer";
    case "number":
      return "number";
    case "boolean":
      return "checkbox";
    case "array":
      return "list";
    default:
      return "json";
  }
}

/**
 * Form fields from a params JSON Schema (zod's `toJSONSchema`): labels, help text and
 * data providers come from `.meta({ label, helpText, dataProvider })`; enums become
 * selects; a field with a data provider is a select whose options come from it.
 */
export function formFields(paramsSchema: JsonSchema): FormField[] {
  const properties = (paramsSchema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((paramsSchema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, schema]) => {
    const field: FormField = {
      name,
      label: typeof schema.label === "string" ? schema.label : typeof schema.title === "string" ? schema.title : labelFor(name),
      type: fieldType(schema),
      required: required.has(name) && schema.default === undefined,
    };
    if (schema.default !== undefined) field.default = schema.default;
    const help = schema.helpText ?? schema.description;
    if (typeof help === "string") field.helpText = help;
    if (Array.isArray(schema.enum)) field.options = schema.enum.map((v) => ({ label: String(v), value: v }));
    if (typeof schema.dataProvider === "string") {
      field.dataProvider = schema.dataProvider;
      field.type = "select";
    }
    for (const k of ["minLength", "maxLength", "pattern", "minimum", "maximum"] as const) {
      if (schema[k] !== undefined) (field as unknown as Record<string, unknown>)[k] = schema[k];
    }
    return field;
  });
}
