import { promises as dns } from "node:dns";
import { parseIp, type IpAddress } from "./ip-address.js";

export interface EgressResolverOptions {
  /**
   * DNS servers to ask (`1.1.1.1`, `10.0.0.2:53`, `[2606:4700::1111]:53`) instead of the
   * system resolver (`getaddrinfo`: /etc/hosts, then the system's servers).
   */
  servers?: readonly string[];
  /** Longest wait for an answer. Default 5 s. */
  timeoutMs?: number;
}

function dnsError(code: string, syscall: string, host: string): Error {
  return Object.assign(new Error(`${syscall} ${code} ${host}`), { code, syscall, hostname: host });
}

/**
 * Resolves the names workflows connect to, on the host. The egress guard checks every
 * address it returns and connects to one of those exact addresses, so a second, different
 * answer (DNS rebinding) is never used for a connection that was checked.
 */
export class EgressResolver {
  private readonly resolver: dns.Resolver | null;
  private readonly timeoutMs: number;

  constructor(options: EgressResolverOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    if (options.servers && options.servers.length > 0) {
      this.resolver = new dns.Resolver({ timeout: Math.max(100, Math.floor(this.timeoutMs / 2)), tries: 2 });
      this.resolver.setServers([...options.servers]);
    } else {
      this.resolver = null;
    }
  }

  /** The addresses of `host` (an IP literal is its own answer), in the order to try them. */
  async resolve(host: string): Promise<IpAddress[]> {
    const literal = parseIp(host);
    if (literal) return [literal];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(dnsError("ETIMEOUT", this.resolver ? "query" : "getaddrinfo", host)), this.timeoutMs);
    });
    try {
      const texts = await Promise.race([this.lookup(host), timeout]);
      const addresses = texts.map((t) => parseIp(t)).filter((a): a is IpAddress => a !== null);
      if (addresses.length === 0) throw dnsError("ENOTFOUND", this.resolver ? "query" : "getaddrinfo", host);
      return addresses;
    } finally {
      clearTimeout(timer);
    }
  }

  private async lookup(host: string): Promise<string[]> {
    if (!this.resolver) return (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    const [v4, v6] = await Promise.allSettled([this.resolver.resolve4(host), this.resolver.resolve6(host)]);
    const found = [...(v4.status === "fulfilled" ? v4.value : []), ...(v6.status === "fulfilled" ? v6.value : [])];
    if (found.length > 0) return found;
    const failure = v4.status === "rejected" ? (v4.reason as NodeJS.ErrnoException) : null;
    // No record of either family is "not found", as getaddrinfo reports it.
    const code = !failure || failure.code === "ENODATA" || failure.code === "ENOTFOUND" ? "ENOTFOUND" : (failure.code ?? "ENOTFOUND");
    throw dnsError(code, "query", host);
  }
}
