import { Agent } from "undici";
import { EgressPolicy } from "./egress-policy.js";
import { EgressResolver } from "./egress-resolver.js";
import { EgressSession } from "./egress-session.js";
import { guardedConnector, guardedDialer } from "./guarded-connector.js";
import type { Socket } from "node:net";

export interface EgressOptions {
  /** `BIFROST_EGRESS_ALLOW`: hosts, host:port, IP addresses and networks workflows may reach although they are not public. */
  allow?: string | readonly string[];
  /** `BIFROST_EGRESS_DNS_SERVERS`: DNS servers for the names workflows connect to; default the system resolver. */
  dnsServers?: readonly string[];
  /** Longest TCP + TLS handshake per address. Default 10 s. */
  connectTimeoutMs?: number;
  /** Longest wait for a DNS answer. Default 5 s. */
  dnsTimeoutMs?: number;
  /** Requests of one run open at once (a response counts until its body is read to the end or cancelled). Default 64. */
  maxConcurrentPerRun?: number;
  /** Requests of one run waiting for a slot. Default 256. */
  maxQueuedPerRun?: number;
  /** node:http/https connections of one run open at once. Default 64. */
  maxConnectionsPerRun?: number;
  /** Extra trusted CA certificates (PEM); default Node's store (NODE_EXTRA_CA_CERTS applies). */
  ca?: string | string[];
}

/**
 * The host's side of workflows' network access: one policy, one resolver and one
 * connection pool for the process, and a session per running task.
 *
 * @example
 * ```ts
 * const egress = new EgressService({ allow: "psa.internal:8443" });
 * const session = egress.session();
 * await pool.run(task, { timeoutMs, onRpc: (m, a) => (isEgressMethod(m) ? session.handle(m, a) : sdk(m, a)) });
 * session.close(); // the task ended: its open requests are aborted
 * ```
 */
export class EgressService {
  readonly policy: EgressPolicy;
  private readonly agent: Agent;
  private readonly dial: (host: string, port: number) => Promise<Socket>;
  private readonly sessions = new Set<EgressSession>();

  constructor(private readonly options: EgressOptions = {}) {
    this.policy = EgressPolicy.parse(options.allow ?? []);
    const resolver = new EgressResolver({ servers: options.dnsServers ?? [], timeoutMs: options.dnsTimeoutMs ?? 5_000 });
    const guard = { policy: this.policy, resolver, connectTimeoutMs: options.connectTimeoutMs ?? 10_000 };
    this.agent = new Agent({ connect: guardedConnector({ ...guard, ...(options.ca ? { ca: options.ca } : {}) }) });
    this.dial = guardedDialer(guard);
  }

  /** The requests of one task; close it when the task ends. */
  session(): EgressSession {
    const limits = {
      maxConcurrent: this.options.maxConcurrentPerRun ?? 64,
      maxQueued: this.options.maxQueuedPerRun ?? 256,
      maxTunnels: this.options.maxConnectionsPerRun ?? 64,
    };
    const session = new EgressSession({ agent: this.agent, dial: this.dial }, limits, () => this.sessions.delete(session));
    this.sessions.add(session);
    return session;
  }

  async close(): Promise<void> {
    for (const session of [...this.sessions]) session.close();
    await this.agent.destroy().catch(() => undefined);
  }
}
