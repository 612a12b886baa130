import type { Socket } from "node:net";
import { buildConnector } from "undici";
import { formatIp, parseIp, type IpAddress } from "./ip-address.js";
import type { EgressPolicy } from "./egress-policy.js";
import type { EgressResolver } from "./egress-resolver.js";

/** The cause of a `fetch failed` the egress policy decided. */
export class EgressDeniedError extends Error {
  override name = "EgressDeniedError";
  readonly code = "EGRESS_DENIED";
}

export interface GuardOptions {
  policy: EgressPolicy;
  resolver: EgressResolver;
  /** Longest TCP (and TLS) handshake per address. */
  connectTimeoutMs: number;
  /** Extra trusted CA certificates (PEM) for HTTPS; default Node's store (NODE_EXTRA_CA_CERTS applies). */
  ca?: string | string[];
}

const bracket = (host: string) => (host.includes(":") ? `[${host}]` : host);

/** "egress to 127.0.0.1:5432 is not allowed (loopback); allow it with BIFROST_EGRESS_ALLOW" */
export function denialMessage(host: string, port: number, address: IpAddress, reason: string): string {
  const ip = formatIp(address);
  const where = parseIp(host) ? `${bracket(ip)}:${port}` : `${host}:${port} (resolved to ${ip})`;
  return `egress to ${where} is not allowed (${reason}); allow it with BIFROST_EGRESS_ALLOW`;
}

/** Errors after which the next address of the name is worth a try. */
const NEXT_ADDRESS = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * Resolves `host`, refuses when any answer is denied (a name that resolves to a public
 * and a private address is refused), and dials the checked addresses in order with
 * `dial` until one connects. No second lookup happens: the socket is pinned to an
 * address that was checked.
 */
async function connectChecked<S>(options: GuardOptions, host: string, port: number, dial: (address: IpAddress) => Promise<S>): Promise<S> {
  const addresses = await options.resolver.resolve(host);
  for (const address of addresses) {
    const reason = options.policy.denial({ host, port }, address);
    if (reason !== null) throw new EgressDeniedError(denialMessage(host, port, address, reason));
  }
  let lastError: unknown;
  for (const address of addresses) {
    try {
      return await dial(address);
    } catch (error) {
      lastError = error;
      if (!NEXT_ADDRESS.has(String((error as NodeJS.ErrnoException).code))) break;
    }
  }
  throw lastError;
}

/**
 * An undici connector that resolves the name itself, refuses the connection when any
 * address the name resolves to is not allowed, and otherwise connects to the checked
 * address (pinned: no second lookup happens). For HTTPS the original name is kept as
 * SNI and for certificate verification; undici writes the Host header from the URL.
 */
export function guardedConnector(options: GuardOptions): buildConnector.connector {
  const base = buildConnector({ timeout: options.connectTimeoutMs, ...(options.ca ? { ca: options.ca } : {}) });
  const dial = (connectOptions: buildConnector.Options, address: IpAddress, servername: string | undefined) =>
    new Promise<Socket>((resolve, reject) => {
      base({ ...connectOptions, hostname: formatIp(address), ...(servername ? { servername } : {}) }, (error, socket) =>
        error ? reject(error) : resolve(socket!),
      );
    });
  return (connectOptions, callback) => {
    const host = connectOptions.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = Number(connectOptions.port) || (connectOptions.protocol === "https:" ? 443 : 80);
    const servername = parseIp(host) ? undefined : connectOptions.servername || host;
    connectChecked(options, host, port, (address) => dial(connectOptions, address, servername)).then(
      (socket) => callback(null, socket),
      (error: Error) => callback(error, null),
    );
  };
}

/** A plain TCP connection to `host:port` under the same checks (the tunnel of a workflow's node:http/https). */
export function guardedDialer(options: GuardOptions): (host: string, port: number) => Promise<Socket> {
  const base = buildConnector({ timeout: options.connectTimeoutMs });
  return (rawHost, port) => {
    const host = rawHost.replace(/^\[(.*)\]$/, "$1");
    return connectChecked(options, host, port, (address) =>
      new Promise<Socket>((resolve, reject) => {
        base({ hostname: formatIp(address), host: `${host}:${port}`, protocol: "http:", port: String(port) }, (error, socket) => (error ? reject(error) : resolve(socket!)));
      }),
    );
  };
}
