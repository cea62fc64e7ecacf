/**
 * Fresh copies of received datagrams, carved from shared 8 KiB chunks as Node's `Buffer` pool carves
 * small buffers, where the runtime says it pays (`Native.poolCopies`): making a typed array of its own
 * per datagram measured 1.3 µs on Deno 2.9 (every size) and on Node 26 (above 64 bytes) against 30–60 ns
 * for a view into a chunk, which was most of the cost of a receive with fresh copies. On Bun a view into a
 * chunk measured slower than an array of its own, so there each copy owns its buffer.
 *
 * A copy's `buffer` may therefore hold other datagrams' copies too (`byteOffset` says where it starts).
 * Nothing ever writes into a chunk's bytes twice, so no copy can change another. A chunk whose buffer a
 * user transferred (detached: its length is 0) is simply replaced.
 *
 * @module
 */
import { native } from "../native.ts";
import { copyBytes, wordsOf } from "./control_archive.ts";

/** Node's `Buffer.poolSize`: dead chunks waiting for the collector hold little. */
const CHUNK = 8 * 1024;
/** Larger datagrams get an array of their own, as Node gives buffers of half the pool or more. */
const OWN_FROM = native.poolCopies ? CHUNK >>> 1 : 0;

/**
 * Chunks for one kind of copy. Received datagrams' copies are handed to users, who may transfer their
 * buffer (detaching every copy in the chunk); the copies waiting sends keep are never handed out, so they
 * come from chunks of their own and no user can detach them.
 */
class ChunkPool {
  #chunk = new Uint8Array(new ArrayBuffer(CHUNK));
  /** The chunk's buffer, kept: reading `.buffer` per copy was a call into the engine (Node: a C++ builtin). */
  #buffer = this.#chunk.buffer;
  /** The chunk as 32-bit words, for copies four bytes at a time (see copyBytes). */
  #words = wordsOf(this.#chunk);
  #used = 0;

  copy(source: Uint8Array, from: number, length: number, sourceWords: Int32Array | null): Uint8Array {
    // (OWN_FROM is 0 where the runtime does not pool.)
    if (length >= OWN_FROM) return source.slice(from, from + length);
    let at = this.#used;
    let chunk = this.#chunk;
    // A detached chunk has length 0, so it is replaced here too — for an empty copy as well, since no view
    // of a detached buffer can be made, even one of no bytes.
    if (at + length > chunk.length || chunk.length === 0) {
      chunk = this.#chunk = new Uint8Array(new ArrayBuffer(CHUNK));
      this.#buffer = chunk.buffer;
      this.#words = wordsOf(chunk);
      at = 0;
    }
    // 8-aligned starts, as Node aligns its pool: a Float64Array or BigUint64Array over a copy stays possible.
    this.#used = (at + length + 7) & ~7;
    copyBytes(chunk, at, source, from, length, this.#words, sourceWords);
    return new Uint8Array(this.#buffer, at, length);
  }
}

const received = new ChunkPool();
const sends = new ChunkPool();

/**
 * A copy of `length` bytes at `from` in `source` that nothing else writes into. `sourceWords`:
 * `wordsOf(source)` where the caller keeps it, for a copy four bytes at a time.
 *
 * @example
 * ```ts
 * import { freshCopy } from "./fresh_copy.ts";
 * const source = new Uint8Array([1, 2, 3, 4]);
 * const copy = freshCopy(source, 1, 2);
 * source.fill(0);
 * console.log(copy); // Uint8Array(2) [ 2, 3 ]
 * ```
 */
export function freshCopy(
  source: Uint8Array,
  from: number,
  length: number,
  sourceWords: Int32Array | null = null,
): Uint8Array {
  return received.copy(source, from, length, sourceWords);
}

/**
 * A copy of a send's bytes for the send to keep while it waits (or is held): from chunks no received
 * datagram shares, so a user transferring a received buffer cannot empty a waiting send.
 *
 * @example
 * ```ts
 * import { sendCopy } from "./fresh_copy.ts";
 * const data = new Uint8Array([1, 2]);
 * const copy = sendCopy(data);
 * data.fill(0);
 * console.log(copy); // Uint8Array(2) [ 1, 2 ]
 * ```
 */
export function sendCopy(data: Uint8Array): Uint8Array {
  return sends.copy(data, 0, data.length, null);
}
