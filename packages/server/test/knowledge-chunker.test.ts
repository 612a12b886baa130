import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chunkSpans, chunkText } from "@bifrost/server/features/knowledge/chunker.js";

/** Every chunk is a trimmed slice within the size; chunks advance, overlap at most `overlap`, and cover every non-space character. */
function checkInvariants(text: string, size: number, overlapWanted: number, overlap = Math.min(overlapWanted, Math.floor(size / 2))): void {
  const spans = chunkSpans(text, { size, overlap: overlapWanted });
  expect(chunkText(text, { size, overlap: overlapWanted })).toEqual(spans.map(([s, e]) => text.slice(s, e)));
  let previousEnd = -1;
  let previousStart = -1;
  const covered = new Array<boolean>(text.length).fill(false);
  for (const [start, end] of spans) {
    const chunk = text.slice(start, end);
    expect(chunk.length).toBeGreaterThan(0);
    expect(chunk).toBe(chunk.trim());
    // A grapheme longer than the size is the only thing allowed to exceed it.
    expect(chunk.length <= size || [...new Intl.Segmenter("en", { granularity: "grapheme" }).segment(chunk)].length === 1).toBe(true);
    expect(start).toBeGreaterThan(previousStart);
    expect(end).toBeGreaterThan(previousEnd);
    if (previousEnd >= 0) expect(previousEnd - start).toBeLessThanOrEqual(overlap);
    for (let i = start; i < end; i++) covered[i] = true;
    previousStart = start;
    previousEnd = end;
  }
  for (let i = 0; i < text.length; i++) if (!/\s/u.test(text[i]!)) expect(covered[i], `character ${i} of ${JSON.stringify(text)} is in no chunk`).toBe(true);
}

