const RANGES: Record<string, number> = { "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000 };

/** The history query from the page's URL (filters and page live there, so links and reloads keep them). */
export function historyQuery(params: URLSearchParams, now = Date.now()): Record<string, string | number | undefined> {
  const size = Math.min(Math.max(Number(params.get("size")) || 25, 1), 500);
  const page = Math.max(Number(params.get("page")) || 1, 1);
  const range = params.get("range");
  return {
    q: params.get("q") ?? undefined,
    workflow: params.get("workflow") ?? undefined,
    organizationId: params.get("organization") ?? undefined,
    user: params.get("user") ?? undefined,
    status: params.get("status") ?? undefined,
    trigger: params.get("trigger") ?? undefined,
    since: range && RANGES[range] ? new Date(now - RANGES[range]!).toISOString() : undefined,
    limit: size,
    offset: (page - 1) * size,
  };
}

/** The log search's API query from the page's URL (filters and page live there). */
export function logSearchQuery(params: URLSearchParams, now = Date.now()): Record<string, string | number | undefined> {
  const size = Math.min(Math.max(Number(params.get("size")) || 50, 1), 500);
  const page = Math.max(Number(params.get("page")) || 1, 1);
  const range = params.get("range");
  return {
    level: params.get("level") ?? undefined,
    workflow: params.get("workflow") ?? undefined,
    organizationId: params.get("organization") ?? undefined,
    q: params.get("q") ?? undefined,
    since: range && RANGES[range] ? new Date(now - RANGES[range]!).toISOString() : undefined,
    limit: size,
    offset: (page - 1) * size,
  };
}
