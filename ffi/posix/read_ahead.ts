/**
 * Read-ahead for the Linux receive path: a receive that finds nothing read ahead takes up to
 * `limit` datagrams with one recvmmsg into an arena, and the receives after it are served from there
 * in order, each with its own buffer, `controlSize`, `peek` and `reuse`, as if each had made its own
 * system call: a smaller buffer truncates (MSG_TRUNC), a smaller `controlSize` cuts the control
 * messages as the kernel's `put_cmsg` would (MSG_CTRUNC), a peek leaves the datagram for the next call.
 *
 * Every slot holds 64 KiB, so no datagram is ever cut by the read-ahead itself; the arenas' pages
 * are touched only as far as datagrams reach. Arenas are shared: a socket holds one only while it has
 * datagrams read ahead, and gives it back when the last is delivered or the socket is closed, so the
 * number of arenas follows the sockets with undelivered datagrams at one moment, not the sockets.
 * The kernel writes into an arena only during the recvmmsg call, into memory outside every moving heap.
 *
 * @module
 */
import type { ReceivedMessage } from "../../message.ts";
import { AncillaryDecoder, type AncillaryDialect } from "../../structs/ancillary.ts";
import { truncateControl } from "../../structs/cmsg.ts";
import type { Families } from "../../structs/sockaddr.ts";
import type { ReceiveRequest } from "../common/backend.ts";
import type { ControlArchive } from "../common/control_archive.ts";
import { buildMessage, messageData, type Received } from "../common/message_builder.ts";
import { native } from "../native.ts";
import { checkAttached, setPointer } from "../common/receive_target.ts";
import { RemoteAddrCache } from "../common/remote_addr.ts";
import { iovAt, mmsgAt, NAME_SLOT, setSize, SLOT, slotArena, slotLayout } from "./mmsg_slots.ts";

/** The most datagrams one read-ahead takes; `readAhead` of a socket is at most this. */
export const MAX_READ_AHEAD = 64;
/** Bytes per slot: the largest UDP payload fits whole. */
const SEGMENT = 65536;
/** The slots of one read-ahead call (./mmsg_slots.ts): control and data areas live beside them. */
const LAYOUT = slotLayout(MAX_READ_AHEAD);

/** What the read-ahead needs from the system: given once per process by the POSIX backend. */
export interface ReadAheadSystem {
  recvmmsg(fd: number, vec: Uint8Array, vlen: number, flags: number, timeout: number): number;
  errno(): number;
  failure(errno: number, syscall: string): Error;
  readonly EAGAIN: number;
  readonly MSG_DONTWAIT: number;
  readonly MSG_TRUNC: number;
  readonly MSG_CTRUNC: number;
  readonly families: Families;
  readonly dialect: AncillaryDialect;
}

/** One recvmmsg's memory: the vector, iovecs and names in one buffer; data and control beside it. */
class Arena {
  readonly vec: Uint8Array;
  readonly dv: DataView;
  readonly data: Uint8Array;
  control = new Uint8Array(new ArrayBuffer(0));
  slotControl = -1;
  /** Slots the last call may have written (their name and control lengths need resetting). */
  dirty = MAX_READ_AHEAD;
  readonly remote: RemoteAddrCache;
  readonly decoder: AncillaryDecoder;

  constructor(system: ReadAheadSystem) {
    const { buffer, u8, dv } = slotArena(LAYOUT);
    this.vec = u8;
    this.dv = dv;
    this.data = new Uint8Array(new ArrayBuffer(MAX_READ_AHEAD * SEGMENT));
    const base = native.addressOf(this.data);
    for (let i = 0; i < MAX_READ_AHEAD; i++) {
      const iov = iovAt(LAYOUT, i);
      setPointer(dv, iov + SLOT.iovBase, base + i * SEGMENT);
      setSize(dv, iov + SLOT.iovLen, SEGMENT);
    }
    this.remote = new RemoteAddrCache(buffer, LAYOUT.name, system.families, MAX_READ_AHEAD * NAME_SLOT);
    this.decoder = new AncillaryDecoder(system.dialect);
  }

  /** Control areas of `slotControl` bytes per slot: changed only while no call uses the arena. */
  shape(slotControl: number): void {
    if (slotControl === this.slotControl) return;
    if (this.control.length < slotControl * MAX_READ_AHEAD) {
      this.control = new Uint8Array(new ArrayBuffer(slotControl * MAX_READ_AHEAD));
    }
    const base = this.control.length > 0 ? native.addressOf(this.control) : 0;
    for (let i = 0; i < MAX_READ_AHEAD; i++) {
      setPointer(
        this.dv,
        mmsgAt(i) + SLOT.control,
        slotControl > 0 ? base + i * slotControl : 0,
      );
    }
    this.slotControl = slotControl;
  }
}

/** Arenas no socket holds now, for the next socket that reads ahead. */
const free: Arena[] = [];
const counts = { arenas: 0, fills: 0, datagrams: 0 };

