/**
 * Batch receives on Linux: recvmmsg(MSG_DONTWAIT) into up to 64 slots at a time (./mmsg_slots.ts),
 * straight into the caller's buffer when its memory cannot move, else into memory of this receiver's
 * own; control areas sized to the request. Where the system refuses recvmmsg (a sandbox), one recvmsg
 * per datagram, through the socket's single receive.
 *
 * @module
 */
import type { SocketError } from "../../errors.ts";
import type { ReceivedMessage } from "../../message.ts";
import { AncillaryDecoder } from "../../structs/ancillary.ts";
import type { BatchRequest, ReceiveRequest } from "../common/backend.ts";
import { type ControlArchive, wordsOf } from "../common/control_archive.ts";
import { buildMessage, messageData, type Received } from "../common/message_builder.ts";
import { checkAttached, setPointer, type TargetAddress } from "../common/receive_target.ts";
import { RemoteAddrCache } from "../common/remote_addr.ts";
import { native } from "../native.ts";
import type { PinnedBuffer } from "../types.ts";
import { iovAt, MAX_SLOTS, mmsgAt, NAME_SLOT, SLOT, slotArena, slotLayout } from "./mmsg_slots.ts";
import { errnoFailure, P } from "./platform.ts";
import { batchRefused, type Lib } from "./system.ts";

const LAYOUT = slotLayout(MAX_SLOTS);
/** The largest datagram a slot of our own holds. */
const DATA_CAPACITY = 65536;
/** The most memory a batch's own data or control area takes; a larger request takes fewer slots per call. */
const BATCH_AREA = 1 << 20;
/** The control and data areas before their first use: no memory, so never given to the system. */
const NO_AREA = new Uint8Array(new ArrayBuffer(0));

/** What the batch receive needs of its socket. */
export interface BatchHost {
  readonly fd: number;
  readonly l: Lib;
  readonly archive: ControlArchive;
  readonly targetAddress: TargetAddress;
  readonly received: Received;
  /** An error met after datagrams were in hand: thrown by the socket's next receive. */
  deferred: SocketError | null;
  /** One receive without waiting (the socket's recvmsg): where recvmmsg is refused. */
  receiveOne(request: ReceiveRequest): ReceivedMessage | null;
}

/** Control and copy areas allocated so far by every receiver (a loop of batches must not make one per call). */
export const batchCounts = { areas: 0 };

/**
 * One socket's recvmmsg memory, made on its first batch.
 *
 * @example
 * ```ts ignore
 * const got = new BatchReceiver(socket).receive(request, out, 0);
 * ```
 */
