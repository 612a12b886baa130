import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { CliError } from "./errors.js";

/** One instance the CLI talks to. */
export interface Profile {
  url: string;
  apiKey: string;
  /** Default organization for a platform-admin key (sent as X-Bifrost-Org). */
  org?: string;
}

interface ConfigFile {
  profiles: Record<string, Profile>;
}

/** `$XDG_CONFIG_HOME/bifrost/config.json`, else `~/.config/bifrost/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "bifrost", "config.json");
}

function readConfig(path = configPath()): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { profiles: {} };
    throw new CliError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as Partial<ConfigFile>;
    return { profiles: parsed.profiles && typeof parsed.profiles === "object" ? parsed.profiles : {} };
  } catch (error) {
    throw new CliError(`${path} is not valid JSON (${(error as Error).message}): fix or delete it, then run bifrost login again`);
  }
}

/** Written atomically, readable only by its owner (it holds API keys). */
function writeConfig(config: ConfigFile, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function getProfile(name: string): Profile | undefined {
  return readConfig().profiles[name];
}

export function saveProfile(name: string, profile: Profile): string {
  const config = readConfig();
  config.profiles[name] = profile;
  const path = configPath();
  writeConfig(config, path);
  return path;
}

/** Removes a profile; false when there was none of that name. */
export function removeProfile(name: string): boolean {
  const config = readConfig();
  if (!config.profiles[name]) return false;
  delete config.profiles[name];
  writeConfig(config);
  return true;
}

export function profileNames(): string[] {
  return Object.keys(readConfig().profiles);
}

/** The connection a command uses, and where each part came from (for messages). */
export interface Connection {
  url: string;
  apiKey: string;
  org: string | null;
  profile: string;
  /** True when the profile file supplied the key (not BIFROST_API_KEY). */
  fromProfile: boolean;
}

export interface ConnectionFlags {
  profile?: string;
  org?: string;
}

/** Default profile name: `--profile`, else BIFROST_PROFILE, else "default". */
export function profileName(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): string {
  return flags.profile || env.BIFROST_PROFILE || "default";
}

/**
 * Flags beat the environment, which beats the profile: BIFROST_URL, BIFROST_API_KEY and
 * BIFROST_ORG (or BIFROST_ORG_ID, the external SDK's name) override what `login` stored.
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const name = profileName(flags, env);
  const stored = getProfile(name);
  const url = env.BIFROST_URL || stored?.url;
  const apiKey = env.BIFROST_API_KEY || stored?.apiKey;
  if (!url || !apiKey) {
    const missing = !stored && flags.profile ? `No profile "${name}" (known: ${profileNames().join(", ") || "none"})` : "Not logged in";
    throw new CliError(`${missing}: run "bifrost login <url>${name === "default" ? "" : ` --profile ${name}`}", or set BIFROST_URL and BIFROST_API_KEY`);
  }
  const org = flags.org || env.BIFROST_ORG || env.BIFROST_ORG_ID || stored?.org || null;
  return { url: normalizeUrl(url), apiKey, org, profile: name, fromProfile: !env.BIFROST_API_KEY };
}

/** `localhost:3000` → `http://localhost:3000`; no trailing slash. */
export function normalizeUrl(raw: string): string {
  let url = raw.trim();
  if (!/^https?:\/\//i.test(url)) url = `http://${url}`;
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
  } catch {
    throw new CliError(`"${raw}" is not a URL (for example http://127.0.0.1:3000)`);
  }
}
