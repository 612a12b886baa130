/** How a custom form shows one of its workflow's params. */
export interface CustomFormField {
  name: string;
  label?: string;
  helpText?: string;
  /** Not shown; the form always submits `default` for it. */
  hidden?: boolean;
  default?: unknown;
  /** A data provider whose options fill this field as a dropdown (instead of the workflow's own choice). */
  dataProvider?: string;
}

/** A custom form as stored and as `GET /api/custom-forms` shows it. */
export interface CustomForm {
  id: string;
  scope: string;
  name: string;
  workflowId: string;
  title: string | null;
  description: string | null;
  /** In display order. */
  fields: CustomFormField[];
  /** Who may open and submit it; a role-based form grants its workflow to the same roles. */
  access: { level: "authenticated" | "roleBased"; roles: string[] };
  createdAt: string;
  updatedAt: string;
}
