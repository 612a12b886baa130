import { formatIp, inCidr, parseCidr, parseIp, restrictedReason, unmapped, type Cidr, type IpAddress } from "./ip-address.js";

/** One entry of `BIFROST_EGRESS_ALLOW`. */
export type AllowRule =
  | { kind: "host"; text: string; host: string; subdomains: boolean; port: number | null }
  | { kind: "ip"; text: string; ip: IpAddress; port: number | null }
  | { kind: "cidr"; text: string; cidr: Cidr };

export class EgressConfigError extends Error {
  override name = "EgressConfigError";
}

const HOST = /^(\*\.)?([a-z0-9_](?:[a-z0-9_-]{0,62})?)(\.[a-z0-9_](?:[a-z0-9_-]{0,62})?)*$/;

function parsePort(text: string, entry: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new EgressConfigError(`"${entry}": the port must be a number from 1 to 65535`);
  return port;
}

/**
 * Parses one allow-list entry: a host name (`psa.internal`, `*.corp.example` for its
 * subdomains), an IP address (`10.0.0.5`, `::1`, `[::1]`), either with a port
 * (`psa.internal:8443`, `10.0.0.5:443`, `[fd00::5]:443`), or a network (`10.20.0.0/16`,
 * `fd00::/8`, every port).
 */
export function parseAllowRule(raw: string): AllowRule {
  const text = raw.trim();
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(text);
  if (url) throw new EgressConfigError(`"${text}" is a URL: list its host or host:port instead (${url[1]})`);
  if (text.includes("/")) {
    const cidr = parseCidr(text.replace(/^\[([^\]]+)\]/, "$1"));
    if (!cidr) throw new EgressConfigError(`"${text}" is not a network: write it like 10.20.0.0/16 or fd00::/8 (no port)`);
    return { kind: "cidr", text, cidr };
  }
  if (text.startsWith("[")) {
    const m = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
    const ip = m ? parseIp(m[1]!) : null;
    if (!m || !ip || ip.family !== 6) throw new EgressConfigError(`"${text}" is not an IPv6 address in brackets, like [fd00::5] or [fd00::5]:443`);
    return { kind: "ip", text, ip, port: m[2] === undefined ? null : parsePort(m[2], text) };
  }
  const whole = parseIp(text);
  if (whole) return { kind: "ip", text, ip: whole, port: null };
  const colon = text.lastIndexOf(":");
  if (text.indexOf(":") !== colon) throw new EgressConfigError(`"${text}" is not a host: give an IPv6 address with a port in brackets, like [fd00::5]:443`);
  const hostPart = (colon >= 0 ? text.slice(0, colon) : text).toLowerCase().replace(/\.$/, "");
  const port = colon >= 0 ? parsePort(text.slice(colon + 1), text) : null;
  const ip = parseIp(hostPart);
  if (ip) return { kind: "ip", text, ip, port };
  if (!HOST.test(hostPart)) throw new EgressConfigError(`"${text}" is not a host name, host:port, IP address or network (CIDR)`);
  const subdomains = hostPart.startsWith("*.");
  return { kind: "host", text, host: subdomains ? hostPart.slice(2) : hostPart, subdomains, port };
}

/** Where a request goes: the URL's host (name or IP literal) and port. */
export interface EgressTarget {
  host: string;
  port: number;
}

/**
 * What workflows may connect to. Every public address is allowed; loopback, link-local
 * (the cloud metadata address 169.254.169.254 among them), private, carrier-grade NAT,
 * multicast, reserved and unspecified addresses — in IPv4 and IPv6, and in the IPv6 forms
 * that embed an IPv4 address — are refused unless an allow rule names the host, the
 * address or its network.
 *
 * @example
 * ```ts
 * const policy = EgressPolicy.parse("psa.internal:8443, 10.20.0.0/16");
 * policy.denial({ host: "db.internal", port: 5432 }, parseIp("10.30.0.4")!); // "private"
 * policy.denial({ host: "psa.internal", port: 8443 }, parseIp("10.30.0.9")!); // null: allowed
 * ```
 */
export class EgressPolicy {
  constructor(readonly rules: readonly AllowRule[] = []) {}

  /** Parses a comma- (or space-) separated list; throws EgressConfigError naming the bad entry. */
  static parse(list: string | readonly string[] = []): EgressPolicy {
    const entries = typeof list === "string" ? list.split(/[\s,]+/) : list;
    return new EgressPolicy(entries.filter((e) => e.trim() !== "").map(parseAllowRule));
  }

  /** Null when `target`, connecting to `address`, is allowed; else why not (e.g. "loopback"). */
  denial(target: EgressTarget, address: IpAddress): string | null {
    const reason = restrictedReason(address);
    if (reason === null) return null;
    return this.rules.some((rule) => matches(rule, target, address)) ? null : reason;
  }
}

function matches(rule: AllowRule, target: EgressTarget, address: IpAddress): boolean {
  const plain = unmapped(address);
  switch (rule.kind) {
    case "cidr":
      return inCidr(plain, rule.cidr) || inCidr(address, rule.cidr);
    case "ip": {
      if (rule.port !== null && rule.port !== target.port) return false;
      const want = unmapped(rule.ip);
      return formatIp(want) === formatIp(plain);
    }
    case "host": {
      if (rule.port !== null && rule.port !== target.port) return false;
      const host = target.host.toLowerCase().replace(/\.$/, "");
      return rule.subdomains ? host.endsWith(`.${rule.host}`) : host === rule.host;
    }
  }
}
