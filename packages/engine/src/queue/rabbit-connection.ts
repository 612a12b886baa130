import { connect, type ChannelModel, type ConfirmChannel } from "amqplib";

/** One live AMQP connection with its publisher (confirm) channel. */
export interface RabbitSession {
  readonly model: ChannelModel;
  readonly publisher: ConfirmChannel;
}

export interface RabbitConnectionOptions {
  url: string;
  /** Shown in the broker's connection list (`client_properties.connection_name`). */
  connectionName: string;
  /** Runs on every (re)connection before the session is handed out (topology). */
  setup: (session: RabbitSession) => Promise<void>;
  /** Called right after a (re)connected session became current (start consumers here). */
  onReady?: (session: RabbitSession) => void;
  onError?: (error: unknown) => void;
  /** Reconnect backoff: doubles from `initialMs` up to `maxMs`, with jitter. */
  backoff?: { initialMs?: number; maxMs?: number };
}

/**
 * Keeps one connection to RabbitMQ up: connects lazily, and when the connection or one
 * of its channels drops (broker restart, network, a channel error) closes what is left
 * and reconnects with exponential backoff, re-running `setup`. Callers ask for the
 * current session with a bound on how long they are willing to wait.
 */
export class RabbitConnection {
  private session: RabbitSession | null = null;
  private waiters = new Set<() => void>();
  private running: Promise<void> | null = null;
  private closed = false;
  private lastError: unknown = null;
  private sleeper: { timer: NodeJS.Timeout; wake: () => void } | null = null;

  constructor(private readonly options: RabbitConnectionOptions) {}

  /** The current session, waiting up to `timeoutMs` for a (re)connection. */
  async get(timeoutMs: number): Promise<RabbitSession> {
    if (this.closed) throw new Error("The RabbitMQ connection is closed");
    this.start();
    if (this.session) return this.session;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.waiters.add(done);
    });
    if (this.session) return this.session;
    if (this.closed) throw new Error("The RabbitMQ connection is closed");
    throw new Error(
      `RabbitMQ at ${redact(this.options.url)} is unreachable (waited ${timeoutMs} ms): ${describe(this.lastError) ?? "no connection yet"}`,
    );
  }

  /** The session if connected now, without waiting. */
  current(): RabbitSession | null {
    return this.session;
  }

  start(): void {
    if (this.running || this.closed) return;
    this.running = this.loop();
  }

  /** Drops `session` if it is still the current one; the loop reconnects (after a consumer failure). */
  drop(session: RabbitSession): void {
    if (this.session === session) void closeModel(session.model);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sleeper?.wake();
    const s = this.session;
    this.session = null;
    if (s) await closeModel(s.model);
    await this.running;
    for (const w of [...this.waiters]) w();
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    while (!this.closed) {
      let model: ChannelModel | null = null;
      try {
        model = await connect(this.options.url, { clientProperties: { connection_name: this.options.connectionName }, timeout: 5_000 });
        const closedSignal = new Promise<void>((resolve) =>
          model!.once("close", (error?: unknown) => {
            if (error && !this.closed) this.fail(error);
            resolve();
          }),
        );
        model.on("error", (error: unknown) => this.fail(error));
        const publisher = await model.createConfirmChannel();
        publisher.on("error", (error: unknown) => this.fail(error));
        // Any channel closing leaves the session half-broken: start over with a fresh connection.
        publisher.once("close", () => void model!.close().catch(() => undefined));
        const session = { model, publisher };
        await this.options.setup(session);
        if (this.closed) {
          await closeModel(model);
          break;
        }
        this.session = session;
        attempt = 0;
        this.options.onReady?.(session);
        for (const w of [...this.waiters]) w();
        await closedSignal;
        this.session = null;
      } catch (error) {
        this.fail(error);
        this.session = null;
        if (model) await closeModel(model);
      }
      if (this.closed) break;
      const base = this.options.backoff?.initialMs ?? 100;
      const max = this.options.backoff?.maxMs ?? 5_000;
      const delay = Math.min(max, base * 2 ** attempt) * (0.8 + Math.random() * 0.4);
      attempt++;
      await this.sleep(delay);
    }
  }

  private fail(error: unknown): void {
    this.lastError = error;
    this.options.onError?.(error);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeper = null;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeper = { timer, wake };
    });
  }
}

/**
 * Closes politely, but not forever: on a dead socket the broker's close-ok never comes,
 * so after a bound the socket is destroyed.
 */
export async function closeModel(model: ChannelModel, timeoutMs = 2_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closed = model.close().then(
    () => true,
    () => true,
  );
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ok = await Promise.race([closed, timedOut]);
  clearTimeout(timer);
  if (!ok) (model.connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
}

/** The URL without its password, for error messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(invalid URL)";
  }
}

function describe(error: unknown): string | null {
  if (error == null) return null;
  // Connecting to "localhost" fails with an AggregateError (IPv4 and IPv6) whose own message is empty.
  if (error instanceof AggregateError && !error.message) return error.errors.map(describe).join("; ");
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === "object" && "message" in error) return String((error as { message: unknown }).message);
  return String(error);
}
