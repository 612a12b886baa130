/** The logic of the tables filter builder and the custom-form builder, without a browser. */
import { describe, expect, it } from "vitest";
import { buildWhere, conditionValue, parseScalar } from "../src/lib/where.js";
import { builderFields, parseDefault, renderFields, storedFields } from "../src/lib/custom-form-fields.js";
import { canWriteScope, scopeChoices } from "../src/lib/scope.js";
import type { FormField } from "../src/pages/form.js";
import type { Me } from "../src/lib/types.js";

describe("filter builder", () => {
  it("types values as the SDK does: JSON scalars as themselves, anything else as text", () => {
    expect([parseScalar("8"), parseScalar('"8"'), parseScalar("true"), parseScalar("null"), parseScalar("Windows 11"), parseScalar("[1]")]).toEqual([8, "8", true, null, "Windows 11", "[1]"]);
    expect(conditionValue("startsWith", "8")).toBe("8");
    expect(conditionValue("isNull", "false")).toBe(false);
    expect(conditionValue("in", "a, 3, true")).toEqual(["a", 3, true]);
    expect(conditionValue("in", '["a", 3]')).toEqual(["a", 3]);
    expect(conditionValue("in", "")).toEqual([]);
  });

  it("rows on one field AND together; empty fields are left out", () => {
    expect(
      buildWhere([
        { field: "ram", op: "gte", value: "8" },
        { field: " ram ", op: "lt", value: "64" },
        { field: "os", op: "eq", value: "macOS" },
        { field: "", op: "eq", value: "x" },
      ]),
    ).toEqual({ ram: { gte: 8, lt: 64 }, os: { eq: "macOS" } });
  });
});

describe("custom-form builder", () => {
  const derived: FormField[] = [
    { name: "fullName", label: "Full name", type: "text", required: true },
    { name: "office", label: "Office", type: "text", required: true },
    { name: "team", label: "Team", type: "text", required: true, dataProvider: "teams" },
  ];

  it("rows: the stored fields in their order, then the workflow's others; a param gone from the workflow is dropped", () => {
    const rows = builderFields(derived, [{ name: "team", label: "Squad" }, { name: "gone" }, { name: "office", hidden: true, default: "lon" }]);
    expect(rows.map((r) => r.name)).toEqual(["team", "office", "fullName"]);
    expect(rows[1]).toEqual({ name: "office", label: "", helpText: "", hidden: true, default: "lon", dataProvider: null });
  });

  it("renders as the server does (hidden left out, overrides applied) and stores only what is set", () => {
    const rows = builderFields(derived, []);
    rows[0]!.helpText = "As on the contract";
    rows[1]!.hidden = true;
    rows[1]!.default = "lon";
    rows[2]!.default = "5";
    rows[2]!.dataProvider = "squads";
    expect(renderFields(derived, rows)).toEqual([
      { ...derived[0], helpText: "As on the contract" },
      { ...derived[2], default: 5, dataProvider: "squads" },
    ]);
    expect(storedFields(rows)).toEqual([
      { name: "fullName", helpText: "As on the contract" },
      { name: "office", hidden: true, default: "lon" },
      { name: "team", default: 5, dataProvider: "squads" },
    ]);
    expect([parseDefault(""), parseDefault('"5"'), parseDefault("[1, 2]"), parseDefault("plain")]).toEqual([undefined, "5", [1, 2], "plain"]);
  });
});

describe("scopes", () => {
  const me = (over: Partial<Me>): Me => ({ kind: "user", level: "orgAdmin", isPlatformAdmin: false, organizationId: null, homeOrganizationId: "c", user: null, organizations: [{ id: "c", name: "Contoso" }], csrfToken: null, ...over });

  it("platform admins pick any scope and write everywhere; others read global and write their own organization", () => {
    const admin = me({ level: "platformAdmin", isPlatformAdmin: true, homeOrganizationId: null, organizations: [{ id: "c", name: "Contoso" }, { id: "f", name: "Fabrikam" }] });
    expect(scopeChoices(admin, null).map((c) => c.label)).toEqual(["Global", "Contoso", "Fabrikam"]);
    expect(canWriteScope(admin, null, "global")).toBe(true);
    const orgAdmin = me({});
    expect(scopeChoices(orgAdmin, null).map((c) => c.value)).toEqual(["global", "c"]);
    expect([canWriteScope(orgAdmin, null, "global"), canWriteScope(orgAdmin, null, "c"), canWriteScope(orgAdmin, null, "f")]).toEqual([false, true, false]);
    const msp = me({ level: "mspMember", homeOrganizationId: null, organizations: [{ id: "c", name: "Contoso" }, { id: "f", name: "Fabrikam" }] });
    expect(scopeChoices(msp, "f").map((c) => c.value)).toEqual(["global", "f"]);
    expect(canWriteScope(msp, null, "global")).toBe(false);
  });
});
