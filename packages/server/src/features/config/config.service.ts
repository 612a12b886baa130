import { z } from "zod";
import type { Kysely } from "kysely";
import type { Schema } from "@bifrost/storage/schema.js";
import type { ConfigEntry, ConfigType } from "@bifrost/contracts/config.js";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { Redactor } from "@bifrost/engine/executor/redactor.js";
import type { ConfigRepo, ConfigRow } from "@bifrost/storage/config.repo.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import type { SecretBox } from "@bifrost/storage/secret-box.js";
import { forbidden, notFound, validationFailed } from "../../http-error.js";
import { GLOBAL, resolveScope } from "../sdk/scope.js";

export const ConfigKey = z
  .string()
  .min(1, "must not be empty")
  .max(200)
  .regex(/^[A-Za-z0-9_.:/-]+$/, "may use letters, digits and _ . : / - only");

function inferType(value: unknown): ConfigType {
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number" && Number.isInteger(value)) return "int";
  return "json";
}

function checkType(type: ConfigType, value: unknown): void {
  const bad = (message: string) => validationFailed([{ path: "value", message }]);
  if (value === undefined) throw bad("is required");
  if (type === "string" && typeof value !== "string") throw bad("must be a string for type string");
  if (type === "int" && !Number.isSafeInteger(value)) throw bad("must be a whole number for type int");
  if (type === "bool" && typeof value !== "boolean") throw bad("must be true or false for type bool");
}

/**
 * Config and secrets (SPEC §2 `config`). An organization's value overrides the global
 * one; secrets are sealed with AES-256-GCM at rest, never listed, and every secret a run
 * reads is redacted from that run's logs, result, variables and errors.
 */
export class ConfigService {
  constructor(
    private readonly deps: { repo: ConfigRepo; box: SecretBox; organizations: OrganizationsRepo; redactor: Redactor },
  ) {}

  private decode(row: ConfigRow): unknown {
    if (row.type === "secret") return JSON.parse(this.deps.box.open(row.value));
    return JSON.parse(row.value);
  }

  private entry(row: ConfigRow): ConfigEntry {
    const secret = row.type === "secret";
    return { key: row.key, type: row.type as ConfigType, value: secret ? null : JSON.parse(row.value), secret, scope: row.scope, updatedAt: row.updatedAt };
  }

  /** The row for a key: in `scope`, else (unless a scope was named) in the global scope. */
  private async find(scope: string, key: string, named: boolean): Promise<ConfigRow | null> {
    return (await this.deps.repo.get(scope, key)) ?? (scope !== GLOBAL && !named ? await this.deps.repo.get(GLOBAL, key) : null);
  }

  /** The value (org first, then global), or `fallback` when neither has it. */
  async get(caller: SdkCaller, key: string, options: { default?: unknown; scope?: string } = {}): Promise<unknown> {
    const scope = await resolveScope(caller, options.scope, "read", this.deps.organizations);
    const row = await this.find(scope, key, options.scope !== undefined);
    if (!row) return options.default ?? null;
    if (row.type === "secret" && row.scope === GLOBAL && !caller.executionId && !caller.isPlatformAdmin) {
      // Organizations use the platform's global secrets inside runs (where they are
      // redacted), but an organization key cannot read them out from outside.
      throw forbidden(`Config key "${key}" is a global secret: readable inside workflows only`);
    }
    const value = this.decode(row);
    if (row.type === "secret" && caller.executionId) this.deps.redactor.add(caller.executionId, value);
    return value;
  }

  /** The stored entry itself (secrets masked), for the HTTP API. */
  async describe(caller: SdkCaller, key: string, options: { scope?: string } = {}): Promise<ConfigEntry> {
    const scope = await resolveScope(caller, options.scope, "read", this.deps.organizations);
    const row = await this.find(scope, key, options.scope !== undefined);
    if (!row) throw notFound(`Config key "${key}"`);
    return this.entry(row);
  }

  /** `audit` (never given the value) commits with the change. */
  async set(caller: SdkCaller, key: string, value: unknown, options: { secret?: boolean; type?: ConfigType; scope?: string } = {}, audit?: (db: Kysely<Schema>, scope: string, type: ConfigType) => Promise<void>): Promise<ConfigEntry> {
    const scope = await resolveScope(caller, options.scope, "write", this.deps.organizations);
    const type: ConfigType = options.secret ? "secret" : (options.type ?? inferType(value));
    checkType(type, value);
    const json = JSON.stringify(value);
    if (json === undefined) throw validationFailed([{ path: "value", message: "must be a JSON value" }]);
    const stored = type === "secret" ? this.deps.box.seal(json) : json;
    await this.deps.repo.set(scope, key, type, stored, undefined, audit ? (db) => audit(db, scope, type) : undefined);
    if (type === "secret" && caller.executionId) this.deps.redactor.add(caller.executionId, value);
    return this.entry((await this.deps.repo.get(scope, key))!);
  }

  /** Entries visible in a scope: the organization's, and global ones it does not override. */
  async list(caller: SdkCaller, options: { scope?: string } = {}): Promise<ConfigEntry[]> {
    const scope = await resolveScope(caller, options.scope, "read", this.deps.organizations);
    const scopes = scope === GLOBAL || options.scope !== undefined ? [scope] : [scope, GLOBAL];
    const rows = await this.deps.repo.list(scopes);
    const byKey = new Map<string, ConfigRow>();
    for (const row of rows) if (!byKey.has(row.key) || row.scope !== GLOBAL) byKey.set(row.key, row);
    return [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key)).map((r) => this.entry(r));
  }

  async delete(caller: SdkCaller, key: string, options: { scope?: string } = {}, audit?: (db: Kysely<Schema>, scope: string) => Promise<void>): Promise<boolean> {
    const scope = await resolveScope(caller, options.scope, "write", this.deps.organizations);
    return this.deps.repo.delete(scope, key, audit ? (db) => audit(db, scope) : undefined);
  }
}
