import type { Redis } from "ioredis";
import type { EventBus, ExecutionEvent } from "./event-bus.js";

export interface RedisEventBusOptions {
  /** Channel name prefix; the channel of an execution is `<prefix><executionId>`. */
  channelPrefix?: string;
  onError?: (error: unknown) => void;
  /**
   * Called when the subscriber connection came back and re-subscribed. Events published
   * while it was down are gone (pub/sub keeps nothing): listeners re-read state here.
   */
  onResubscribed?: () => void;
  /** The subscriber connection's client name. Default `bifrost-events-<pid>`, so operators can tell processes apart. */
  subscriberName?: string;
}

/**
 * The distributed event bus over Redis pub/sub: channel `bifrost:execution:<id>`, JSON
 * events. Publishing goes through the caller's client; subscribing needs a connection of
 * its own (a subscribed connection can do nothing else), duplicated from it. Handlers
 * are reference-counted per channel: the first subscribe SUBSCRIBEs, the last
 * unsubscribe UNSUBSCRIBEs. ioredis reconnects and re-subscribes by itself.
 *
 * Events from one publisher connection arrive in the order published; there is no order
 * between publishers, and nothing is delivered to a subscriber that was not subscribed
 * yet (`subscribe` returns before Redis confirmed: await `ready()` when it matters).
 */
export class RedisEventBus implements EventBus {
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly handlers = new Map<string, Set<(event: ExecutionEvent) => void>>();
  private pending = new Set<Promise<unknown>>();
  private connectedOnce = false;

  constructor(
    private readonly publisher: Redis,
    private readonly options: RedisEventBusOptions = {},
  ) {
    this.prefix = options.channelPrefix ?? "bifrost:execution:";
    this.subscriber = publisher.duplicate({
      autoResubscribe: true,
      lazyConnect: false,
      connectionName: options.subscriberName ?? `bifrost-events-${process.pid}`,
    });
    this.subscriber.on("message", (channel: string, message: string) => this.dispatch(channel, message));
    this.subscriber.on("error", (error: unknown) => this.options.onError?.(error));
    this.subscriber.on("ready", () => {
      if (this.connectedOnce) this.options.onResubscribed?.();
      this.connectedOnce = true;
    });
  }

  publish(executionId: string, event: ExecutionEvent): void {
    this.publisher.publish(this.prefix + executionId, JSON.stringify(event)).catch((error: unknown) => this.options.onError?.(error));
  }

  subscribe(executionId: string, handler: (event: ExecutionEvent) => void): () => void {
    const channel = this.prefix + executionId;
    let set = this.handlers.get(channel);
    if (!set) {
      this.handlers.set(channel, (set = new Set()));
      this.command(this.subscriber.subscribe(channel));
    }
    // A wrapper, so the same function subscribed twice is two subscriptions.
    const entry = (event: ExecutionEvent) => handler(event);
    set.add(entry);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      set.delete(entry);
      if (set.size === 0 && this.handlers.get(channel) === set) {
        this.handlers.delete(channel);
        this.command(this.subscriber.unsubscribe(channel));
      }
    };
  }

  /** Resolves once every SUBSCRIBE/UNSUBSCRIBE sent so far was confirmed by Redis. */
  async ready(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Closes the subscriber connection (the publisher belongs to the caller). */
  async close(): Promise<void> {
    this.handlers.clear();
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }

  private command(p: Promise<unknown>): void {
    const tracked = p.catch((error: unknown) => this.options.onError?.(error));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  private dispatch(channel: string, message: string): void {
    const set = this.handlers.get(channel);
    if (!set) return;
    let event: ExecutionEvent;
    try {
      event = JSON.parse(message) as ExecutionEvent;
    } catch (error) {
      this.options.onError?.(error);
      return;
    }
    for (const handler of [...set]) {
      try {
        handler(event);
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  }
}
