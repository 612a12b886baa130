import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { Cache } from "@bifrost/engine/events/cache.js";
import type { Engine } from "@bifrost/engine/engine.js";
import { HttpError } from "../../http-error.js";
import type { WorkflowsService } from "../workflows/workflows.service.js";

export interface ProviderOption {
  label: string;
  value: unknown;
}

/** Canonical JSON (sorted keys), so `{a,b}` and `{b,a}` share a cache entry. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Data providers (SPEC §1, §3): run like any workflow (one execution record each, trigger
 * `form`), their `{ label, value }[]` result cached for `cacheTtl` seconds per
 * (effective principal, provider, code version, params). The principal is everything
 * the provider's `context` tells about the caller — organization (id and name), platform
 * admin or not, key id, user name, email — so an answer computed for one caller (say, a
 * platform admin's, with `context.isPlatformAdmin` true) is never served to another. A
 * new version of the provider's code never serves an old answer: the source hash is part
 * of the key.
 */
export class DataProvidersService {
  constructor(private readonly deps: { engine: Engine; workflows: WorkflowsService; cache: Cache }) {}

  async options(caller: SdkCaller, name: string, params: Record<string, unknown>): Promise<{ options: ProviderOption[]; cached: boolean; executionId: string | null }> {
    const provider = this.deps.workflows.find(caller, name);
    if (provider.kind !== "data_provider") throw new HttpError(404, "not_found", `Data provider "${name}" not found (${name} is a ${provider.kind})`);
    const input = this.deps.workflows.validate(provider, params);
    const request = await this.deps.workflows.request(caller, provider, input, "form");
    const p = request.principal;
    const principal = canonical([request.orgId, p.orgName, p.isPlatformAdmin, p.keyId, p.userName, p.email]);
    const key = `dp:${request.orgId ?? "global"}:${provider.id}:${provider.sourceHash}:${principal}:${canonical(input)}`;
    const ttlMs = (provider.cacheTtl ?? 0) * 1000;
    if (ttlMs > 0) {
      const hit = await this.deps.cache.get<ProviderOption[]>(key);
      if (hit) return { options: hit, cached: true, executionId: null };
    }
    const { record } = await this.deps.engine.executor.executeSync(request);
    if (record.status !== "Success") {
      throw new HttpError(502, "provider_failed", `Data provider "${name}" ended ${record.status}${record.error ? `: ${record.error}` : ""} (execution ${record.id})`);
    }
    const options = record.result;
    const valid =
      Array.isArray(options) &&
      options.every((o) => typeof o === "object" && o !== null && typeof (o as ProviderOption).label === "string" && "value" in (o as object));
    if (!valid) {
      throw new HttpError(502, "provider_bad_result", `Data provider "${name}" must return [{ label: string, value }], got ${JSON.stringify(options)?.slice(0, 200)} (execution ${record.id})`);
    }
    const clean = (options as ProviderOption[]).map((o) => ({ label: o.label, value: o.value }));
    if (ttlMs > 0) await this.deps.cache.set(key, clean, ttlMs);
    return { options: clean, cached: false, executionId: record.id };
  }
}
