import { z } from "zod";
import type { SdkRegistry } from "../sdk/sdk-registry.js";
import { IntegrationName, MappingBody, RefreshOptions, ScopeOptions } from "./integrations.schemas.js";
import type { IntegrationsService } from "./integrations.service.js";

/** `integrations.*` for running workflows and the external SDK (packages/sdk/src/integrations.ts). */
export function registerIntegrationsSdk(sdk: SdkRegistry, integrations: IntegrationsService): void {
  const scoped = ScopeOptions.optional();
  sdk.register("integrations.get", ["name", "options"], z.tuple([IntegrationName, scoped]), (caller, name, options) =>
    integrations.access(caller, name, options),
  );
  sdk.register("integrations.refresh", ["name", "options"], z.tuple([IntegrationName, RefreshOptions.optional()]), (caller, name, options) =>
    integrations.refresh(caller, name, options),
  );
  sdk.register("integrations.list", ["options"], z.tuple([scoped]), (caller, options) => integrations.summaries(caller, options));
  sdk.register("integrations.listMappings", ["name", "options"], z.tuple([IntegrationName, scoped]), (caller, name, options) =>
    integrations.listMappings(caller, name, options),
  );
  sdk.register("integrations.getMapping", ["name", "options"], z.tuple([IntegrationName, scoped]), (caller, name, options) =>
    integrations.getMapping(caller, name, options),
  );
  sdk.register("integrations.upsertMapping", ["name", "mapping", "options"], z.tuple([IntegrationName, MappingBody, scoped]), async (caller, name, mapping, options) =>
    (await integrations.upsertMapping(caller, name, mapping, options)).mapping,
  );
  sdk.register("integrations.deleteMapping", ["name", "options"], z.tuple([IntegrationName, scoped]), (caller, name, options) =>
    integrations.deleteMapping(caller, name, options),
  );
}
