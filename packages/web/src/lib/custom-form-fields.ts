/** The form builder's model: the rows it edits, what they render as, and what is stored. */
import type { CustomFormField } from "@bifrost/contracts/custom-forms.js";
import type { FormField } from "../pages/form.js";

/** A custom form's field as the API stores it. */
export type StoredField = CustomFormField;

/** One field as the builder edits it: text boxes hold text; the default is JSON or plain text. */
export interface BuilderField {
  name: string;
  label: string;
  helpText: string;
  hidden: boolean;
  default: string;
  dataProvider: string | null;
}

/** A default as typed: JSON (`5`, `true`, `"5"`, `[1]`) is that value, anything else the text; empty is none. */
export function parseDefault(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const showDefault = (v: unknown) => (v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));

/** The builder's rows: the stored fields in their order, then the workflow's other params. */
export function builderFields(derived: FormField[], stored: StoredField[]): BuilderField[] {
  const byName = new Map(stored.map((f) => [f.name, f]));
  const order = [...stored.map((f) => f.name).filter((n) => derived.some((d) => d.name === n)), ...derived.map((d) => d.name).filter((n) => !byName.has(n))];
  return order.map((name) => {
    const s = byName.get(name);
    return { name, label: s?.label ?? "", helpText: s?.helpText ?? "", hidden: s?.hidden ?? false, default: showDefault(s?.default), dataProvider: s?.dataProvider ?? null };
  });
}

/** What the form shows (as the server renders it): hidden fields left out, overrides applied. */
export function renderFields(derived: FormField[], fields: BuilderField[]): FormField[] {
  return fields.flatMap((f) => {
    const base = derived.find((d) => d.name === f.name);
    if (!base || f.hidden) return [];
    const value = parseDefault(f.default);
    return [
      {
        ...base,
        ...(f.label.trim() ? { label: f.label.trim() } : {}),
        ...(f.helpText.trim() ? { helpText: f.helpText.trim() } : {}),
        ...(value !== undefined ? { default: value } : {}),
        ...(f.dataProvider ? { dataProvider: f.dataProvider } : {}),
      },
    ];
  });
}

/** The API's `fields`: every row in order, only what is set. */
export function storedFields(fields: BuilderField[]): StoredField[] {
  return fields.map((f) => {
    const value = parseDefault(f.default);
    return {
      name: f.name,
      ...(f.label.trim() ? { label: f.label.trim() } : {}),
      ...(f.helpText.trim() ? { helpText: f.helpText.trim() } : {}),
      ...(f.hidden ? { hidden: true } : {}),
      ...(value !== undefined ? { default: value } : {}),
      ...(f.dataProvider ? { dataProvider: f.dataProvider } : {}),
    };
  });
}

