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

  /** Copies `length` bytes at `from` in `source` (or finds them kept already) and returns their offset in {@link chunk}. */
  keep(source: Uint8Array, length: number, from = 0): number {
    let chunk = this.#chunk;
    if (length === this.#lastLength && this.#lastAt >= 0) {
      const last = this.#lastAt;
      let i = 0;
      while (i < length && chunk[last + i] === source[from + i]) i++;
      if (i === length) return last;
    }
    if (this.#used + length > CHUNK) {
      chunk = this.#chunk = new Uint8Array(new ArrayBuffer(Math.max(CHUNK, length)));
      this.#used = 0;
    }
    const at = this.#used;
    for (let i = 0; i < length; i++) chunk[at + i] = source[from + i];
    // Keep records 8-aligned, as the walker's DataView reads do not need but the layout suggests.
    this.#used = at + ((length + 7) & ~7);
    this.#lastAt = at;
    this.#lastLength = length;
    return at;
  }
}

/**
 * Copies `length` bytes at `from` in `source` to `at` in `target`: a plain loop for small datagrams (no
 * view object made per datagram), the engine's copy for larger ones.
 *
 * @example
 * ```ts
 * import { copyBytes } from "./control_archive.ts";
 * const target = new Uint8Array(4);
 * copyBytes(target, 1, new Uint8Array([1, 2, 3, 4]), 2, 2);
 * console.log(target); // Uint8Array(4) [ 0, 3, 4, 0 ]
 * ```
 */
export function copyBytes(target: Uint8Array, at: number, source: Uint8Array, from: number, length: number): void {
  if (length <= 256) {
    for (let i = 0; i < length; i++) target[at + i] = source[from + i];
  } else {
    target.set(source.subarray(from, from + length), at);
  }
}

/**
 * Keeps `length` control bytes at `from` in `source` for a message: in `reuse`'s own store when a
 * message is being reused, else in the archive. Returns where they are (one shared result object,
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
  reuse: { _controlStore(length: number): Uint8Array } | null,
  source: Uint8Array,
  length: number,
  from: number,
): { chunk: Uint8Array | null; at: number } {
  const kept = KEPT;
  if (length === 0) {
    kept.chunk = null;
    kept.at = 0;
  } else if (reuse !== null) {
    const store = reuse._controlStore(length);
    for (let i = 0; i < length; i++) store[i] = source[from + i];
    kept.chunk = store;
    kept.at = 0;
  } else {
    kept.at = archive.keep(source, length, from);
    kept.chunk = archive.chunk;
  }
  return kept;
}

/** The one result object of {@link keepControl}, read at once by its caller. */
const KEPT: { chunk: Uint8Array | null; at: number } = { chunk: null, at: 0 };
