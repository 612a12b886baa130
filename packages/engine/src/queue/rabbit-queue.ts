import { randomUUID } from "node:crypto";
import type { Channel, ConfirmChannel, ConsumeMessage, Options } from "amqplib";
import type { Transaction } from "kysely";
import type { Schema } from "@bifrost/storage/schema.js";
import { transactionOutcome } from "./after-commit.js";
import type { Queue, QueueMessage } from "./queue.js";
import { RabbitConnection, type RabbitSession } from "./rabbit-connection.js";

export interface RabbitQueueOptions {
  /** `amqp://user:pass@host:5672/vhost` (BIFROST_RABBITMQ_URL). */
  url: string;
  /** The main queue; its dead-letter queue is `<name>.dead`, delay queues `<name>.delay.<ms>`. */
  name?: string;
  /** Handler failures before a message is dead-lettered (the handler runs this many times). */
  maxAttempts?: number;
  /** Delay before the first redelivery after a handler failure; doubles per attempt. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** How long `enqueue` waits for a connection and the broker's confirm before failing. */
  publishTimeoutMs?: number;
  /** How long a publish that follows the caller's transaction waits for it to finish. */
  commitTimeoutMs?: number;
  /** Shown in the broker's connection list. */
  connectionName?: string;
  reconnect?: { initialMs?: number; maxMs?: number };
  onError?: (error: unknown) => void;
}

/** The JSON body of every message (see docs/queue-and-events.md). */
export interface RabbitMessageBody {
  executionId: string;
  enqueuedAt: string;
  /** Which handler attempt this delivery is; absent on the first. */
  attempt?: number;
}

/** Epoch ms before which a delayed message must not reach the handler. */
export const NOT_BEFORE_HEADER = "x-bifrost-not-before";
/** On dead-lettered messages: the last handler error. */
export const ERROR_HEADER = "x-bifrost-error";

/**
 * Longest wait in one delay queue (RabbitMQ's TTL and x-expires are 32-bit). A longer
 * delay hops: the message comes back early, sees its not-before header and is delayed
 * again for the rest, so any delay works.
 */
export const MAX_DELAY_MS = 2 ** 30;
/** A delayed message that arrives this early (clock skew) is held instead of re-delayed. */
const HOLD_EARLY_MS = 1_000;

/**
 * The TTL queue a delay goes through: exact up to 32 ms, then rounded *up* to 1/32 of
 * its power of two (at most ~3 % late, never early), so at most 32 delay queues exist
 * per doubling of the delay however many distinct delays are asked for.
 */
export function delayBucket(delayMs: number): number {
  const d = Math.max(1, Math.ceil(delayMs));
  if (d <= 32) return d;
  const step = 2 ** (Math.floor(Math.log2(d)) - 5);
  return Math.ceil(d / step) * step;
}

/**
 * The distributed queue over RabbitMQ. Durable classic queue, persistent messages,
 * publisher confirms, manual ack after the handler resolved, prefetch = concurrency.
 *
 * - Delays: per-bucket TTL queues (`<name>.delay.<ms>`) dead-letter expired messages into
 *   the main queue; idle delay queues are deleted by the broker (`x-expires`).
 * - Failures: a handler that throws is re-published with `attempt + 1` after a backoff
 *   (through a delay queue) and the delivery acked; after `maxAttempts` the message goes
 *   to `<name>.dead` with the error in a header. Malformed messages are rejected and the
 *   main queue's dead-letter settings route them to `<name>.dead` (with `x-death`).
 * - Delivery is at least once: a connection lost mid-handler makes the broker redeliver,
 *   so the handler may run twice; the execution record is what makes that harmless.
 * - `remove` is a no-op: a cancelled run is skipped when its message is delivered.
 */
