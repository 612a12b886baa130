import type { Socket } from "node:net";
import { EGRESS_CHUNK_BYTES, type EgressReadReply, type EgressWriteReply } from "@bifrost/contracts/egress.js";

/** An HTTP/1.x request line, or a TLS handshake record: what a tunnel may start with. */
const HTTP_REQUEST_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32} \S+ HTTP\/1\.[01]\r\n/;
const isTlsHandshake = (b: Uint8Array) => b.length >= 3 && b[0] === 0x16 && b[1] === 0x03 && b[2]! <= 0x04;

const failed = (message: string): { error: { kind: "network"; message: string; cause: { name: string; message: string } } } => ({
  error: { kind: "network", message: "socket failed", cause: { name: "Error", message } },
});

/**
 * A TCP connection the host opened for a workflow's node:http/https (the protocol runs in
 * the child). Received data is pulled: the socket stays paused until the child asks, so
 * the server is held back by TCP. What the child sends is written in order, each write
 * answered once the socket took it.
 */
export class Tunnel {
  private readonly received: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private started = false;

  constructor(readonly socket: Socket) {
    socket.pause();
    socket.on("data", (chunk: Buffer) => {
      this.received.push(chunk);
      this.buffered += chunk.length;
      if (this.buffered >= EGRESS_CHUNK_BYTES) socket.pause();
      this.notify();
    });
    socket.on("end", () => {
      this.ended = true;
      this.notify();
    });
    socket.on("error", (error) => {
      this.failure = error;
      this.notify();
    });
    socket.on("close", () => {
      this.ended = true;
      this.notify();
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async recv(): Promise<EgressReadReply> {
    while (this.received.length === 0 && !this.ended && !this.failure) {
      this.socket.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.received.length === 0) {
      if (this.failure) return failed(this.failure.message);
      return { data: "", done: true };
    }
    let chunk = Buffer.concat(this.received.splice(0));
    if (chunk.length > EGRESS_CHUNK_BYTES) {
      this.received.push(chunk.subarray(EGRESS_CHUNK_BYTES));
      chunk = chunk.subarray(0, EGRESS_CHUNK_BYTES);
    }
    this.buffered -= chunk.length;
    return { data: chunk.toString("base64"), done: false };
  }

  async send(data: Buffer | null): Promise<EgressWriteReply> {
    if (this.failure) return failed(this.failure.message);
    if (this.socket.destroyed || !this.socket.writable) return failed("the connection is closed");
    if (data === null) {
      this.socket.end();
      return { ok: true };
    }
    if (!this.started) {
      this.started = true;
      if (!isTlsHandshake(data) && !HTTP_REQUEST_LINE.test(data.subarray(0, 8192).toString("latin1"))) {
        this.close();
        return failed("a workflow's connection may carry HTTP or TLS only (its first bytes were neither)");
      }
    }
    return new Promise((resolve) => {
      this.socket.write(data, (error) => resolve(error ? failed(error.message) : { ok: true }));
    });
  }

  close(): void {
    this.socket.destroy();
    this.ended = true;
    this.notify();
  }
}
