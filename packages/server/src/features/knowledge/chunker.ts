/**
 * Splits a document into overlapping chunks for embedding and full-text search.
 *
 * Sizes are in UTF-16 code units (JavaScript's `length`). A chunk is an exact slice of
 * the text (inner whitespace and line breaks kept), starting and ending on non-space
 * characters. Where a chunk ends, in order of preference:
 * 1. at the end of a paragraph (a blank line), when that keeps it at least half full;
 * 2. at the end of a sentence (Unicode sentence boundaries: `Intl.Segmenter`);
 * 3. at the end of a word, when one sentence is longer than the chunk size;
 * 4. at a grapheme boundary, when one word is (a long URL, base64, a run of CJK text
 *    without spaces): never inside a surrogate pair, a combining sequence or an emoji.
 *
 * The next chunk starts up to `overlap` characters before the previous one ended: at
 * the earliest sentence start within that window, else the earliest word start, so
 * overlaps never cut a word. Text cut at grapheme boundaries (step 4) has no overlap.
 */

export interface ChunkOptions {
  /** Longest chunk. */
  size: number;
  /** How much of the previous chunk the next one repeats, at most (≤ size / 2). */
  overlap: number;
}

export const DEFAULT_CHUNK_SIZE = 1000;
export const DEFAULT_CHUNK_OVERLAP = 150;
export const MIN_CHUNK_SIZE = 50;
export const MAX_CHUNK_SIZE = 8000;

/** A piece of text no longer than the chunk size: a sentence, a word of a longer sentence, or a cut of one word. */
interface Unit {
  start: number;
  end: number;
  /** The last unit of a paragraph. */
  paragraphEnd: boolean;
}

const sentences = new Intl.Segmenter("en", { granularity: "sentence" });
const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

/** [start, end) of the text between `from` and `to` without leading and trailing whitespace; null when blank. */
function trimSpan(text: string, from: number, to: number): [number, number] | null {
  let s = from;
  let e = to;
  while (s < e && /\s/u.test(text[s]!)) s++;
  while (e > s && /\s/u.test(text[e - 1]!)) e--;
  return s < e ? [s, e] : null;
}

/** Paragraphs: spans separated by blank lines. */
function paragraphs(text: string): [number, number][] {
  const out: [number, number][] = [];
  const separator = /\n[^\S\n]*\n\s*/g;
  let from = 0;
  for (const m of text.matchAll(separator)) {
    const span = trimSpan(text, from, m.index);
    if (span) out.push(span);
    from = m.index + m[0].length;
  }
  const last = trimSpan(text, from, text.length);
  if (last) out.push(last);
  return out;
}

/**
 * Cuts one over-long word into pieces of at most `size`, at grapheme boundaries. Segments
 * a window at a time: `Intl.Segmenter` slows down quadratically on very long strings.
 */
function cutWord(text: string, start: number, end: number, size: number, out: Unit[]): void {
  let pos = start;
  while (end - pos > size) {
    // ASCII has one character per grapheme (a word holds no \r\n): no segmenting needed.
    let cut = /[^\x00-\x7f]/.test(text.slice(pos, pos + size + 1)) ? 0 : size;
    for (let window = size + 16; cut === 0; window *= 2) {
      const slice = text.slice(pos, Math.min(end, pos + window));
      for (const g of graphemes.segment(slice)) {
        const gEnd = g.index + g.segment.length;
        if (gEnd > size) {
          // A single grapheme longer than the size (a pathological combining sequence) stays
          // whole: take it once the window shows where it ends.
          if (cut === 0 && (gEnd < slice.length || pos + window >= end)) cut = gEnd;
          break;
        }
        cut = gEnd;
      }
    }
    out.push({ start: pos, end: pos + cut, paragraphEnd: false });
    pos += cut;
  }
  if (pos < end) out.push({ start: pos, end, paragraphEnd: false });
}

