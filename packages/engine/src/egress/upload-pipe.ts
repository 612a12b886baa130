import type { EgressWriteReply } from "@bifrost/contracts/egress.js";

/**
 * A request body the child streams with `egress.write`: a ReadableStream the host's
 * fetch pulls from. A write is answered once its chunk was handed to the connection, and
 * the child sends the next one only then, so at most one chunk waits here.
 */
export class UploadPipe {
  readonly stream: ReadableStream<Uint8Array>;
  private pending: { chunk: Uint8Array | null; ack: (reply: EgressWriteReply) => void } | null = null;
  private wake: (() => void) | null = null;
  private ended = false;
  private failure: string | null = null;

  constructor() {
    this.stream = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while (!this.pending) {
            if (this.failure) {
              try {
                controller.error(new Error(this.failure));
              } catch {
                /* already cancelled */
              }
              return;
            }
            await new Promise<void>((resolve) => (this.wake = resolve));
          }
          const { chunk, ack } = this.pending;
          this.pending = null;
          if (chunk === null) {
            this.ended = true;
            controller.close();
          } else controller.enqueue(chunk);
          ack({ ok: true });
        },
        cancel: () => this.fail("the server stopped reading the request body"),
      },
      { highWaterMark: 0 },
    );
  }

  /** One chunk (null: the end). Answers when the chunk is on its way, or the upload stopped. */
  write(chunk: Uint8Array | null): Promise<EgressWriteReply> {
    if (this.failure || this.ended) {
      return Promise.resolve({ error: { kind: "network", message: "fetch failed", cause: { name: "Error", message: this.failure ?? "the request body already ended" } } });
    }
    if (this.pending) return Promise.reject(new Error("egress.write: the previous chunk was not answered yet"));
    return new Promise((ack) => {
      this.pending = { chunk, ack };
      this.wake?.();
      this.wake = null;
    });
  }

  /** Stops the upload: a waiting write is answered with the failure. */
  fail(reason: string): void {
    if (this.failure) return;
    this.failure = reason;
    const pending = this.pending;
    this.pending = null;
    pending?.ack({ error: { kind: "network", message: "fetch failed", cause: { name: "Error", message: reason } } });
    this.wake?.();
    this.wake = null;
  }
}
