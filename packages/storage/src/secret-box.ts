import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const VERSION = "v1";

/**
 * AES-256-GCM for values at rest. Envelope: `v1:<iv>:<tag>:<ciphertext>` (base64url).
 * A wrong key or a tampered value fails loudly instead of decrypting to garbage.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error(`the secret key must be 32 bytes, got ${key.length}`);
    this.key = key;
  }

  /** Reads a key given as 64 hex characters or base64/base64url of 32 bytes. */
  static parseKey(text: string): Buffer {
    const t = text.trim();
    const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, "hex") : Buffer.from(t, "base64");
    if (key.length !== 32) throw new Error("BIFROST_SECRET_KEY must be 32 bytes: 64 hex characters or 44 base64 characters");
    return key;
  }

  static generateKey(): string {
    return randomBytes(32).toString("base64");
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv.toString("base64url"), tag.toString("base64url"), body.toString("base64url")].join(":");
  }

  open(envelope: string): string {
    const [version, iv, tag, body] = envelope.split(":");
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error("not a sealed value");
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    try {
      return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
    } catch {
      throw new Error("a secret could not be decrypted: BIFROST_SECRET_KEY is not the key it was stored with");
    }
  }
}
