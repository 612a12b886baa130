import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrgWithKey, startTestPlatform, type TestPlatform } from "./helpers.js";

const FILES = {
  "roi.ts": `
import { workflow, z, context } from "bifrost";
export const saver = workflow({ timeSaved: 10, value: 2.5 }, async () => "ok");
export const bigSaver = workflow({ timeSaved: 5, value: 1 }, async () => { context.roi.timeSaved = 60; context.roi.value = 100; return "big"; });
export const loser = workflow({ timeSaved: 99, value: 99 }, async () => { throw new Error("no roi for failures"); });
export const partial = workflow({ timeSaved: 99, value: 99 }, async () => ({ success: false }));
`,
  "providers.ts": `
import { workflow, dataProvider, z, context } from "bifrost";
let calls = 0;
export const departments = dataProvider({ name: "departments", cacheTtl: 60, params: z.object({ prefix: z.string().default("") }) },
  async ({ prefix }) => [{ label: prefix + "Engineering", value: "eng" }, { label: prefix + "Sales", value: "sales" }, { label: "org " + context.orgId, value: "org" }]);
export const uncached = dataProvider({ name: "uncached" }, async () => [{ label: "now " + Date.now(), value: ++calls }]);
export const brokenProvider = dataProvider({ name: "broken_provider" }, async () => { throw new Error("directory unreachable"); });
export const wrongShape = dataProvider({ name: "wrong_shape" }, async () => ({ not: "a list" }));
export const onboarding = workflow(
  {
    name: "onboarding",
    executionMode: "sync",
    params: z.object({
      fullName: z.string().min(2).max(80).meta({ label: "Full name", helpText: "As on the passport" }),
      email: z.email(),
      department: z.string().meta({ dataProvider: "departments" }),
      level: z.enum(["junior", "senior"]).default("junior"),
      licenses: z.int().min(1).max(5).default(1),
      remote: z.boolean().optional(),
    }),
  },
  async (p) => ({ welcomed: p.fullName, trigger: context.trigger }),
);
export const queuedForm = workflow({ name: "queued_form", params: z.object({ n: z.int() }) }, async ({ n }) => n);
`,
};

let t: TestPlatform;
let orgA: string;
let keyA: string;
let keyB: string;
let orgB: string;

beforeAll(async () => {
  t = await startTestPlatform(FILES);
  ({ orgId: orgA, key: keyA } = await createOrgWithKey(t, "Alpha"));
  ({ orgId: orgB, key: keyB } = await createOrgWithKey(t, "Beta"));
});
afterAll(async () => {
  await t?.close();
});

const exec = (name: string, key?: string) => t.call({ method: "POST", url: `/api/workflows/${name}/execute`, payload: {}, key });

