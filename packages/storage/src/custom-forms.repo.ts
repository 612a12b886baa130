import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { InTransaction } from "./audit.repo.js";
import type { Schema } from "./schema.js";
import type { CustomForm, CustomFormField } from "@bifrost/contracts/custom-forms.js";

export type { CustomForm, CustomFormField };

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

  /** `also` (its audit event) commits with the change, or neither does. */
  async create(scope: string, input: CustomFormInput, now = new Date().toISOString(), also?: (db: Kysely<Schema>, form: CustomForm) => Promise<void>): Promise<CustomForm> {
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
    const form = toForm(row);
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto("custom_forms").values(row).execute();
      await also?.(trx, form);
    });
    return form;
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

  async update(id: string, input: CustomFormInput, now = new Date().toISOString(), also?: InTransaction): Promise<CustomForm | null> {
    await this.db.transaction().execute(async (trx) => {
      await trx
      .updateTable("custom_forms")
      .set({ name: input.name, workflow_id: input.workflowId, title: input.title, description: input.description, fields: JSON.stringify(input.fields), access: input.access ? JSON.stringify(input.access) : null, updated_at: now })
      .where("id", "=", id)
      .execute();
      await also?.(trx);
    });
    return this.get(id);
  }

  async delete(id: string, also?: InTransaction): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.deleteFrom("custom_forms").where("id", "=", id).executeTakeFirst();
      if (r.numDeletedRows === 0n) return false;
      await also?.(trx);
      return true;
    });
  }
}
