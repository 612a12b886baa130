import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Schema } from "./schema.js";

/** How a custom form shows one of its workflow's params. */
export interface CustomFormField {
  name: string;
  label?: string;
  helpText?: string;
  /** Not shown; the form always submits `default` for it. */
  hidden?: boolean;
  default?: unknown;
}

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

export type CustomFormInput = Pick<CustomForm, "name" | "workflowId" | "title" | "description" | "fields"> & { access?: CustomForm["access"] };

const toForm = (r: Schema["custom_forms"]): CustomForm => ({
  id: r.id,
  scope: r.scope,
  name: r.name,
  workflowId: r.workflow_id,
  title: r.title,
  description: r.description,
  fields: JSON.parse(r.fields) as CustomFormField[],
  access: r.access ? (JSON.parse(r.access) as CustomForm["access"]) : { level: "authenticated", roles: [] },
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Forms admins define on top of a workflow (order, labels, fixed values), per scope. */
export class CustomFormsRepo {
  constructor(private readonly db: Kysely<Schema>) {}

  async create(scope: string, input: CustomFormInput, now = new Date().toISOString()): Promise<CustomForm> {
    const row = {
      id: randomUUID(),
      scope,
      name: input.name,
      workflow_id: input.workflowId,
      title: input.title,
      description: input.description,
      fields: JSON.stringify(input.fields),
      access: input.access ? JSON.stringify(input.access) : null,
      created_at: now,
      updated_at: now,
    };
    await this.db.insertInto("custom_forms").values(row).execute();
    return toForm(row);
  }

  async get(id: string): Promise<CustomForm | null> {
    const r = await this.db.selectFrom("custom_forms").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toForm(r) : null;
  }

  async findByName(scope: string, name: string): Promise<CustomForm | null> {
    const r = await this.db.selectFrom("custom_forms").selectAll().where("scope", "=", scope).where("name", "=", name).executeTakeFirst();
    return r ? toForm(r) : null;
  }

  /** Forms of these scopes (undefined = all). */
  async list(scopes: string[] | undefined): Promise<CustomForm[]> {
    let q = this.db.selectFrom("custom_forms").selectAll().orderBy("name");
    if (scopes) q = q.where("scope", "in", scopes);
    return (await q.execute()).map(toForm);
  }

  async update(id: string, input: CustomFormInput, now = new Date().toISOString()): Promise<CustomForm | null> {
    await this.db
      .updateTable("custom_forms")
      .set({ name: input.name, workflow_id: input.workflowId, title: input.title, description: input.description, fields: JSON.stringify(input.fields), access: input.access ? JSON.stringify(input.access) : null, updated_at: now })
      .where("id", "=", id)
      .execute();
    return this.get(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom("custom_forms").where("id", "=", id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}