describe("chunkText", () => {
  it("empty and blank text have no chunks", () => {
    expect(chunkText("", { size: 100, overlap: 10 })).toEqual([]);
    expect(chunkText(" \n\n\t  \r\n ", { size: 100, overlap: 10 })).toEqual([]);
  });

  it("a text that fits is one chunk, trimmed, with its inner line breaks kept", () => {
    const text = "  Title\n\nFirst paragraph.\nSame paragraph.  ";
    expect(chunkText(text, { size: 100, overlap: 10 })).toEqual(["Title\n\nFirst paragraph.\nSame paragraph."]);
  });

  it("exact boundaries: size characters fit in one chunk, one more makes two", () => {
    const ten = "abcd efghi"; // 10 characters, two words
    expect(chunkText(ten, { size: 10, overlap: 0 })).toEqual([ten]);
    expect(chunkText(`${ten}j`, { size: 10, overlap: 0 })).toEqual(["abcd", "efghij"]);
    const sentences = "One two. Three four."; // 8 + 1 + 11 = 20
    expect(chunkText(sentences, { size: 20, overlap: 5 })).toEqual([sentences]);
    expect(chunkText(sentences, { size: 19, overlap: 0 })).toEqual(["One two.", "Three four."]);
    // A sentence that does not fit the overlap window: the overlap is its last whole words.
    expect(chunkText(sentences, { size: 19, overlap: 5 })).toEqual(["One two.", "two. Three four."]);
  });

  it("ends chunks at paragraphs, then sentences, and overlaps by whole sentences when they fit", () => {
    const text = "Alpha one. Alpha two.\n\nBeta one. Beta two. Beta three.";
    expect(chunkText(text, { size: 40, overlap: 0 })).toEqual(["Alpha one. Alpha two.", "Beta one. Beta two. Beta three."]);
    // Without the paragraph break the chunk fills up to the size at a sentence end.
    const flat = "Alpha one. Alpha two. Beta one. Beta two. Beta three.";
    expect(chunkText(flat, { size: 32, overlap: 0 })).toEqual(["Alpha one. Alpha two. Beta one.", "Beta two. Beta three."]);
    // With overlap the next chunk repeats the last sentence that fits in the window.
    expect(chunkText(flat, { size: 32, overlap: 12 })).toEqual(["Alpha one. Alpha two. Beta one.", "Beta one. Beta two. Beta three."]);
  });

  it("overlaps by whole words inside a sentence longer than the size", () => {
    const text = "the quick brown fox jumps over the lazy dog and keeps running far away";
    const chunks = chunkText(text, { size: 30, overlap: 10 });
    expect(chunks[0]).toBe("the quick brown fox jumps over");
    // The second chunk starts with a whole word from the end of the first.
    expect(chunks).toEqual(["the quick brown fox jumps over", "jumps over the lazy dog and", "dog and keeps running far away"]);
    for (const c of chunks) expect(text.split(" ")).toEqual(expect.arrayContaining(c.split(" ")));
    checkInvariants(text, 30, 10);
  });

  it("one huge word is cut at the size, never inside a character", () => {
    const word = "x".repeat(2500);
    expect(chunkText(word, { size: 1000, overlap: 150 })).toEqual(["x".repeat(1000), "x".repeat(1000), "x".repeat(500)]);
    const url = `see https://example.com/${"a".repeat(300)} now`;
    const chunks = chunkText(url, { size: 100, overlap: 20 });
    checkInvariants(url, 100, 20);
    expect(chunks.every((c) => c.length <= 100)).toBe(true);
  });

  it("unicode: emoji, combining marks and CJK are never split; CJK sentences end at 。", () => {
    const emoji = "👩‍👩‍👧‍👦".repeat(30); // 11 code units per family, no spaces
    const chunks = chunkText(emoji, { size: 50, overlap: 10 });
    expect(chunks.join("")).toBe(emoji);
    for (const c of chunks) expect(c.length % 11).toBe(0);
    const accents = "e\u0301".repeat(40); // é as e + combining acute
    for (const c of chunkText(accents, { size: 7, overlap: 0 })) expect(c.startsWith("\u0301")).toBe(false);
    const cjk = "今日は晴れです。明日は雨が降るでしょう。週末は曇りです。";
    expect(chunkText(cjk, { size: 20, overlap: 0 })).toEqual(["今日は晴れです。明日は雨が降るでしょう。", "週末は曇りです。"]);
    const mixed = "Ünïcödé straße ÅNGSTRÖM — naïve café. Ελληνικά κείμενο εδώ. Русский текст тоже.";
    checkInvariants(mixed, 30, 10);
  });

  it("windows line endings and runs of blank lines are paragraph breaks", () => {
    expect(chunkText("One.\r\n\r\n\r\nTwo.", { size: 6, overlap: 0 })).toEqual(["One.", "Two."]);
  });

  it("overlap is capped at half the size", () => {
    const text = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
    checkInvariants(text, 20, 1000, 10);
    const spans = chunkSpans(text, { size: 20, overlap: 1000 });
    expect(spans.some(([s], i) => i > 0 && s < spans[i - 1]![1])).toBe(true);
  });

  it("holds its invariants for any text, size and overlap", () => {
    const piece = fc.oneof(
      fc.constantFrom(" ", "\n", "\n\n", ". ", "! ", "? ", "。", "\t", "-", "é", "👍", "e\u0301", "中文"),
      fc.string({ minLength: 1, maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 80 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 40 }), (parts, size, overlapWanted) => {
        const text = parts.join("");
        checkInvariants(text, size, overlapWanted);
      }),
      { numRuns: 400 },
    );
  });

  it("a chunk whose overlap reaches back over a paragraph end still ends past the previous chunk", () => {
    // Found by the property test: the paragraph preference took the next chunk back to
    // the previous chunk's end, repeating it instead of moving on.
    checkInvariants(["!", "#         ! ", "\n\n", "。", "       \""].join(""), 22, 11);
  });

  it("rejects a size that is not a positive integer", () => {
    expect(() => chunkText("x", { size: 0, overlap: 0 })).toThrow(RangeError);
  });
});
