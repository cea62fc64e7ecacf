/**
 * Segments: a send's buffer cut into datagrams (by the system with UDP_SEGMENT where the backend
 * offers it, else as a batch of views), and a batch receive's buffer cut into one segment per message.
 *
 * @module
 */
import { amendSocketError, SocketClosedError, SocketError } from "../errors.ts";
import type { BackendSocket } from "../ffi/common/backend.ts";
import type { Transmit } from "./transmit.ts";

/**
 * The most datagrams one UDP_SEGMENT send makes (the kernel's UDP_MAX_SEGMENTS since 4.18); more go as a batch.
 *
 * @example
 * ```ts
 * import { MAX_SEGMENTS } from "./segmentation.ts";
 * console.log(MAX_SEGMENTS); // 64
 * ```
 */
export const MAX_SEGMENTS = 64;

/**
 * Whether this segmented transmit goes as one buffer the system cuts: the socket offers it, and at
 * most 64 segments.
 *
 * @example
 * ```ts
 * import { offloads } from "./segmentation.ts";
 * const t = { data: new Uint8Array(65 * 10), segmentSize: 10 } as never;
 * console.log(offloads({ segmentOffload: true } as never, t)); // false: 65 segments
 * ```
 */
export function offloads(socket: BackendSocket, t: Transmit): boolean {
  return socket.segmentOffload && t.segmentSize !== undefined && t.data.length <= t.segmentSize * MAX_SEGMENTS;
}

/**
 * Whether an error of a segmented send means the system or the driver has no offload (EIO, EINVAL —
 * quinn-udp learned the same); if so, the socket sends segments as batches from then on.
 *
 * @example
 * ```ts
 * import { offloadRefused } from "./segmentation.ts";
 * const socket = { segmentOffload: true } as never;
 * console.log(offloadRefused(socket, new Error("other"))); // false
 * ```
 */
export function offloadRefused(socket: BackendSocket, e: unknown): boolean {
  if (!(e instanceof SocketError) || (e.code !== "EIO" && e.code !== "EINVAL")) return false;
  socket.segmentOffload = false;
  return true;
}

/**
 * The datagrams of a segmented transmit, as transmits of views into its data (in order).
 *
 * @example
 * ```ts
 * import { segmentsOf } from "./segmentation.ts";
 * const t = { data: new Uint8Array(25), to: null, source: undefined, hopLimit: undefined, trafficClass: undefined, segmentSize: 10 };
 * console.log(segmentsOf(t).map((s) => s.data.length)); // [10, 10, 5]
 * ```
 */
export function segmentsOf(t: Transmit): Transmit[] {
  const { data, to, source, hopLimit, trafficClass } = t;
  const size = t.segmentSize ?? data.length;
  const out: Transmit[] = [];
  for (let at = 0; at < data.length; at += size) {
    out.push({ data: data.subarray(at, at + size), to, source, hopLimit, trafficClass, segmentSize: undefined });
  }
  return out;
}

/**
 * The error of a segmented send that stopped part way, saying how many segments went before it.
 *
 * @example
 * ```ts
 * import { segmentsFailed } from "./segmentation.ts";
 * console.log(segmentsFailed({ sent: 0, error: null }, 3)); // null
 * ```
 */
export function segmentsFailed(r: { sent: number; error: unknown }, total: number): unknown {
  const e = r.error;
  if (!(e instanceof SocketError) || e instanceof SocketClosedError) return e;
  return amendSocketError(e, ` (${r.sent} of ${total} segments had been sent)`);
}

/**
 * The views of a batch receive's buffer cut into `count` segments of `segment` bytes, kept for the
 * last buffer cut: a batch loop over one buffer makes them once.
 *
 * @example
 * ```ts
 * import { SegmentCutter } from "./segmentation.ts";
 * const cut = new SegmentCutter();
 * const buffer = new Uint8Array(30);
 * console.log(cut.views(buffer, 10, 3).length, cut.views(buffer, 10, 3) === cut.views(buffer, 10, 3)); // 3 true
 * ```
 */
export class SegmentCutter {
  #buffer: Uint8Array | null = null;
  #segment = 0;
  #views: Uint8Array[] = [];

  /** The views; made again when the buffer, its length or the segment size changed. */
  views(buffer: Uint8Array, segment: number, count: number): Uint8Array[] {
    const views = this.#views;
    // A resizable buffer's view can shrink under the same object: the cut is checked against its length.
    if (
      this.#buffer !== buffer || this.#segment !== segment || views.length < count ||
      views[count - 1].length !== segment
    ) {
      this.#buffer = buffer;
      this.#segment = segment;
      this.#views = Array.from({ length: count }, (_, i) => buffer.subarray(i * segment, (i + 1) * segment));
    }
    return this.#views;
  }
}