describe("ROI reports", () => {
  it("add up exactly what successful runs recorded, per workflow, organization and day", async () => {
    for (let i = 0; i < 3; i++) await exec("saver", keyA);
    await exec("bigSaver", keyA);
    await exec("loser", keyA);
    await exec("partial", keyA);
    await exec("saver", keyB);

    const summaryA = (await t.call({ method: "GET", url: "/api/reports/roi/summary", key: keyA })).json();
    expect(summaryA).toMatchObject({ executions: 4, timeSaved: 3 * 10 + 60, value: 3 * 2.5 + 100 });

    const byWorkflow = (await t.call({ method: "GET", url: "/api/reports/roi/by-workflow", key: keyA })).json().workflows;
    expect(byWorkflow.map((w: { workflowName: string; executions: number; timeSaved: number; value: number }) => [w.workflowName, w.executions, w.timeSaved, w.value])).toEqual([
      ["bigSaver", 1, 60, 100],
      ["saver", 3, 30, 7.5],
    ]);

    // The platform admin sees every organization; each organization only itself.
    const allRes = await t.call({ method: "GET", url: "/api/reports/roi/by-organization" });
    expect(allRes.statusCode, allRes.body).toBe(200);
    const all = allRes.json().organizations;
    expect(all.find((o: { orgName: string }) => o.orgName === "Alpha")).toMatchObject({ executions: 4, timeSaved: 90 });
    expect(all.find((o: { orgName: string }) => o.orgName === "Beta")).toMatchObject({ executions: 1, timeSaved: 10 });
    const ownB = (await t.call({ method: "GET", url: "/api/reports/roi/by-organization", key: keyB })).json().organizations;
    expect(ownB.map((o: { orgName: string }) => o.orgName)).toEqual(["Beta"]);

    // The same numbers straight from the execution records.
    const runs = (await t.call({ method: "GET", url: "/api/executions?status=Success&limit=500", key: keyA })).json().executions;
    expect(runs.reduce((s: number, e: { timeSaved: number }) => s + e.timeSaved, 0)).toBe(summaryA.timeSaved);
  });

  it("trend has one row per day of the range, zeros included", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const since = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const until = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const days = (await t.call({ method: "GET", url: `/api/reports/roi/trend?since=${since}&until=${until}`, key: keyA })).json().days;
    expect(days).toHaveLength(3);
    expect(days.at(-1)).toMatchObject({ date: today, executions: 4, timeSaved: 90 });
    expect(days[0]).toMatchObject({ executions: 0, timeSaved: 0, value: 0 });
  });

  it("rejects a bad range", async () => {
    expect((await t.call({ method: "GET", url: "/api/reports/roi/summary?since=yesterday" })).statusCode).toBe(422);
    expect((await t.call({ method: "GET", url: "/api/reports/roi/summary?since=2026-02-01&until=2026-01-01" })).json().error.fields[0].path).toBe("since");
  });
});

describe("data providers", () => {
  it("return options and cache them per organization and params for cacheTtl", async () => {
    const first = (await t.call({ method: "GET", url: "/api/data-providers/departments", key: keyA })).json();
    expect(first.cached).toBe(false);
    expect(first.options.slice(0, 2)).toEqual([{ label: "Engineering", value: "eng" }, { label: "Sales", value: "sales" }]);
    expect(first.options[2].label).toBe(`org ${orgA}`);
    const second = (await t.call({ method: "GET", url: "/api/data-providers/departments", key: keyA })).json();
    expect(second).toMatchObject({ cached: true, options: first.options });
    // other params, other organization: their own entries
    expect((await t.call({ method: "GET", url: "/api/data-providers/departments?prefix=x-", key: keyA })).json()).toMatchObject({ cached: false });
    const forB = (await t.call({ method: "GET", url: "/api/data-providers/departments", key: keyB })).json();
    expect(forB.cached).toBe(false);
    expect(forB.options[2].label).not.toBe(`org ${orgA}`);
    // each real run is one execution, trigger form
    const runs = (await t.call({ method: "GET", url: "/api/executions?workflow=departments&limit=50", key: keyA })).json().executions;
    expect(runs).toHaveLength(2);
    expect(runs[0].trigger).toBe("form");
  });

  it("a changed provider never serves its old cached answer", async () => {
    await t.call({ method: "GET", url: "/api/data-providers/departments", key: keyA });
    t.write("providers.ts", FILES["providers.ts"].replace('prefix + "Engineering"', 'prefix + "R&D"'));
    await t.platform.engine.indexer.refresh(["providers.ts"]);
    const after = (await t.call({ method: "GET", url: "/api/data-providers/departments", key: keyA })).json();
    expect(after.cached).toBe(false);
    expect(after.options[0].label).toBe("R&D");
  });

  it("without cacheTtl, every call runs", async () => {
    const a = (await t.call({ method: "GET", url: "/api/data-providers/uncached", key: keyA })).json();
    const b = (await t.call({ method: "GET", url: "/api/data-providers/uncached", key: keyA })).json();
    expect(a.cached || b.cached).toBe(false);
    expect(b.options[0].value).toBe(a.options[0].value + 1);
  });

  it("a failing provider or a wrong result shape is a 502 naming the provider; a workflow is not a provider", async () => {
    const broken = await t.call({ method: "GET", url: "/api/data-providers/broken_provider", key: keyA });
    expect(broken.statusCode).toBe(502);
    expect(broken.json().error.message).toContain("directory unreachable");
    const shape = await t.call({ method: "GET", url: "/api/data-providers/wrong_shape", key: keyA });
    expect(shape.statusCode).toBe(502);
    expect(shape.json().error.code).toBe("provider_bad_result");
    expect((await t.call({ method: "GET", url: "/api/data-providers/onboarding", key: keyA })).statusCode).toBe(404);
    expect((await t.call({ method: "GET", url: "/api/data-providers/nope", key: keyA })).statusCode).toBe(404);
  });
});

