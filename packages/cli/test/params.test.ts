import { describe, expect, it } from "vitest";
import { z } from "zod";
import { buildParams, coerceParam, describeType, type JsonSchema } from "@bifrost/cli/lib/params.js";

/** The JSON Schema the platform stores for a workflow's params (as the child runtime makes it). */
const schemaOf = (params: z.ZodType) => z.toJSONSchema(params, { io: "input", unrepresentable: "any" }) as JsonSchema;

describe("--param values typed by the workflow's JSON Schema", () => {
  const schema = schemaOf(
    z.object({
      licenses: z.int(),
      ratio: z.number(),
      admin: z.boolean().default(false),
      name: z.string(),
      zip: z.string().optional(),
      manager: z.string().nullable(),
      tier: z.enum(["basic", "pro"]),
      level: z.union([z.literal(1), z.literal(2)]),
      devices: z.array(z.string()),
      ports: z.array(z.int()).default([]),
      settings: z.object({ a: z.int() }),
      payload: z.json(),
      idOrCount: z.union([z.string(), z.int()]),
    }),
  );
  const p = (pairs: string[]) => buildParams(pairs, schema);

  it("turns numbers, booleans, arrays, objects and null into JSON values", () => {
    expect(p(["licenses=3", "ratio=0.25", "admin=yes", "devices=pc-1, pc-2", "ports=80,443", "settings={\"a\":1}", "manager=null", "level=2"])).toEqual({
      licenses: 3,
      ratio: 0.25,
      admin: true,
      devices: ["pc-1", "pc-2"],
      ports: [80, 443],
      settings: { a: 1 },
      manager: null,
      level: 2,
    });
    expect(p(["devices=[\"a,b\"]", "ports=[]", "admin=0"])).toEqual({ devices: ["a,b"], ports: [], admin: false });
  });

  it("keeps strings strings, and leaves what does not fit for the server's 422", () => {
    expect(p(["name=007", "zip=01234", "tier=pro", "manager=Ada", "licenses=three", "admin=maybe"])).toEqual({
      name: "007",
      zip: "01234",
      tier: "pro",
      manager: "Ada",
      licenses: "three",
      admin: "maybe",
    });
    expect(p(["idOrCount=12", "payload={\"x\":[1]}"])).toEqual({ idOrCount: 12, payload: { x: [1] } });
    expect(p(["payload=plain text", "name=a=b"])).toEqual({ payload: "plain text", name: "a=b" });
  });

  it("refuses what cannot be a parameter, with the names the workflow takes", () => {
    expect(() => p(["licenses"])).toThrow("--param licenses: write it as name=value");
    expect(() => p(["devices=[nope"])).toThrow(/--param devices: not a JSON array/);
    const strict = schemaOf(z.object({ a: z.string(), b: z.int() }).strict());
    expect(() => buildParams(["c=1"], strict, {}, '"w"')).toThrow('Unknown parameter "c": "w" takes a, b');
  });

  it("merges --param over an --input object", () => {
    expect(buildParams(["licenses=5"], schema, { licenses: 1, name: "Ada" })).toEqual({ licenses: 5, name: "Ada" });
    expect(coerceParam("5", undefined)).toBe(5);
  });

  it("describes parameter types for `bifrost workflows get`", () => {
    const props = schema.properties!;
    expect(describeType(props.licenses)).toBe("integer");
    expect(describeType(props.devices)).toBe("string[]");
    expect(describeType(props.tier)).toBe('"basic" | "pro"');
    expect(describeType(props.manager)).toBe("string | null");
  });
});
