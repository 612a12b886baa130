import { z } from "zod";
import { CLIENT_AUTH_METHODS, OAUTH_FLOWS } from "@bifrost/contracts/integrations.js";

export const IntegrationName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, "must start with a letter and use letters, digits, _ and - (up to 64)");

/** An http(s) URL; `{entityId}` placeholders are allowed anywhere. */
const UrlTemplate = z
  .string()
  .max(2000)
  .refine((s) => {
    try {
      const u = new URL(s.replaceAll("{entityId}", "entity"));
      return u.protocol === "https:" || u.protocol === "http:";
    } catch {
      return false;
    }
  }, "must be an http(s) URL (it may contain {entityId})");

const Scope = z.string().min(1).max(500).regex(/^[^\s]+$/, "must not contain spaces (give one scope per item)");

export const OAuthInput = z
  .object({
    flow: z.enum(OAUTH_FLOWS),
    authorizeUrl: UrlTemplate.nullish(),
    tokenUrl: UrlTemplate,
    scopes: z.array(Scope).max(100).default([]),
    clientId: z.string().min(1, "is required").max(500),
    /** Write-only: never returned. Omitted on update = keep the stored secret; null = remove it. */
    clientSecret: z.string().min(1).max(4000).nullish(),
    clientAuth: z.enum(CLIENT_AUTH_METHODS).default("post"),
    authorizeParams: z.record(z.string(), z.string().max(2000)).default({}),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.flow === "authorization_code" && !o.authorizeUrl) {
      ctx.addIssue({ code: "custom", path: ["authorizeUrl"], message: "is required for the authorization_code flow" });
    }
  });

export const IntegrationBody = z
  .object({
    name: IntegrationName,
    description: z.string().max(2000).nullish(),
    configSchema: z.record(z.string(), z.unknown(), { error: "must be a JSON Schema object" }).nullish(),
    baseUrl: UrlTemplate.nullish(),
    oauth: OAuthInput.nullish(),
  })
  .strict();
export type IntegrationBody = z.output<typeof IntegrationBody>;

export const MappingBody = z
  .object({
    entityId: z.string().trim().min(1, "is required").max(500),
    entityName: z.string().max(500).nullish(),
    config: z.record(z.string(), z.unknown(), { error: "must be a JSON object" }).default({}),
  })
  .strict();
export type MappingBody = z.output<typeof MappingBody>;

export const ScopeOption = z.string().min(1).max(200);
export const ScopeOptions = z.object({ scope: ScopeOption.optional() }).strict();
export const RefreshOptions = z.object({ scope: ScopeOption.optional(), rejectedToken: z.string().min(1).optional() }).strict();
