/**
 * Where a receive's data lands: straight in the caller's buffer when that memory cannot move, so no
 * copy is made; otherwise in the socket's own memory, copied out afterwards.
 *
 * Safe because every receive that names a data buffer is a synchronous call: the system writes only
 * while it runs, the caller's view is referenced by the request throughout, and the length is read
 * at the moment of the call (a detached buffer has length 0, so nothing is written through an old
 * address).
 *
 * @module
 */
import { native } from "../native.ts";

/**
 * V8 keeps typed arrays of up to 64 bytes inside the JS heap, where the collector moves them
 * (`typed_array_max_size_in_heap`); memory of a larger ArrayBuffer is allocated outside it and stays put.
 */
const MOVABLE_MAX = 64;

/**
 * The address of a caller's buffer, remembered by its ArrayBuffer: a receive loop passes the same
 * buffer (or views of it, such as a batch's segments) every time, so the runtime is asked once and a
 * view's address is the buffer's plus its offset. A transferred buffer is a new ArrayBuffer, so an
 * old address is never used for it.
 *
 * @example
 * ```ts
 * import { TargetAddress } from "./receive_target.ts";
 * const t = new TargetAddress();
 * console.log(t.of(new Uint8Array(2048)) !== 0, t.of(new Uint8Array(16))); // true 0
 * ```
 */
export class TargetAddress {
  #buffer: ArrayBufferLike | null = null;
  /** The address of the buffer's byte 0, or 0 when the system may not write there. */
  #base = 0;
  /** The last view asked about and its answer: a receive loop's one buffer costs a comparison. */
  #view: Uint8Array | null = null;
  #address = 0;

  /** The address of `target`'s first byte if the system may write there itself, else 0. */
  of(target: Uint8Array): number {
    if (target.byteLength === 0) return 0;
    if (target === this.#view) return this.#address;
    const buffer = target.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#base = buffer.byteLength > MOVABLE_MAX ? native.addressOf(target) - target.byteOffset : 0;
    }
    this.#view = target;
    return this.#address = this.#base === 0 ? 0 : this.#base + target.byteOffset;
  }
}

/**
 * Points the 64-bit pointer field at `at` to `view`'s first byte. For memory a socket owns and keeps:
 * arenas and buffers larger than 64 bytes, or views into them, which never move.
 *
 * @example
 * ```ts
 * import { pointTo } from "./receive_target.ts";
 * const arena = new Uint8Array(new ArrayBuffer(256));
 * pointTo(new DataView(arena.buffer), 0, arena.subarray(64));
 * ```
 */
export function pointTo(view: DataView, at: number, target: Uint8Array): void {
  setPointer(view, at, native.addressOf(target));
}

/**
 * Throws before a receive whose buffer was detached (its ArrayBuffer transferred) since the call was
 * made: nothing could be written, so the datagram is left queued for the next receive. A detached
 * view has length 0, so only an empty buffer needs the closer look.
 *
 * @example
 * ```ts
 * import { checkAttached } from "./receive_target.ts";
 * const buffer = new Uint8Array(new ArrayBuffer(2048));
 * checkAttached(buffer); // fine
 * buffer.buffer.transfer();
 * try { checkAttached(buffer); } catch (e) { console.log((e as Error).name); } // "TypeError"
 * ```
 */
export function checkAttached(target: Uint8Array): void {
  if (target.byteLength !== 0) return;
  const backing = target.buffer as ArrayBuffer & { detached?: boolean };
  if (backing.detached === true) {
    throw new TypeError(
      "receive: buffer was detached (its ArrayBuffer transferred) before the datagram could be received; it is still queued",
    );
  }
}

/**
 * Writes a 64-bit pointer field from a number (addresses are below 2^53): no BigInt per call.
 *
 * @example
 * ```ts
 * import { setPointer } from "./receive_target.ts";
 * const dv = new DataView(new ArrayBuffer(8));
 * setPointer(dv, 0, 2 ** 40 + 5);
 * console.log(dv.getBigUint64(0, true)); // 1099511627781n
 * ```
 */
export function setPointer(view: DataView, at: number, address: number): void {
  view.setUint32(at, address >>> 0, true);
  view.setUint32(at + 4, Math.floor(address / 4294967296), true);
}