describe("forms", () => {
  it("are generated from params: labels, help, required, defaults, selects and data providers", async () => {
    const form = (await t.call({ method: "GET", url: "/api/forms/onboarding", key: keyA })).json();
    const byName = Object.fromEntries(form.fields.map((f: { name: string }) => [f.name, f]));
    expect(byName.fullName).toMatchObject({ label: "Full name", helpText: "As on the passport", type: "text", required: true, minLength: 2, maxLength: 80 });
    expect(byName.email).toMatchObject({ label: "Email", type: "email", required: true });
    expect(byName.department).toMatchObject({ type: "select", dataProvider: "departments", required: true });
    expect(byName.level).toMatchObject({ type: "select", required: false, default: "junior", options: [{ label: "junior", value: "junior" }, { label: "senior", value: "senior" }] });
    expect(byName.licenses).toMatchObject({ type: "integer", minimum: 1, maximum: 5, default: 1, required: false });
    expect(byName.remote).toMatchObject({ type: "checkbox", required: false });
    expect(form.submit).toBe("/api/forms/onboarding/submit");
  });

  it("submit validates and runs with trigger form; async workflows answer 202", async () => {
    const bad = await t.call({ method: "POST", url: "/api/forms/onboarding/submit", payload: { fullName: "A", email: "x" }, key: keyA });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.fields.map((f: { path: string }) => f.path).sort()).toEqual(["department", "email", "fullName"]);
    const ok = await t.call({ method: "POST", url: "/api/forms/onboarding/submit", payload: { fullName: "Ada L", email: "ada@example.com", department: "eng" }, key: keyA });
    expect(ok.json()).toMatchObject({ status: "Success", trigger: "form", result: { welcomed: "Ada L", trigger: "form" } });
    const queued = await t.call({ method: "POST", url: "/api/forms/queued_form/submit", payload: { n: 3 }, key: keyA });
    expect(queued.statusCode).toBe(202);
    expect((await t.call({ method: "GET", url: "/api/forms/departments", key: keyA })).statusCode).toBe(404);
  });
});

