import { existsSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrgWithKey, startTestPlatform, type TestPlatform } from "./helpers.js";

/**
 * Audit events in the change's own transaction (issue 11): tables, knowledge, schedules,
 * endpoint keys and AI settings commit their event with the change, so when the event
 * cannot be written the change is not made; files (outside the database) write the event
 * first and change nothing when it cannot be written. Never a document, a key or content.
 */

const FILES = {
  "nightly.ts": `
import { workflow } from "bifrost";
export const nightly = workflow({ name: "audited_nightly", schedule: "0 2 * * *", endpointEnabled: true }, async () => ({ ok: true }));
`,
};

let t: TestPlatform;
let org: { orgId: string; key: string };

interface Event {
  action: string;
  target: string | null;
  orgId: string | null;
  actor: { kind: string; id: string | null };
  details: Record<string, unknown> | null;
}
const all = async (): Promise<Event[]> => (await t.call({ method: "GET", url: "/api/audit?limit=500" })).json().events;
const last = async (action: string): Promise<Event | undefined> => (await t.call({ method: "GET", url: `/api/audit?action=${action}&limit=1` })).json().events[0];

/** Makes the audit table unavailable while `work` runs: every event write fails. */
async function withoutAuditTable(work: () => Promise<void>): Promise<void> {
  const db = t.platform.engine.database.db;
  await sql`ALTER TABLE audit_events RENAME TO audit_events_gone`.execute(db);
  try {
    await work();
  } finally {
    await sql`ALTER TABLE audit_events_gone RENAME TO audit_events`.execute(db);
  }
}

beforeAll(async () => {
  t = await startTestPlatform(FILES, { BIFROST_SCHEDULER: "false" });
  org = await createOrgWithKey(t, "Audited Org");
});
afterAll(async () => {
  await t?.close();
});

describe("changes in the database", () => {
  it("tables: create, documents, batch and drop each leave one event, with names and ids only", async () => {
    const k = org.key;
    expect((await t.call({ method: "POST", url: "/api/tables", key: k, payload: { name: "tickets" } })).statusCode).toBe(201);
    expect(await last("table.create")).toMatchObject({ target: "tickets", orgId: org.orgId, details: { scope: org.orgId } });
    // ifNotExists on an existing table changes nothing: no event.
    expect((await t.call({ method: "POST", url: "/api/tables", key: k, payload: { name: "tickets", ifNotExists: true } })).statusCode).toBe(200);
    await t.call({ method: "POST", url: "/api/tables/tickets/documents", key: k, payload: { id: "t1", subject: "printer on fire" } });
    await t.call({ method: "PATCH", url: "/api/tables/tickets/documents/t1", key: k, payload: { status: "open" } });
    await t.call({ method: "PUT", url: "/api/tables/tickets/documents/t2", key: k, payload: { subject: "vpn" } });
    await t.call({ method: "POST", url: "/api/tables/tickets/batch/delete", key: k, payload: { ids: ["t2", "nope"] } });
    await t.call({ method: "DELETE", url: "/api/tables/tickets/documents/t1", key: k });
    expect((await t.call({ method: "DELETE", url: "/api/tables/tickets", key: k })).statusCode).toBe(204);
    const tableEvents = (await all()).filter((e) => e.action.startsWith("table."));
    expect(tableEvents.map((e) => [e.action, e.target])).toEqual([
      ["table.drop", "tickets"],
      ["table.delete", "tickets/t1"],
      ["table.delete", "tickets"],
      ["table.upsert", "tickets/t2"],
      ["table.update", "tickets/t1"],
      ["table.insert", "tickets"],
      ["table.create", "tickets"],
    ]);
    expect(JSON.stringify(tableEvents)).not.toContain("printer on fire");
  });

  it("knowledge, schedules, endpoint keys and AI settings leave their events, never a key or content", async () => {
    await t.call({ method: "PUT", url: "/api/knowledge/namespaces/kb/documents/vpn", key: org.key, payload: { content: "The VPN secret handshake is blue." } });
    expect(await last("knowledge.store")).toMatchObject({ target: "kb/vpn", orgId: org.orgId });
    expect((await t.call({ method: "DELETE", url: "/api/knowledge/namespaces/kb/documents/vpn", key: org.key })).statusCode).toBe(204);
    expect(await last("knowledge.remove")).toMatchObject({ target: "kb/vpn" });

    const paused = await t.call({ method: "POST", url: "/api/schedules/audited_nightly/pause" });
    expect(paused.json()).toMatchObject({ paused: true });
    const w = paused.json().workflowId as string;
    await t.call({ method: "POST", url: "/api/schedules/audited_nightly/resume" });
    expect(await last("schedule.pause")).toMatchObject({ target: w, orgId: null, details: { workflow: "audited_nightly" } });
    expect(await last("schedule.resume")).toMatchObject({ target: w });

    const created = (await t.call({ method: "POST", url: "/api/endpoint-keys", key: org.key, payload: { name: "zapier" } })).json();
    const rotated = (await t.call({ method: "POST", url: `/api/endpoint-keys/${created.id}/rotate`, key: org.key })).json();
    expect((await t.call({ method: "DELETE", url: `/api/endpoint-keys/${created.id}`, key: org.key })).statusCode).toBe(204);
    for (const action of ["endpoint_key.create", "endpoint_key.rotate", "endpoint_key.revoke"]) {
      expect(await last(action)).toMatchObject({ target: created.id, orgId: org.orgId, details: { name: "zapier" } });
    }

    expect((await t.call({ method: "PUT", url: "/api/ai/settings", payload: { chatProvider: null } })).statusCode).toBe(200);
    expect(await last("ai_settings.update")).toMatchObject({ target: "global", orgId: null, details: { chatProviderId: null } });

    const text = JSON.stringify(await all());
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(rotated.key);
    expect(text).not.toContain("secret handshake");
    // Every event so far came from its change itself, none from the after-the-answer fallback.
    expect((await all()).filter((e) => e.details && "route" in e.details)).toEqual([]);
  });

  it("when the event cannot be written, the change is not made either", async () => {
    const paused = async () => (await t.call({ method: "GET", url: "/api/schedules" })).json().schedules.find((s: { workflowName: string }) => s.workflowName === "audited_nightly").paused;
    const keysBefore = (await t.call({ method: "GET", url: "/api/endpoint-keys", key: org.key })).json().endpointKeys.length;
    await withoutAuditTable(async () => {
      expect((await t.call({ method: "POST", url: "/api/tables", key: org.key, payload: { name: "unaudited" } })).statusCode).toBe(500);
      expect((await t.call({ method: "PUT", url: "/api/knowledge/namespaces/kb/documents/x", key: org.key, payload: { content: "never stored" } })).statusCode).toBe(500);
      expect((await t.call({ method: "POST", url: "/api/schedules/audited_nightly/pause" })).statusCode).toBe(500);
      expect((await t.call({ method: "POST", url: "/api/endpoint-keys", key: org.key, payload: { name: "unaudited" } })).statusCode).toBe(500);
      expect((await t.call({ method: "PUT", url: "/api/config/unaudited", key: org.key, payload: { value: "x" } })).statusCode).toBe(500);
    });
    expect((await t.call({ method: "GET", url: "/api/tables/unaudited", key: org.key })).statusCode).toBe(404);
    expect((await t.call({ method: "GET", url: "/api/knowledge/namespaces/kb/documents/x", key: org.key })).statusCode).toBe(404);
    expect(await paused()).toBe(false);
    expect((await t.call({ method: "GET", url: "/api/endpoint-keys", key: org.key })).json().endpointKeys).toHaveLength(keysBefore);
    expect((await t.call({ method: "GET", url: "/api/config/unaudited", key: org.key })).statusCode).toBe(404);
  });
});

