/**
 * Where received messages keep their control bytes until someone reads `control`: appended to a shared
 * 64 KiB chunk, replaced by a fresh one when full (an old chunk lives as long as a message refers to
 * it). One copy into memory that exists already, instead of a new typed array per datagram, which
 * measured as the largest cost of a receive.
 *
 * @module
 */

const CHUNK = 64 * 1024;

/** Copies of control bytes, appended. */
export class ControlArchive {
  #chunk = new Uint8Array(new ArrayBuffer(CHUNK));
  #used = 0;

  /** The chunk the last {@link keep} wrote into. */
  get chunk(): Uint8Array {
    return this.#chunk;
  }

  /** Copies `length` bytes at `from` in `source` and returns their offset in {@link chunk}. */
  keep(source: Uint8Array, length: number, from = 0): number {
    if (this.#used + length > CHUNK) {
      this.#chunk = new Uint8Array(new ArrayBuffer(Math.max(CHUNK, length)));
      this.#used = 0;
    }
    const at = this.#used;
    const chunk = this.#chunk;
    for (let i = 0; i < length; i++) chunk[at + i] = source[from + i];
    // Keep records 8-aligned, as the walker's DataView reads do not need but the layout suggests.
    this.#used = at + ((length + 7) & ~7);
    return at;
  }
}

/**
 * Copies `length` bytes into `target`: a plain loop for small datagrams (no view object made), the
 * engine's copy for larger ones.
 */
export function copyInto(target: Uint8Array, source: Uint8Array, length: number): void {
  if (length <= 256) {
    for (let i = 0; i < length; i++) target[i] = source[i];
  } else {
    target.set(source.subarray(0, length));
  }
}
