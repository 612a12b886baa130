/**
 * The worker child's network: it has none of its own (the worker sandbox gives it none),
 * so `fetch` asks the host to perform requests, and node:http/https connect through
 * tunnels the host opens — both under the host's egress policy (contracts/egress.ts).
 */
import { installEgressFetch } from "./egress-fetch.js";
import { installEgressHttp } from "./egress-http.js";

export function installEgress(): void {
  installEgressFetch();
  installEgressHttp();
}
