/**
 * Where received messages keep their control bytes until someone reads `control`: appended to a shared
 * 4 KiB chunk, replaced by a fresh one when full (an old chunk lives as long as a message refers to
 * it). One copy into memory that exists already, instead of a new typed array per datagram, which
 * measured as the largest cost of a receive.
 *
 * @module
 */

/**
 * Small, so that dead chunks waiting for the collector hold little: with 64 KiB chunks, RSS after
 * 1,000,000 receives on Deno was 29 MB above the start; with 4 KiB, 15 MB (and the soak ran faster).
 */
const CHUNK = 4 * 1024;

/**
 * Copies of control bytes, appended.
 *
 * @example
 * ```ts
 * import { ControlArchive } from "./control_archive.ts";
 * const archive = new ControlArchive();
 * const at = archive.keep(new Uint8Array([7, 8]), 2);
 * console.log(archive.chunk[at], archive.chunk[at + 1]); // 7 8
 * ```
 */
export class ControlArchive {
  #chunk = new Uint8Array(new ArrayBuffer(CHUNK));
  /** {@link wordsOf} the chunk. */
  #words = wordsOf(this.#chunk);
  #used = 0;
  /**
   * The last record kept, `#lastLength` bytes at `#lastAt` in the chunk (-1: none in this chunk). Datagrams
   * to one address carry the same packet info, byte for byte: such a record is shared, not copied again
   * (records are never overwritten), so a steady stream fills no chunks and leaves none to collect.
   */
  #lastAt = -1;
  #lastLength = 0;

  /** The chunk the last {@link keep} wrote into. */
  get chunk(): Uint8Array {
    return this.#chunk;
  }

  /**
   * Copies `length` bytes at `from` in `source` (or finds them kept already) and returns their offset in
   * {@link chunk}; `sourceWords`: {@link wordsOf} `source`, for four bytes at a time.
   */
  keep(source: Uint8Array, length: number, from = 0, sourceWords: Int32Array | null = null): number {
    let chunk = this.#chunk;
    // Four bytes at a time where both sides have words and the offsets allow (records are 8-aligned).
    const words = sourceWords !== null && (from & 3) === 0 ? this.#words : null;
    if (length === this.#lastLength && this.#lastAt >= 0) {
      const last = this.#lastAt;
      let i = 0;
      if (words !== null) {
        const a = last >>> 2;
        const f = from >>> 2;
        const n = length >>> 2;
        let w = 0;
        while (w < n && words[a + w] === sourceWords![f + w]) w++;
        // A difference within the words is found again by the byte loop, which starts at its word.
        i = w << 2;
      }
      while (i < length && chunk[last + i] === source[from + i]) i++;
      if (i === length) return last;
    }
    if (this.#used + length > CHUNK) {
      chunk = this.#chunk = new Uint8Array(new ArrayBuffer(Math.max(CHUNK, length)));
      this.#words = wordsOf(chunk);
      this.#used = 0;
    }
    const at = this.#used;
    copyBytes(chunk, at, source, from, length, words === null ? null : this.#words, sourceWords);
    // Keep records 8-aligned, as the walker's DataView reads do not need but the layout suggests.
    this.#used = at + ((length + 7) & ~7);
    this.#lastAt = at;
    this.#lastLength = length;
    return at;
  }
}

/**
 * An Int32Array over the same bytes as `bytes`, for copies and compares four bytes at a time (a 64-byte
 * datagram copied byte by byte measured 57–77 ns on Deno, Bun and Node, four at a time 10–16 ns); null
 * where it cannot serve: a start not 4-aligned, or a buffer that can shrink or grow (a view of fixed
 * length over a resizable buffer would fall out of bounds and silently write nothing).
 *
 * @example
 * ```ts
 * import { wordsOf } from "./control_archive.ts";
 * console.log(wordsOf(new Uint8Array(8))?.length, wordsOf(new Uint8Array(8).subarray(1))); // 2 null
 * ```
 */
export function wordsOf(bytes: Uint8Array): Int32Array | null {
  const buffer = bytes.buffer as ArrayBuffer & { resizable?: boolean; growable?: boolean };
  if ((bytes.byteOffset & 3) !== 0 || buffer.resizable === true || buffer.growable === true) return null;
  return new Int32Array(buffer, bytes.byteOffset, bytes.length >>> 2);
}

/**
 * The words of the last byte array asked about ({@link wordsOf}): a receive loop's one buffer is looked
 * at once. Held by a socket (its last target), never by the module.
 *
 * @example
 * ```ts
 * import { WordsCache } from "./control_archive.ts";
 * const cache = new WordsCache();
 * const buffer = new Uint8Array(2048);
 * console.log(cache.of(buffer) === cache.of(buffer)); // true
 * ```
 */
export class WordsCache {
  #bytes: Uint8Array | null = null;
  #words: Int32Array | null = null;

