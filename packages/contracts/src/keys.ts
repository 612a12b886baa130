/** An API key as stored and as `GET /api/api-keys` lists it (never the key itself). */
export interface ApiKey {
  id: string;
  orgId: string | null;
  name: string;
  /** The first characters of the key, to tell keys apart in a list. */
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
  /** A personal key's user (it acts with that user's rights); null = an organization or platform key. */
  userId: string | null;
}

/** An endpoint key (X-Bifrost-Key) as stored and as `GET /api/endpoint-keys` lists it (never the key itself). */
export interface EndpointKey {
  id: string;
  /** The organization the runs act in, or "global". */
  scope: string;
  /** Only this workflow; null = the scope's global endpoint key (every endpoint workflow unless it disables it). */
  workflowId: string | null;
  name: string;
  prefix: string;
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
}