export class RabbitQueue implements Queue {
  readonly name: string;
  readonly deadLetterQueue: string;
  private readonly connection: RabbitConnection;
  private readonly usedDelayQueues = new Set<string>();
  private handler: ((m: QueueMessage) => Promise<void>) | null = null;
  private concurrency = 1;
  private consumer: { session: RabbitSession; channel: Channel; tag: string | null } | null = null;
  private readonly closedChannels = new WeakSet<Channel>();
  private readonly waiting: Array<{ channel: Channel; msg: ConsumeMessage }> = [];
  private active = 0;
  private readonly tasks = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly options: RabbitQueueOptions) {
    this.name = options.name ?? "bifrost.executions";
    this.deadLetterQueue = `${this.name}.dead`;
    this.connection = new RabbitConnection({
      url: options.url,
      connectionName: options.connectionName ?? `bifrost-queue-${randomUUID().slice(0, 8)}`,
      setup: (session) => this.declare(session.publisher),
      onReady: (session) => this.ensureConsumer(session),
      onError: (error) => this.fail(error),
      backoff: options.reconnect,
    });
  }

  /** The delay queues this instance published to (for operators and test clean-up). */
  delayQueues(): string[] {
    return [...this.usedDelayQueues];
  }

  /**
   * Publishes and resolves once the broker confirmed. With `trx` (the transaction that
   * writes the execution record) it cannot join the transaction: it resolves at once and
   * publishes after the transaction committed (nothing when it rolled back), so a
   * consumer never sees a message whose record is not visible yet.
   */
  async enqueue(message: QueueMessage, options: { delayMs?: number; trx?: Transaction<Schema> } = {}): Promise<void> {
    const body: RabbitMessageBody = { executionId: message.executionId, enqueuedAt: new Date().toISOString() };
    const delayMs = Math.max(0, options.delayMs ?? 0);
    const notBefore = Date.now() + delayMs;
    const trx = options.trx;
    if (!trx) return this.send(body, notBefore);
    this.connection.start();
    this.track(
      (async () => {
        // "unknown" (the transaction outlived the wait): publish anyway; a message whose
        // record never appeared is dropped by the consumer, a lost one would strand the run.
        if ((await transactionOutcome(trx, this.options.commitTimeoutMs)) === "rolled-back") return;
        await this.send(body, notBefore);
      })().catch((error: unknown) =>
        this.fail(new Error(`Could not queue execution ${message.executionId} after its transaction committed: ${describe(error)}`)),
      ),
    );
  }

  consume(handler: (message: QueueMessage) => Promise<void>, options: { concurrency: number }): void {
    if (this.handler) throw new Error("RabbitQueue.consume was already called");
    this.handler = handler;
    this.concurrency = Math.max(1, Math.floor(options.concurrency));
    const session = this.connection.current();
    if (session) this.ensureConsumer(session);
    else this.connection.start();
  }

  /** Always false: RabbitMQ cannot delete a message in the middle of a queue. The consumer skips cancelled runs. */
  async remove(_executionId: string): Promise<boolean> {
    return false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const c = this.consumer;
    if (c?.tag && !this.closedChannels.has(c.channel)) await bounded(c.channel.cancel(c.tag), 2_000);
    // Prefetched but not started: hand them back now rather than when the channel closes.
    for (const d of this.waiting.splice(0)) this.settle(d.channel, (ch) => ch.nack(d.msg, false, true));
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
    // Close the consumer channel first: its close-ok comes after the broker processed our
    // acks, whereas a connection close may overtake acks still on their way to the channel.
    const open = this.consumer;
    if (open && !this.closedChannels.has(open.channel)) await bounded(open.channel.close(), 2_000);
    await this.connection.close();
  }

  private async declare(ch: ConfirmChannel): Promise<void> {
    await ch.assertQueue(this.deadLetterQueue, { durable: true, arguments: { "x-queue-type": "classic" } });
    await ch.assertQueue(this.name, {
      durable: true,
      arguments: { "x-queue-type": "classic", "x-dead-letter-exchange": "", "x-dead-letter-routing-key": this.deadLetterQueue },
    });
  }

  private ensureConsumer(session: RabbitSession): void {
    if (!this.handler || this.stopped || this.consumer?.session === session) return;
    void this.startConsumer(session).catch((error: unknown) => {
      this.fail(error);
      this.connection.drop(session);
    });
  }

  private async startConsumer(session: RabbitSession): Promise<void> {
    const channel = await session.model.createChannel();
    const consumer = { session, channel, tag: null as string | null };
    this.consumer = consumer;
    channel.on("error", (error: unknown) => this.fail(error));
    channel.once("close", () => {
      this.closedChannels.add(channel);
      if (this.consumer === consumer) this.consumer = null;
      // A consumer channel closing on its own leaves the connection without a consumer.
      if (!this.stopped) this.connection.drop(session);
    });
    await channel.prefetch(this.concurrency);
    const { consumerTag } = await channel.consume(this.name, (msg) => {
      if (!msg) {
        // Cancelled by the broker (the queue was deleted): reconnect, which declares it again.
        this.connection.drop(session);
        return;
      }
      this.waiting.push({ channel, msg });
      this.pump();
    });
    consumer.tag = consumerTag;
  }

  /** Starts waiting deliveries while fewer than `concurrency` handlers run (old channels' included). */
  private pump(): void {
    while (!this.stopped && this.active < this.concurrency && this.waiting.length > 0) {
      const d = this.waiting.shift()!;
      if (this.closedChannels.has(d.channel)) continue; // the broker requeued it
      this.active++;
      this.track(
        this.deliver(d.channel, d.msg).finally(() => {
          this.active--;
          this.pump();
        }),
      );
    }
  }

  private async deliver(channel: Channel, msg: ConsumeMessage): Promise<void> {
    const body = parseBody(msg.content);
    if (!body) {
      this.fail(new Error(`Malformed message on ${this.name} dead-lettered: ${msg.content.toString("utf8").slice(0, 200)}`));
      this.settle(channel, (ch) => ch.nack(msg, false, false));
      return;
    }
    const notBefore = Number(msg.properties.headers?.[NOT_BEFORE_HEADER]);
    const early = Number.isFinite(notBefore) ? notBefore - Date.now() : 0;
    if (early > HOLD_EARLY_MS) {
      await this.forward(channel, msg, () => this.send(body, notBefore));
      return;
    }
    if (early > 0) await sleep(early);
    try {
      await this.handler!({ executionId: body.executionId });
    } catch (error) {
      const attempt = body.attempt ?? 1;
      const maxAttempts = this.options.maxAttempts ?? 5;
      if (attempt >= maxAttempts) {
        await this.forward(channel, msg, () =>
          this.publish(this.deadLetterQueue, body, {
            headers: { [ERROR_HEADER]: describe(error).slice(0, 1000), "x-bifrost-failed-at": new Date().toISOString() },
          }),
        );
      } else {
        const base = this.options.retryDelayMs ?? 1_000;
        const delay = Math.min(this.options.maxRetryDelayMs ?? 60_000, base * 2 ** (attempt - 1));
        await this.forward(channel, msg, () => this.send({ ...body, attempt: attempt + 1 }, Date.now() + delay));
      }
      return;
    }
    this.settle(channel, (ch) => ch.ack(msg));
  }

  /** Publishes a successor (confirmed), then acks `msg`; if that fails `msg` goes back to the queue. */
  private async forward(channel: Channel, msg: ConsumeMessage, publish: () => Promise<void>): Promise<void> {
    try {
      await publish();
      this.settle(channel, (ch) => ch.ack(msg));
    } catch (error) {
      this.fail(error);
      this.settle(channel, (ch) => ch.nack(msg, false, true));
    }
  }

  /** Acks or nacks on the channel that delivered; on a closed channel the broker already requeued it. */
  private settle(channel: Channel, op: (ch: Channel) => void): void {
    if (this.closedChannels.has(channel)) return;
    try {
      op(channel);
    } catch (error) {
      this.fail(error);
    }
  }

  private async send(body: RabbitMessageBody, notBefore: number): Promise<void> {
    const delayMs = notBefore - Date.now();
    if (delayMs <= 0) return this.publish(this.name, body, {});
    const bucket = delayBucket(Math.min(delayMs, MAX_DELAY_MS));
    const queue = `${this.name}.delay.${bucket}`;
    this.usedDelayQueues.add(queue);
    // Declared before every delayed publish: that also restarts its idle-expiry clock.
    const declare = (ch: ConfirmChannel) =>
      ch.assertQueue(queue, {
        durable: true,
        arguments: {
          "x-queue-type": "classic",
          "x-message-ttl": bucket,
          "x-dead-letter-exchange": "",
          "x-dead-letter-routing-key": this.name,
          "x-expires": Math.min(2 ** 32 - 1, bucket * 2 + 60_000),
        },
      });
    return this.publish(queue, body, { headers: { [NOT_BEFORE_HEADER]: notBefore } }, declare);
  }

  /**
   * Publishes persistently and waits for the broker's confirm, across reconnections,
   * for at most `publishTimeoutMs`. A retry after a lost confirm may duplicate the message.
   */
  private async publish(
    queue: string,
    body: RabbitMessageBody,
    extra: Options.Publish,
    prepare?: (ch: ConfirmChannel) => Promise<unknown>,
  ): Promise<void> {
    const timeoutMs = this.options.publishTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    const content = Buffer.from(JSON.stringify(body));
    let lastError: unknown = null;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(`RabbitMQ did not confirm execution ${body.executionId} on ${queue} within ${timeoutMs} ms: ${describe(lastError)}`);
      }
      const session = await this.connection.get(remaining);
      try {
        const ch = session.publisher;
        const confirmed = (async () => {
          if (prepare) await prepare(ch);
          await new Promise<void>((resolve, reject) => {
            ch.sendToQueue(
              queue,
              content,
              {
                persistent: true,
                contentType: "application/json",
                messageId: body.executionId,
                timestamp: Math.floor(Date.now() / 1000),
                ...extra,
              },
              (error: unknown) => (error ? reject(error instanceof Error ? error : new Error(`broker refused the message (${String(error)})`)) : resolve()),
            );
          });
        })();
        await withTimeout(confirmed, remaining);
        return;
      } catch (error) {
        lastError = error;
        await sleep(20); // the session is breaking: let the connection notice before retrying
      }
    }
  }

  private track(p: Promise<unknown>): void {
    this.tasks.add(p);
    void p.finally(() => this.tasks.delete(p));
  }

  private fail(error: unknown): void {
    this.options.onError?.(error);
  }
}

function parseBody(content: Buffer): RabbitMessageBody | null {
  try {
    const v: unknown = JSON.parse(content.toString("utf8"));
    if (typeof v !== "object" || v === null) return null;
    const { executionId, enqueuedAt, attempt } = v as Record<string, unknown>;
    if (typeof executionId !== "string" || executionId === "") return null;
    const body: RabbitMessageBody = { executionId, enqueuedAt: typeof enqueuedAt === "string" ? enqueuedAt : "" };
    if (typeof attempt === "number" && Number.isInteger(attempt) && attempt >= 1) body.attempt = attempt;
    return body;
  } catch {
    return null;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Waits for `p` (ignoring its failure) at most `ms`: channel operations on a dead socket never answer. */
async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  await withTimeout(p, ms).catch(() => undefined);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no confirm within ${ms} ms`)), ms);
  });
  p.catch(() => undefined);
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