  /** {@link wordsOf} `bytes`, remembered. */
  of(bytes: Uint8Array): Int32Array | null {
    if (bytes !== this.#bytes) {
      this.#bytes = bytes;
      this.#words = wordsOf(bytes);
    }
    return this.#words;
  }
}

/** Up to this many bytes are copied by a loop; larger copies by the engine's copy (one view made). */
const LOOP_MAX = 512;

/**
 * Copies `length` bytes at `from` in `source` to `at` in `target`: a loop for small datagrams (no view
 * object made per datagram), four bytes at a time when `targetWords` and `sourceWords` are given (see
 * {@link wordsOf}; they cover the same bytes as `target` and `source`) and both offsets are 4-aligned;
 * the engine's copy for larger ones.
 *
 * @example
 * ```ts
 * import { copyBytes } from "./control_archive.ts";
 * const target = new Uint8Array(4);
 * copyBytes(target, 1, new Uint8Array([1, 2, 3, 4]), 2, 2);
 * console.log(target); // Uint8Array(4) [ 0, 3, 4, 0 ]
 * ```
 */
export function copyBytes(
  target: Uint8Array,
  at: number,
  source: Uint8Array,
  from: number,
  length: number,
  targetWords: Int32Array | null = null,
  sourceWords: Int32Array | null = null,
): void {
  if (length > LOOP_MAX) {
    target.set(source.subarray(from, from + length), at);
    return;
  }
  let i = 0;
  if (targetWords !== null && sourceWords !== null && ((at | from) & 3) === 0) {
    // Whole words: at + length <= target.length, so the last word lies inside targetWords (and likewise the source).
    const a = at >>> 2;
    const f = from >>> 2;
    const words = length >>> 2;
    for (let w = 0; w < words; w++) targetWords[a + w] = sourceWords[f + w];
    i = words << 2;
  }
  for (; i < length; i++) target[at + i] = source[from + i];
}

/**
 * Keeps `length` control bytes at `from` in `source` for a message: in `reuse`'s own store when a
 * message is being reused, else in the archive (`sourceWords`: see {@link ControlArchive.keep}). Returns where they are (one shared result object,
 * to be read at once).
 *
 * @example
 * ```ts
 * import { ControlArchive, keepControl } from "./control_archive.ts";
 * const kept = keepControl(new ControlArchive(), null, new Uint8Array([1, 2, 3]), 3, 0);
 * console.log(kept.chunk?.subarray(kept.at, kept.at + 3)); // Uint8Array(3) [ 1, 2, 3 ]
 * ```
 */
export function keepControl(
  archive: ControlArchive,
  reuse: { _controlStore(length: number): { readonly bytes: Uint8Array; readonly words: Int32Array } } | null,
  source: Uint8Array,
  length: number,
  from: number,
  sourceWords: Int32Array | null = null,
): { chunk: Uint8Array | null; at: number } {
  const kept = KEPT;
  if (length === 0) {
    kept.chunk = null;
    kept.at = 0;
  } else if (reuse !== null) {
    const store = reuse._controlStore(length);
    copyBytes(store.bytes, 0, source, from, length, sourceWords === null ? null : store.words, sourceWords);
    kept.chunk = store.bytes;
    kept.at = 0;
  } else {
    kept.at = archive.keep(source, length, from, sourceWords);
    kept.chunk = archive.chunk;
  }
  return kept;
}

/** The one result object of {@link keepControl}, read at once by its caller. */
const KEPT: { chunk: Uint8Array | null; at: number } = { chunk: null, at: 0 };