describe("custom forms", () => {
  it("an admin stores field order, labels, help and hidden values; anyone who may run the workflow submits it", async () => {
    const created = await t.call({
      method: "POST",
      url: "/api/custom-forms",
      payload: {
        name: "Senior hire",
        workflow: "onboarding",
        title: "Hire a senior engineer",
        fields: [
          { name: "email", label: "Work email", helpText: "first.last@company" },
          { name: "fullName" },
          { name: "level", hidden: true, default: "senior" },
        ],
      },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    const form = (await t.call({ method: "GET", url: `/api/custom-forms/${id}`, key: keyA })).json();
    expect(form.render.map((f: { name: string }) => f.name)).toEqual(["email", "fullName", "department", "licenses", "remote"]);
    expect(form.render[0]).toMatchObject({ label: "Work email", helpText: "first.last@company", type: "email" });
    // the fixed value of a hidden field is for admins to see
    expect(form.fields.find((f: { name: string }) => f.name === "level")).toEqual({ name: "level", hidden: true });
    const asAdmin = (await t.call({ method: "GET", url: `/api/custom-forms/${id}` })).json();
    expect(asAdmin.fields.find((f: { name: string }) => f.name === "level")).toMatchObject({ hidden: true, default: "senior" });
    const submitted = await t.call({ method: "POST", url: `/api/custom-forms/${id}/submit`, payload: { email: "ada@example.com", fullName: "Ada L", department: "eng", level: "junior" }, key: keyA });
    expect(submitted.json()).toMatchObject({ status: "Success", trigger: "form", input: { level: "senior" } });
    const bad = await t.call({ method: "POST", url: `/api/custom-forms/${id}/submit`, payload: { fullName: "A" }, key: keyA });
    expect(bad.statusCode).toBe(422);
    expect((await t.call({ method: "GET", url: "/api/custom-forms", key: keyB })).json().forms.map((f: { id: string }) => f.id)).toContain(id);
  });

  it("an admin turns a field into a data provider's dropdown; the form serves its options; a non-provider is 422", async () => {
    const created = await t.call({ method: "POST", url: "/api/custom-forms", payload: { name: "Pick a level", workflow: "onboarding", fields: [{ name: "level", dataProvider: "departments" }] } });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    const form = (await t.call({ method: "GET", url: `/api/custom-forms/${id}`, key: keyA })).json();
    expect(form.render.find((f: { name: string }) => f.name === "level")).toMatchObject({ dataProvider: "departments" });
    const options = await t.call({ method: "GET", url: `/api/custom-forms/${id}/data-providers/departments`, key: keyA });
    expect(options.statusCode).toBe(200);
    expect(options.json().options.length).toBeGreaterThan(0);
    const notProvider = await t.call({ method: "POST", url: "/api/custom-forms", payload: { name: "y", workflow: "onboarding", fields: [{ name: "level", dataProvider: "onboarding" }] } });
    expect(notProvider.statusCode).toBe(422);
    expect(notProvider.json().error.fields[0]).toMatchObject({ path: "fields.0.dataProvider", message: '"onboarding" is not a data provider' });
    expect((await t.call({ method: "DELETE", url: `/api/custom-forms/${id}` })).statusCode).toBe(204);
  });

  it("only admins define forms; bad fields are 422; an organization's forms stay in it", async () => {
    expect((await t.call({ method: "POST", url: "/api/custom-forms", payload: { name: "x", workflow: "onboarding" }, key: keyA })).statusCode).toBe(403);
    const unknownField = await t.call({ method: "POST", url: "/api/custom-forms", payload: { name: "x", workflow: "onboarding", fields: [{ name: "salary" }] } });
    expect(unknownField.statusCode).toBe(422);
    expect(unknownField.json().error.fields[0]).toMatchObject({ path: "fields.0.name" });
    const hiddenNoDefault = await t.call({ method: "POST", url: "/api/custom-forms", payload: { name: "x", workflow: "onboarding", fields: [{ name: "email", hidden: true }] } });
    expect(hiddenNoDefault.json().error.fields[0].path).toBe("fields.0.default");
    expect((await t.call({ method: "POST", url: "/api/custom-forms", payload: { name: "x", workflow: "nope" } })).statusCode).toBe(404);

    const own = (await t.call({ method: "POST", url: "/api/custom-forms", payload: { name: "Alpha only", workflow: "onboarding", scope: orgA } })).json();
    expect((await t.call({ method: "GET", url: `/api/custom-forms/${own.id}`, key: keyA })).statusCode).toBe(200);
    expect((await t.call({ method: "GET", url: `/api/custom-forms/${own.id}`, key: keyB })).statusCode).toBe(404);
    expect((await t.call({ method: "POST", url: `/api/custom-forms/${own.id}/submit`, payload: {}, key: keyB })).statusCode).toBe(404);
    expect((await t.call({ method: "GET", url: "/api/custom-forms", key: keyB })).json().forms.some((f: { id: string }) => f.id === own.id)).toBe(false);
    const dup = await t.call({ method: "POST", url: "/api/custom-forms", payload: { name: "Alpha only", workflow: "onboarding", scope: orgA } });
    expect(dup.statusCode).toBe(409);
    expect((await t.call({ method: "DELETE", url: `/api/custom-forms/${own.id}`, key: keyA })).statusCode).toBe(403);
    expect((await t.call({ method: "DELETE", url: `/api/custom-forms/${own.id}` })).statusCode).toBe(204);
    expect(orgB).toBeTruthy();
  });
});
