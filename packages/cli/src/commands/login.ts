import { createInterface } from "node:readline";
import { Client } from "../lib/client.js";
import { CliError, EXIT } from "../lib/errors.js";
import { describeIdentity, identify } from "../lib/identity.js";
import { printJson } from "../lib/output.js";
import { configPath, getProfile, normalizeUrl, profileName, removeProfile, resolveConnection, saveProfile } from "../lib/profiles.js";
import { err, out } from "../lib/style.js";

interface LoginOptions {
  profile?: string;
  key?: string;
  org?: string;
  json?: boolean;
}

/** Reads the key: a hidden prompt on a terminal, else the first line of standard input. */
async function readKey(url: string): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = "";
    for await (const chunk of process.stdin) text += chunk;
    return text.split(/\r?\n/)[0]?.trim() ?? "";
  }
  process.stderr.write(`API key for ${url} (input hidden): `);
  const rl = createInterface({ input: process.stdin, terminal: true });
  // Echo nothing while the key is typed.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  const key = await new Promise<string>((resolve) => rl.once("line", resolve));
  rl.close();
  process.stderr.write("\n");
  return key.trim();
}

export async function login(urlArg: string | undefined, opts: LoginOptions): Promise<number> {
  const name = profileName(opts);
  const existing = getProfile(name);
  const url = normalizeUrl(urlArg ?? process.env.BIFROST_URL ?? existing?.url ?? "http://127.0.0.1:3000");
  const apiKey = (opts.key ?? (await readKey(url))).trim();
  if (!apiKey) throw new CliError("No API key given: pass --key, type it at the prompt, or pipe it on standard input", EXIT.badInput);
  const org = opts.org ?? undefined;
  const who = await identify(new Client({ url, apiKey, org: org ?? null, profile: name, fromProfile: true }));
  const path = saveProfile(name, { url, apiKey, ...(org ? { org } : {}) });
  if (opts.json) {
    printJson({ profile: name, url, org: org ?? null, configPath: path, identity: who });
  } else {
    process.stderr.write(`${err.green("✓")} Logged in to ${err.bold(url)} as ${describeIdentity(who)}\n`);
    process.stderr.write(`  profile ${err.bold(name)} saved in ${path}\n`);
  }
  return 0;
}

export async function logout(opts: LoginOptions): Promise<number> {
  const name = profileName(opts);
  const existing = getProfile(name);
  if (!removeProfile(name)) throw new CliError(`No profile "${name}" in ${configPath()}: nothing to log out of`);
  if (opts.json) printJson({ profile: name, url: existing?.url ?? null, removed: true });
  else process.stderr.write(`${err.green("✓")} Logged out of ${existing?.url}: profile ${err.bold(name)} removed from ${configPath()}\n`);
  if (!opts.json && process.env.BIFROST_API_KEY) process.stderr.write(`  (BIFROST_API_KEY is still set in this shell)\n`);
  return 0;
}

export async function whoami(opts: LoginOptions): Promise<number> {
  const connection = resolveConnection(opts);
  const who = await identify(new Client(connection));
  if (opts.json) {
    printJson({ url: connection.url, profile: connection.profile, source: connection.fromProfile ? "profile" : "environment", org: connection.org, identity: who });
    return 0;
  }
  process.stdout.write(`${out.bold(connection.url)}\n`);
  process.stdout.write(`  key:     ${who ? `${who.keyName} (${who.keyId})` : "valid"}\n`);
  if (who) process.stdout.write(`  role:    ${who.isPlatformAdmin ? "platform admin" : "organization key"}\n`);
  const acting = who ? (who.actingOrganizationId !== undefined ? who.actingOrganizationId : who.organizationId) : null;
  if (who) process.stdout.write(`  acts in: ${acting ? `${who.organizationName} (${acting})` : "the global scope"}\n`);
  process.stdout.write(`  from:    ${connection.fromProfile ? `profile "${connection.profile}" (${configPath()})` : "BIFROST_URL / BIFROST_API_KEY"}\n`);
  return 0;
}