/**
 * The view a message gets for `bytes` bytes at `start` in `target`: the reused message's own view when
 * it already is exactly that, so a loop with `reuse` makes no object.
 *
 * @example
 * ```ts
 * import { viewOf } from "./receive_target.ts";
 * const target = new Uint8Array(2048);
 * const first = viewOf(target, 0, 64, null);
 * console.log(viewOf(target, 0, 64, first) === first); // true
 * ```
 */
export function viewOf(target: Uint8Array, start: number, bytes: number, previous: Uint8Array | null): Uint8Array {
  // Never an empty one: a view out of bounds (its resizable buffer shrank) reads length 0 and offset 0, as
  // an empty view at 0 does, and would show old bytes again once the buffer grows back.
  if (
    previous !== null && bytes !== 0 && previous.length === bytes &&
    previous.byteOffset === target.byteOffset + start && previous.buffer === target.buffer
  ) {
    return previous;
  }
  return target.subarray(start, start + bytes);
}

/**
 * {@link viewOf} with a memory of the views it made, one per slot (a batch's index; 0 for single
 * receives): a reused message whose `data` is the view this memo made for the same caller buffer at that
 * slot is known to be a view of that buffer without asking for either `buffer` (a call into the engine:
 * 9–18 ns on V8, 7 on JavaScriptCore, twice per datagram), and a receive without one gets the slot's last
 * view again when it covers the same bytes. One per socket; it holds the caller's last
 * buffer and the views made of it, as the socket's other caches hold their last, until another buffer
 * comes or the socket is dropped.
 *
 * @example
 * ```ts
 * import { ViewMemo } from "./receive_target.ts";
 * const memo = new ViewMemo();
 * const target = new Uint8Array(2048);
 * const first = memo.view(target, 64, 32, null, 1);
 * console.log(memo.view(target, 64, 32, first, 1) === first, first.byteOffset); // true 64
 * ```
 */
export class ViewMemo {
  /** The views made for `#target`, by slot: forgotten when another buffer comes. */
  readonly #views: Uint8Array[] = [];
  /** The last caller buffer, and its ArrayBuffer when it is a plain Uint8Array (null: a subclass, such as Buffer). */
  #target: Uint8Array | null = null;
  #buffer: ArrayBuffer | null = null;

  /** The view for `bytes` bytes at `start` in `target`, `previous` (the reused message's data) when it is that. */
  view(target: Uint8Array, start: number, bytes: number, previous: Uint8Array | null, slot: number): Uint8Array {
    if (target !== this.#target) {
      // Another buffer: the views of the last one go, so that the memo never holds more than one.
      this.#target = target;
      this.#buffer = target.constructor === Uint8Array ? target.buffer as ArrayBuffer : null;
      this.#views.length = 0;
    }
    // `previous` made here (for this `target`) shares its buffer, else the buffers are compared; its length
    // and offset still tell whether the datagram is another size or the buffer shrank (resizable). Never
    // an empty one (see viewOf).
    if (
      previous !== null && bytes !== 0 && previous.length === bytes &&
      previous.byteOffset === target.byteOffset + start &&
      (previous === this.#views[slot] || previous.buffer === target.buffer)
    ) {
      return previous;
    }
    // The view this memo made last at this slot, when it covers the same bytes: a receive into one buffer
    // without `reuse` then makes no view either (on JavaScriptCore a view of a buffer costs more than a
    // copy of 64 bytes). Two messages may share one `data` object so: both show the same bytes of the
    // caller's buffer, which each receive overwrites anyway. (An out-of-bounds view reads length 0, so it
    // never matches a datagram of some bytes.)
    const made = this.#views[slot];
    if (made !== undefined && bytes !== 0 && made.length === bytes && made.byteOffset === target.byteOffset + start) {
      return made;
    }
    // A view made from the buffer: subarray would look the constructor up (its species) every time, and
    // measured 22 ns against 13 on V8. A subclass keeps subarray, so that its views are of its class.
    const buffer = this.#buffer;
    const v = buffer === null
      ? target.subarray(start, start + bytes)
      : new Uint8Array(buffer, target.byteOffset + start, bytes);
    this.#views[slot] = v;
    return v;
  }
}
