import { hash, verify } from "@node-rs/argon2";
import type { FieldError } from "@bifrost/contracts/execution.js";

/**
 * argon2id with OWASP's recommended minimum (Password Storage Cheat Sheet): 19 MiB of
 * memory, 2 iterations, 1 lane. `Algorithm.Argon2id` is a const enum (2), spelt as its value.
 */
const ARGON2ID = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

/** Frequently breached passwords of 12 characters or more (compared without case). */
const COMMON = new Set(
  [
    "123456789012", "1234567890123", "12345678901234", "123123123123", "111111111111", "000000000000",
    "123456123456", "qwertyuiop12", "qwertyuiop123", "qwerty123456", "1q2w3e4r5t6y", "1qaz2wsx3edc",
    "password1234", "password12345", "password123!", "password!234", "passwordpassword", "p@ssw0rd1234",
    "p@ssword1234", "passw0rd1234", "iloveyou1234", "letmein12345", "welcome12345", "welcome123!",
    "changeme1234", "changeme123!", "adminadmin12", "administrator", "admin1234567", "admin123456!",
    "abc123456789", "abcdefghijkl", "abcd12345678", "qazwsxedcrfv", "asdfghjkl123", "zxcvbnm12345",
    "football1234", "baseball1234", "sunshine1234", "princess1234", "superman1234", "starwars1234",
    "trustno11234", "monkey123456", "dragon123456", "master123456", "michael12345", "jennifer1234",
    "qwertyqwerty", "asdfasdfasdf", "summer2024!!", "winter2024!!", "spring2024!!", "autumn2024!!",
    "bifrost12345", "bifrostadmin", "correcthorsebatterystaple", "correct horse battery staple",
  ].map((p) => p.toLowerCase()),
);

/** Why a password is refused (one message per field), or an empty list. */
export function passwordProblems(password: string, field = "password"): FieldError[] {
  const problems: string[] = [];
  if (password.length < MIN_PASSWORD_LENGTH) problems.push(`must be at least ${MIN_PASSWORD_LENGTH} characters`);
  else if (password.length > MAX_PASSWORD_LENGTH) problems.push(`must be at most ${MAX_PASSWORD_LENGTH} characters`);
  else if (COMMON.has(password.toLowerCase())) problems.push("is a commonly used password: choose another");
  else if (new Set(password).size < 4) problems.push("repeats too few characters: choose another");
  return problems.map((message) => ({ path: field, message }));
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2ID);
}

/** A hash of nothing anyone knows: checked for unknown accounts, so they take as long as known ones. */
let dummy: Promise<string> | null = null;

/** Whether `password` matches `hashed`; with no hash (unknown user, no password) it still does the work and answers false. */
export async function verifyPassword(hashed: string | null, password: string): Promise<boolean> {
  if (!hashed) {
    dummy ??= hash("no such account: constant-time filler", ARGON2ID);
    await verify(await dummy, password).catch(() => false);
    return false;
  }
  return verify(hashed, password).catch(() => false);
}