describe("changes on disk", () => {
  it("file writes and deletes: the event first, the file only when it was written; a failed change is noted", async () => {
    const write = (path: string, key = org.key) => t.call({ method: "POST", url: "/api/files/write", key, payload: { path, content: "report", location: "uploads" } });
    expect((await write("reports/q1.txt")).statusCode).toBe(200);
    expect(await last("file.write")).toMatchObject({ target: "uploads/reports/q1.txt", orgId: org.orgId });
    expect((await t.call({ method: "POST", url: "/api/files/delete", key: org.key, payload: { path: "reports/q1.txt", location: "uploads" } })).statusCode).toBe(200);
    expect(await last("file.delete")).toMatchObject({ target: "uploads/reports/q1.txt" });

    // A write that fails after its event (a folder stands where the file would go): noted as failed.
    expect((await write("reports/folder/inner.txt")).statusCode).toBe(200);
    expect((await write("reports/folder")).statusCode).toBeGreaterThanOrEqual(400);
    expect(await last("file.write_failed")).toMatchObject({ target: "uploads/reports/folder", details: { error: expect.any(String) } });

    // The editor: saves and deletes of workspace files, and folders.
    expect((await t.call({ method: "POST", url: "/api/files/editor/file", payload: { path: "notes/readme.md", content: "# hi" } })).statusCode).toBe(200);
    expect(await last("workspace_file.write")).toMatchObject({ target: "workspace/notes/readme.md" });
    expect((await t.call({ method: "POST", url: "/api/files/editor/directory", payload: { path: "notes/sub" } })).statusCode).toBe(201);
    expect(await last("workspace_folder.create")).toMatchObject({ target: "workspace/notes/sub" });
    expect((await t.call({ method: "DELETE", url: "/api/files/editor/file?path=notes/readme.md" })).statusCode).toBe(204);
    expect(await last("workspace_file.delete")).toMatchObject({ target: "workspace/notes/readme.md" });

    // No event, no file.
    await withoutAuditTable(async () => {
      expect((await write("reports/unaudited.txt")).statusCode).toBe(500);
      expect((await t.call({ method: "POST", url: "/api/files/editor/file", payload: { path: "notes/unaudited.md", content: "x" } })).statusCode).toBe(500);
    });
    expect(existsSync(join(t.workspace, "notes", "unaudited.md"))).toBe(false);
    expect((await t.call({ method: "POST", url: "/api/files/exists", key: org.key, payload: { path: "reports/unaudited.txt", location: "uploads" } })).json().exists).toBe(false);
    expect(JSON.stringify(await all())).not.toContain('"report"');
  });
});
