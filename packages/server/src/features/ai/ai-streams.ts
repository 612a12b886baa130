import { randomUUID } from "node:crypto";
import { HttpError, notFound } from "../../http-error.js";
import type { StreamPart } from "./ai.service.js";

type Done = Extract<StreamPart, { type: "done" }>;

/** What one `ai.streamNext` answers: the pieces that arrived since the last call. */
export interface StreamBatch {
  chunks: string[];
  done: boolean;
  /** Set with `done`: the totals of the completion. */
  result?: Omit<Done, "type">;
}

interface Entry {
  owner: string;
  controller: AbortController;
  buffer: string[];
  done: Done | null;
  error: unknown;
  waiters: (() => void)[];
  touched: number;
}

/**
 * Streamed completions pulled piece by piece over IPC (`ai.streamStart`, then
 * `ai.streamNext` until `done`): a running workflow's child cannot hold an HTTP response
 * open to its host, so the host buffers each stream and hands out what arrived. Each
 * `streamNext` waits up to `pollMs` for something new. A stream nobody pulls for
 * `idleMs` (a run that crashed or stopped reading) is aborted and forgotten.
 *
 * Streams live in the process that started them; inside a run that is always the host
 * serving its SDK calls. From outside, the HTTP endpoint `POST /api/ai/stream` is used
 * instead, which works behind any number of API servers.
 */
export class StreamRegistry {
  private readonly streams = new Map<string, Entry>();
  /** Per owner, starts waiting for their first part (they hold a slot already). */
  private readonly starting = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: { idleMs?: number; pollMs?: number; maxPerOwner?: number } = {}) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(100, Math.floor(this.idleMs / 2)));
    this.sweeper.unref();
  }

  private get idleMs() {
    return this.options.idleMs ?? 60_000;
  }

  /** Open streams (for tests and health). */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Starts `open(signal)` and waits for its first part, so a provider that refuses the
   * request fails this call. Returns the stream's id.
   */
  async start(owner: string, open: (signal: AbortSignal) => AsyncGenerator<StreamPart, void, undefined>): Promise<string> {
    let mine = this.starting.get(owner) ?? 0; // starts still waiting for their first part count too
    for (const e of this.streams.values()) if (e.owner === owner) mine++;
    const max = this.options.maxPerOwner ?? 20;
    if (mine >= max) throw new HttpError(429, "too_many_streams", `At most ${max} AI streams may be open at once: read them to the end or break out of the loop`);
    const controller = new AbortController();
    this.starting.set(owner, (this.starting.get(owner) ?? 0) + 1);
    let first: IteratorResult<StreamPart, void>;
    let parts: AsyncGenerator<StreamPart, void, undefined>;
    try {
      parts = open(controller.signal);
      first = await parts.next();
    } finally {
      const left = (this.starting.get(owner) ?? 1) - 1;
      if (left > 0) this.starting.set(owner, left);
      else this.starting.delete(owner);
    }
    const id = randomUUID();
    const entry: Entry = { owner, controller, buffer: [], done: null, error: null, waiters: [], touched: Date.now() };
    this.streams.set(id, entry);
    const take = (part: StreamPart) => {
      if (part.type === "text") entry.buffer.push(part.text);
      else entry.done = part;
      for (const wake of entry.waiters.splice(0)) wake();
    };
    if (!first.done) take(first.value);
    void (async () => {
      try {
        for (let r = await parts.next(); !r.done; r = await parts.next()) take(r.value);
      } catch (error) {
        entry.error = error;
        for (const wake of entry.waiters.splice(0)) wake();
      }
    })();
    return id;
  }

  /** The pieces that arrived since the last call (waiting up to `pollMs` for one), and whether the stream ended. */
  async next(owner: string, id: string): Promise<StreamBatch> {
    const entry = this.streams.get(id);
    if (!entry || entry.owner !== owner) throw notFound(`AI stream ${id}`);
    entry.touched = Date.now();
    if (entry.buffer.length === 0 && !entry.done && !entry.error) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollMs ?? 20_000);
        entry.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      entry.touched = Date.now();
    }
    const chunks = entry.buffer.splice(0);
    if (entry.error && chunks.length === 0) {
      this.streams.delete(id);
      throw entry.error;
    }
    if (entry.done && !entry.error) {
      this.streams.delete(id);
      const { type: _type, ...result } = entry.done;
      return { chunks, done: true, result };
    }
    return { chunks, done: false };
  }

  /** Stops a stream (the consumer broke out of its loop): the provider request is aborted. */
  cancel(owner: string, id: string): boolean {
    const entry = this.streams.get(id);
    if (!entry || entry.owner !== owner) return false;
    this.drop(id, entry);
    return true;
  }

  private drop(id: string, entry: Entry): void {
    this.streams.delete(id);
    entry.controller.abort();
    for (const wake of entry.waiters.splice(0)) wake();
  }

  private sweep(): void {
    const cutoff = Date.now() - this.idleMs;
    for (const [id, entry] of this.streams) if (entry.touched < cutoff && entry.waiters.length === 0) this.drop(id, entry);
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const [id, entry] of this.streams) this.drop(id, entry);
  }
}
