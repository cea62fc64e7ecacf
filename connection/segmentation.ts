/**
 * Segments: a send's buffer cut into datagrams (by the system with UDP_SEGMENT where the backend
 * offers it, else as a batch of views), and a batch receive's buffer cut into one segment per message.
 * Whether the system cuts a buffer is the backend's to learn: its `capabilities` say so before a send,
 * and its `send` answers SEGMENTS_AS_BATCH when the system would not; no error code is read here.
 *
 * @module
 */
import { amendSocketError, SocketClosedError, SocketError } from "../errors.ts";
import type { BackendSocket, Transmit } from "../ffi/common/backend.ts";

/**
 * Whether this segmented transmit goes as one buffer the system cuts: the socket offers it (as its
 * capabilities say now: a refusal the backend met turns them off), and it is no more than the most
 * segments one such send carries. Otherwise its segments go as a batch.
 *
 * @example
 * ```ts
 * import { offloads } from "./segmentation.ts";
 * const t = { data: new Uint8Array(65 * 10), to: null, segmentSize: 10 };
 * console.log(offloads({ capabilities: { segmentOffload: true, maxSegments: 64 } } as never, t)); // false: 65 segments
 * ```
 */
export function offloads(socket: BackendSocket, t: Transmit): boolean {
  const c = socket.capabilities;
  return c.segmentOffload && t.segmentSize !== undefined && t.data.length <= t.segmentSize * c.maxSegments;
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
