/** Types a config value can have (SPEC §2 `config`). */
export const CONFIG_TYPES = ["string", "int", "bool", "json", "secret"] as const;
export type ConfigType = (typeof CONFIG_TYPES)[number];

/** A config entry as lists show it: secret values are never included (`value` is null). */
export interface ConfigEntry {
  key: string;
  type: ConfigType;
  value: unknown;
  secret: boolean;
  /** "global", or the organization id the value belongs to. */
  scope: string;
  updatedAt: string;
}