/**
 * For tests and diagnostics: arenas made and free, recvmmsg calls made by read-ahead and the
 * datagrams they took.
 *
 * @example
 * ```ts
 * import { readAheadStats } from "./read_ahead.ts";
 * console.log(readAheadStats().fills >= 0); // true
 * ```
 */
export function readAheadStats(): { arenas: number; free: number; fills: number; datagrams: number } {
  return { ...counts, free: free.length };
}

/**
 * One socket's read-ahead queue.
 *
 * @example
 * ```ts
 * import { ReadAhead } from "./read_ahead.ts";
 * // Made by the POSIX backend for a Linux socket: new ReadAhead(system, 32)
 * console.log(typeof ReadAhead); // "function"
 * ```
 */
export class ReadAhead {
  readonly #system: ReadAheadSystem;
  readonly #limit: number;
  #arena: Arena | null = null;
  #next = 0;
  #count = 0;
  /** The largest control area any receive on this socket asked for: every slot gets that much. */
  #controlSize = 0;

  constructor(system: ReadAheadSystem, limit: number) {
    this.#system = system;
    this.#limit = limit;
  }

  /** Datagrams read ahead and not yet delivered. */
  get queued(): number {
    return this.#count - this.#next;
  }

  /** A receive asked for `controlSize` bytes of control: later read-aheads give every slot as much. */
  want(controlSize: number): void {
    if (controlSize > this.#controlSize) this.#controlSize = controlSize;
  }

  /** One recvmmsg: the number of datagrams taken, 0 when none is queued; throws the system's error. */
  fill(fd: number): number {
    const s = this.#system;
    const a = this.#arena ?? free.pop() ?? (counts.arenas++, new Arena(s));
    a.shape((this.#controlSize + 7) & ~7);
    const { dv } = a;
    for (let i = 0; i < a.dirty; i++) {
      const m = mmsgAt(i);
      dv.setUint32(m + SLOT.namelen, NAME_SLOT, true);
      setSize(dv, m + SLOT.controllen, a.slotControl);
    }
    const n = s.recvmmsg(fd, a.vec, this.#limit, s.MSG_DONTWAIT, 0);
    a.dirty = n > 0 ? n : 0;
    if (n <= 0) {
      this.#arena = null;
      free.push(a);
      if (n === 0) return 0;
      const errno = s.errno();
      if (errno === s.EAGAIN) return 0;
      throw s.failure(errno, "recvmmsg");
    }
    this.#arena = a;
    this.#next = 0;
    this.#count = n;
    counts.fills++;
    counts.datagrams += n;
    return n;
  }

  /**
   * The next datagram read ahead, as `req` asks for it; removed from the queue unless `req.peek`.
   * `scratch`: at least `req.controlSize` bytes, for control cut to a smaller size.
   */
  take(req: ReceiveRequest, scratch: Uint8Array, archive: ControlArchive, r: Received): ReceivedMessage {
    const target = req.target;
    if (target) checkAttached(target);
    const s = this.#system;
    const a = this.#arena!;
    const i = this.#next;
    const { dv } = a;
    const m = mmsgAt(i);
    const n = dv.getUint32(m + SLOT.len, true);
    let flags = dv.getInt32(m + SLOT.flags, true);
    const capacity = target ? Math.min(target.length, SEGMENT) : SEGMENT;
    const bytes = n < capacity ? n : capacity;
    if (n > capacity) flags |= s.MSG_TRUNC;
    let control: Uint8Array = a.control;
    let controlAt = i * a.slotControl;
    let controlLen = Math.min(dv.getUint32(m + SLOT.controllen, true), a.slotControl);
    if (controlLen > req.controlSize) {
      const cut = truncateControl(control, controlAt, controlLen, scratch, req.controlSize, s.dialect.cmsg);
      controlLen = cut.length;
      control = scratch;
      controlAt = 0;
      if (cut.truncated) flags |= s.MSG_CTRUNC;
    }
    r.anc = a.decoder.decode(control, controlLen, controlAt);
    r.remote = a.remote.get(dv.getUint32(m + SLOT.namelen, true), i * NAME_SLOT);
    r.remoteIsIPv6 = a.remote.lastIsIPv6;
    r.data = messageData(target, 0, bytes, false, a.data, i * SEGMENT, req.reuse);
    r.reuse = req.reuse;
    r.flags = flags;
    r.truncated = (flags & s.MSG_TRUNC) !== 0;
    r.controlTruncated = (flags & s.MSG_CTRUNC) !== 0;
    r.control = control;
    r.controlLen = controlLen;
    r.controlFrom = controlAt;
    const message = buildMessage(r, archive, s.dialect.cmsg);
    if (!req.peek && ++this.#next === this.#count) this.drop();
    return message;
  }

  /** Forgets what is read ahead (the socket is closing, as the kernel forgets its queue) and gives the arena back. */
  drop(): void {
    if (this.#arena) free.push(this.#arena);
    this.#arena = null;
    this.#next = this.#count = 0;
  }
}
