import type { ConfigEntry, ConfigType } from "@bifrost/contracts/config.js";
import { call } from "./transport.js";

export type { ConfigEntry, ConfigType };

export interface ScopeOption {
  /** An organization id or `"global"`. Default: the current organization (org first, then global, for reads). */
  scope?: string;
}

/**
 * Reads a config value: the organization's if it has one, else the global one, else
 * `options.default` (or null). Secrets come back decrypted, and the run's logs, result,
 * variables and errors show `[REDACTED]` wherever the value appears.
 *
 * @example
 * ```ts
 * import { workflow, config } from "bifrost";
 *
 * export const sync = workflow({}, async () => {
 *   const baseUrl = await config.get<string>("psa_url", { default: "https://psa.example.com" });
 *   const token = await config.get<string>("psa_token"); // a secret
 *   const res = await fetch(`${baseUrl}/tickets`, { headers: { authorization: `Bearer ${token}` } });
 *   return { status: res.status };
 * });
 * ```
 */
export function get<T = unknown>(key: string, options: ScopeOption & { default?: T } = {}): Promise<T | null> {
  return call<T | null>("config.get", [key, options], { idempotent: true });
}

/**
 * Stores a value. Its type is inferred (string, int, bool, json) unless given;
 * `secret: true` encrypts it at rest (AES-256-GCM) and keeps it out of every list.
 * Only platform admins may write `scope: "global"` or another organization's values.
 *
 * @example
 * ```ts
 * import { config } from "bifrost";
 *
 * await config.set("ticket_queue", "Service Desk");
 * await config.set("max_licenses", 25);
 * await config.set("psa_token", "s3cr3t-token", { secret: true });
 * ```
 */
export async function set(key: string, value: unknown, options: ScopeOption & { secret?: boolean; type?: ConfigType } = {}): Promise<void> {
  await call("config.set", [key, value, options]);
}

/**
 * Lists the entries visible in a scope: the organization's, plus global ones it does not
 * override. Secret values are never included.
 *
 * @example
 * ```ts
 * import { config } from "bifrost";
 *
 * for (const entry of await config.list()) console.log(entry.key, entry.secret ? "(secret)" : entry.value);
 * ```
 */
export function list(options: ScopeOption = {}): Promise<ConfigEntry[]> {
  return call<ConfigEntry[]>("config.list", [options], { idempotent: true });
}

/**
 * Deletes a value from one scope; resolves true when it existed.
 *
 * @example
 * ```ts
 * import { config } from "bifrost";
 *
 * await config.delete("old_setting");
 * ```
 */
function remove(key: string, options: ScopeOption = {}): Promise<boolean> {
  return call<boolean>("config.delete", [key, options]);
}
export { remove as delete };