export class BatchReceiver {
  readonly #host: BatchHost;
  readonly #dv: DataView;
  /** The vector, and the same as recvmmsg takes it at the least cost (see Native.pin: maybe only its address, so the view is held beside it). */
  readonly #vec: { readonly view: Uint8Array; readonly arg: PinnedBuffer };
  readonly #remote: RemoteAddrCache;
  readonly #decoder = new AncillaryDecoder(P.dialect);
  #control = NO_AREA;
  /** `#control` and `#copy` as 32-bit words, for copies four bytes at a time (see copyBytes). */
  #controlWords: Int32Array | null = null;
  #copyWords: Int32Array | null = null;
  #slotControl = -1;
  #copy = NO_AREA;
  #copyAddress = 0;
  /**
   * What the iovecs were last computed from: the first slot's address, the segment, the slot capacity,
   * the caller's buffer length (-1: none), the first index, the direct address (0: our copy area), and
   * how many slots were written. NaN at first: nothing matches it.
   */
  readonly #iov = new Float64Array(7).fill(NaN);
  /** The one-by-one request, rewritten for each datagram. */
  readonly #one = {
    target: null as Uint8Array | null,
    peek: false,
    controlSize: 0,
    reuse: null as ReceivedMessage | null,
  };

  constructor(host: BatchHost) {
    this.#host = host;
    const { buffer, u8, dv } = slotArena(LAYOUT);
    this.#vec = { view: u8, arg: native.pin(u8) };
    this.#dv = dv;
    this.#remote = new RemoteAddrCache(buffer, LAYOUT.name, P.families, MAX_SLOTS * NAME_SLOT);
  }

  /** Up to `req.count - from` messages into `out[from...]`; how many. Throws when none came and the system failed. */
  receive(req: BatchRequest, out: ReceivedMessage[], from: number): number {
    const h = this.#host;
    if (h.l.refused.receive) return this.#oneByOne(req, out, from, 0);
    const target = req.buffer;
    if (target) checkAttached(target);
    const seg = req.segment;
    const segCap = Math.min(seg, DATA_CAPACITY);
    const direct = target !== null && target.length >= req.count * seg ? h.targetAddress.of(target) : 0;
    const slotControl = (req.controlSize + 7) & ~7;
    // Slots per call: at most 64, and no more than 1 MiB of control (or of our own data, when copying).
    let slots = Math.min(
      MAX_SLOTS,
      slotControl > 0 ? Math.max(1, Math.floor(2 * BATCH_AREA / slotControl)) : MAX_SLOTS,
    );
    if (direct === 0) slots = Math.min(slots, Math.max(1, Math.floor(BATCH_AREA / segCap)));
    this.#shape(slotControl, slots, direct === 0 ? slots : 0, segCap);
    const dv = this.#dv;
    const want = req.count - from;
    let got = 0;
    while (got < want) {
      const k = Math.min(want - got, slots);
      // The iovecs are what the last call had when they are computed from the same values (a batch loop
      // into one buffer): the system does not change them, so only the lengths it writes back are reset.
      const first = from + got;
      const base = direct !== 0 ? direct + first * seg : this.#copyAddress;
      const limit = target ? target.length : -1;
      const iov = this.#iov;
      const keep = iov[0] === base && iov[1] === seg && iov[2] === segCap && iov[3] === limit && iov[4] === first &&
        iov[5] === direct && k <= iov[6];
      for (let i = 0; i < k; i++) {
        if (!keep) {
          const index = first + i;
          const capacity = target ? Math.max(0, Math.min(segCap, target.length - index * seg)) : segCap;
          const at = iovAt(LAYOUT, i);
          setPointer(dv, at + SLOT.iovBase, direct !== 0 ? direct + index * seg : this.#copyAddress + i * segCap);
          dv.setUint32(at + SLOT.iovLen, capacity, true);
        }
        const m = mmsgAt(i);
        dv.setUint32(m + SLOT.namelen, NAME_SLOT, true);
        dv.setUint32(m + SLOT.controllen, req.controlSize, true);
      }
      if (!keep) {
        iov[0] = base;
        iov[1] = seg;
        iov[2] = segCap;
        iov[3] = limit;
        iov[4] = first;
        iov[5] = direct;
        iov[6] = k;
      }
      const n = h.l.recvmmsg!(h.fd, this.#vec.arg, k, P.C.MSG_DONTWAIT, 0n);
      if (n < 0) {
        const errno = h.l.errno();
        if (errno === P.EAGAIN) break;
        const error = errnoFailure(errno, "recvmmsg");
        if (batchRefused(h.l, "receive", error)) return got + this.#oneByOne(req, out, from, got);
        if (got === 0) throw error;
        // Datagrams are in hand: deliver them, and the error with the next receive.
        h.deferred = error;
        break;
      }
      for (let i = 0; i < n; i++) {
        const index = from + got + i;
        out[index] = this.#message(req, i, index, direct, segCap, out[index] ?? null);
      }
      got += n;
      if (n < k) break;
    }
    return got;
  }

  /** Where recvmmsg is refused: one receive per datagram, each into its segment; `got` already in hand. */
  #oneByOne(req: BatchRequest, out: ReceivedMessage[], from: number, got: number): number {
    const one = this.#one;
    one.controlSize = req.controlSize;
    let n = 0;
    for (let index = from + got; index < req.count; index++, n++) {
      one.target = req.buffer === null ? null : req.buffer.subarray(
        Math.min(index * req.segment, req.buffer.length),
        Math.min((index + 1) * req.segment, req.buffer.length),
      );
      one.reuse = out[index] ?? null;
      let m: ReceivedMessage | null;
      try {
        m = this.#host.receiveOne(one);
      } catch (e) {
        if (got + n === 0) throw e;
        this.#host.deferred = e as SocketError;
        break;
      }
      if (m === null) break;
      out[index] = m;
    }
    one.target = one.reuse = null;
    return n;
  }

  /** Control areas of `slotControl` bytes per slot and room for `copySlots` slots of our own data. */
  #shape(slotControl: number, slots: number, copySlots: number, segCap: number): void {
    // What one call uses: `slots` slots of `slotControl` bytes (fewer slots when they are large).
    const need = slots * slotControl;
    if (this.#slotControl !== slotControl || this.#control.length < need) {
      // Changed only between calls: no receive is in progress on this memory.
      if (this.#control.length < need) {
        this.#control = new Uint8Array(new ArrayBuffer(need));
        this.#controlWords = wordsOf(this.#control);
        batchCounts.areas++;
      }
      const base = this.#control.length > 0 ? native.addressOf(this.#control) : 0;
      for (let i = 0; i < MAX_SLOTS; i++) {
        setPointer(
          this.#dv,
          mmsgAt(i) + SLOT.control,
          slotControl * (i + 1) <= this.#control.length ? base + i * slotControl : 0,
        );
      }
      this.#slotControl = slotControl;
    }
    if (copySlots * segCap > this.#copy.length) {
      this.#copy = new Uint8Array(new ArrayBuffer(copySlots * segCap));
      this.#copyWords = wordsOf(this.#copy);
      batchCounts.areas++;
      this.#copyAddress = native.addressOf(this.#copy);
    }
  }

  /** The message in slot `i` of the last recvmmsg: segment `index` of the caller's buffer. */
  #message(
    req: BatchRequest,
    i: number,
    index: number,
    direct: number,
    segCap: number,
    reuse: ReceivedMessage | null,
  ): ReceivedMessage {
    const dv = this.#dv;
    const m = mmsgAt(i);
    const capacity = dv.getUint32(iovAt(LAYOUT, i) + SLOT.iovLen, true);
    const n = dv.getUint32(m + SLOT.len, true);
    const bytes = n < capacity ? n : capacity;
    const flags = dv.getInt32(m + SLOT.flags, true);
    const controlLen = Math.min(dv.getUint32(m + SLOT.controllen, true), req.controlSize);
    const controlAt = i * this.#slotControl;
    const r = this.#host.received;
    r.anc = this.#decoder.decode(this.#control, controlLen, controlAt);
    r.remote = this.#remote.get(dv.getUint32(m + SLOT.namelen, true), i * NAME_SLOT);
    r.remoteIsIPv6 = this.#remote.lastIsIPv6;
    r.data = messageData(
      req.buffer,
      index * req.segment,
      bytes,
      direct !== 0,
      this.#copy,
      i * segCap,
      reuse,
      this.#copyWords,
      r.targets,
      r.views,
      index,
    );
    r.reuse = reuse;
    r.flags = flags;
    r.truncated = (flags & P.C.MSG_TRUNC) !== 0;
    r.controlTruncated = (flags & P.C.MSG_CTRUNC) !== 0;
    r.control = this.#control;
    r.controlLen = controlLen;
    r.controlFrom = controlAt;
    return buildMessage(r, this.#host.archive, P.dialect.cmsg, this.#controlWords);
  }
}