/** Splits an over-long sentence into its words (each cut further when longer than `size`). */
function splitSentence(text: string, start: number, end: number, size: number, out: Unit[]): void {
  for (const m of text.slice(start, end).matchAll(/\S+/gu)) {
    const wStart = start + m.index;
    const wEnd = wStart + m[0].length;
    if (wEnd - wStart > size) cutWord(text, wStart, wEnd, size, out);
    else out.push({ start: wStart, end: wEnd, paragraphEnd: false });
  }
}

function units(text: string, size: number): Unit[] {
  const out: Unit[] = [];
  for (const [pStart, pEnd] of paragraphs(text)) {
    const paragraph = text.slice(pStart, pEnd);
    for (const s of sentences.segment(paragraph)) {
      const span = trimSpan(text, pStart + s.index, pStart + s.index + s.segment.length);
      if (!span) continue;
      if (span[1] - span[0] <= size) out.push({ start: span[0], end: span[1], paragraphEnd: false });
      else splitSentence(text, span[0], span[1], size, out);
    }
    if (out.length > 0) out[out.length - 1]!.paragraphEnd = true;
  }
  return out;
}

/**
 * Where the chunk after [start, end) may begin so that it repeats at most `overlap`
 * characters and still fits the next unit: a sentence start, else a word start, in
 * (start, end]; `next.start` (no overlap) when neither fits.
 */
function nextStart(text: string, list: Unit[], first: number, last: number, start: number, overlap: number, size: number): number {
  const end = list[last]!.end;
  const next = list[last + 1]!;
  const earliest = Math.max(end - overlap, next.end - size, start + 1);
  for (let k = first; k <= last; k++) {
    const u = list[k]!;
    if (u.start >= earliest && u.start > start) return u.start;
  }
  // No whole sentence fits the window: the earliest word start inside it.
  const from = Math.max(earliest, list[first]!.start);
  // One character of look-behind, so a word starting exactly at `from` counts.
  const word = /(?<=\s)\S/u.exec(text.slice(from - 1, end));
  if (word && from - 1 + word.index >= from) return from - 1 + word.index;
  return next.start;
}

/** Where each chunk of `text` lies: [start, end) offsets, in order. */
export function chunkSpans(text: string, options: ChunkOptions): Array<[number, number]> {
  const { size } = options;
  if (!Number.isInteger(size) || size < 1) throw new RangeError("chunk size must be a positive integer");
  const overlap = Math.max(0, Math.min(Math.floor(options.overlap), Math.floor(size / 2)));
  const list = units(text, size);
  const spans: Array<[number, number]> = [];
  let first = 0;
  let start = list[0]?.start ?? 0;
  /** The last unit of the previous chunk: the next chunk must end after it. */
  let previousLast = -1;
  while (first < list.length) {
    let last = first;
    while (last + 1 < list.length && list[last + 1]!.end - start <= size) last++;
    if (last + 1 < list.length && !list[last]!.paragraphEnd) {
      // Prefer ending at a paragraph when the chunk stays at least half full (and still
      // ends past the previous chunk: an overlap may reach back over a paragraph end).
      for (let p = last - 1; p >= first && p > previousLast; p--) {
        if (list[p]!.end - start < size / 2) break;
        if (list[p]!.paragraphEnd) {
          last = p;
          break;
        }
      }
    }
    spans.push([start, list[last]!.end]);
    previousLast = last;
    if (last + 1 >= list.length) break;
    start = nextStart(text, list, first, last, start, overlap, size);
    while (list[first]!.end <= start) first++;
  }
  return spans;
}

/**
 * The chunks of `text`, in order. Empty or blank text has none.
 *
 * @example
 * ```ts
 * chunkText("First paragraph.\n\nThe second one.", { size: 20, overlap: 5 });
 * // ["First paragraph.", "The second one."]
 * ```
 */
export function chunkText(text: string, options: ChunkOptions): string[] {
  return chunkSpans(text, options).map(([start, end]) => text.slice(start, end));
}
