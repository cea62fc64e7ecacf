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
 * An arena's data is an anonymous mapping of its own (mmap), seen through a view without a copy: of the
 * arenas given back, a small pool stays mapped for the next socket and the others are unmapped at once,
 * so memory follows the sockets holding datagrams now, not the most there ever were. An arena is
 * unmapped only when no socket holds it and no call runs on it (recvmmsg is synchronous), and nothing
 * outside this file keeps a view of it: every datagram is copied out of it (see messageData).
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
import type { PinnedBuffer } from "../types.ts";
import { LIBC_MMAP, libcPath } from "../tables/libc.ts";
import { checkAttached, setPointer } from "../common/receive_target.ts";
import { wordsOf } from "../common/control_archive.ts";
import { RemoteAddrCache } from "../common/remote_addr.ts";
import { initSlots, iovAt, mmsgAt, NAME_SLOT, setSize, SLOT, slotLayout } from "./mmsg_slots.ts";

/** The most datagrams one read-ahead takes; `readAhead` of a socket is at most this. */
export const MAX_READ_AHEAD = 64;
/** Bytes per slot: the largest UDP payload fits whole. */
const SEGMENT = 65536;
/** The slots of one read-ahead call (./mmsg_slots.ts): control and data areas live beside them. */
const LAYOUT = slotLayout(MAX_READ_AHEAD);

/** What the read-ahead needs from the system: given once per process by the POSIX backend. */
export interface ReadAheadSystem {
  recvmmsg(fd: number, vec: PinnedBuffer, vlen: number, flags: number, timeout: bigint): number;
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
  /** `vec` as recvmmsg takes it at the least cost (see Native.pin): valid while the arena is mapped. */
  readonly vecArg: PinnedBuffer;
  readonly dv: DataView;
  data: Uint8Array;
  /** `data` and `control` as 32-bit words, for copies four bytes at a time (see copyBytes). */
  dataWords: Int32Array | null;
  controlWords: Int32Array | null;
  /** The mapping behind `data` (0n for an ArrayBuffer, when mmap was refused). */
  readonly mapping: bigint;
  control: Uint8Array;
  slotControl = -1;
  /** Slots the last call may have written (their name and control lengths need resetting). */
  dirty = MAX_READ_AHEAD;
  readonly remote: RemoteAddrCache;
  readonly decoder: AncillaryDecoder;

  constructor(system: ReadAheadSystem) {
    const memory = mapArena();
    const buffer = memory.vec;
    this.vec = new Uint8Array(buffer);
    this.vecArg = native.pin(this.vec);
    const dv = this.dv = new DataView(buffer);
    this.data = memory.data;
    this.control = memory.control;
    this.dataWords = wordsOf(this.data);
    this.controlWords = wordsOf(this.control);
    this.mapping = memory.mapping;
    initSlots(LAYOUT, dv, native.addressOf(this.vec));
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
      this.controlWords = wordsOf(this.control);
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

/** Bytes of an arena's data: every slot's 64 KiB. */
const DATA_BYTES = MAX_READ_AHEAD * SEGMENT;
/** The vector, iovecs and names, from the next page on. */
const VEC_AT = DATA_BYTES;
/** Control areas up to 256 bytes a slot live in the mapping too; a larger controlSize gets an ArrayBuffer (see shape). */
const CONTROL_AT = VEC_AT + Math.ceil(LAYOUT.end / 4096) * 4096;
const CONTROL_BYTES = MAX_READ_AHEAD * 256;
/**
 * The size of each arena's mapping (data, vector and control in one, so that nothing of an unmapped arena
 * stays in a heap); tests find the arenas in /proc/self/smaps by it.
 *
 * @example
 * ```ts
 * import { ARENA_BYTES } from "./read_ahead.ts";
 * console.log(ARENA_BYTES > 64 * 65536); // true
 * ```
 */
export const ARENA_BYTES = CONTROL_AT + CONTROL_BYTES;
/** Arenas kept mapped when given back (a server's few busy sockets reuse them); the others are unmapped. */
const POOL = 8;
/**
 * The most arenas sockets hold at once (per thread): past it, a socket with nothing read ahead receives
 * its datagram alone (one recvmsg), as with `readAhead: 1`. Read-ahead pays for a socket with many
 * datagrams queued; thousands of sockets with two or three each gained nothing from an arena apiece and
 * paid a mapping (4 MiB of address space, counted by the engine as memory, which drove its collections):
 * 5,000 sockets with two datagrams each took 21 s (Node) to 126 s (Deno) to receive, where one datagram
 * each took under 0.4 s.
 */
export const MAX_HELD = 32;
// Linux mmap(2) values (the read-ahead is Linux's): PROT_READ | PROT_WRITE; MAP_PRIVATE | MAP_ANONYMOUS |
// MAP_NORESERVE (no swap is reserved for pages no datagram touches); MAP_FAILED is (void *)-1.
const PROT_RW = 0x1 | 0x2;
const MAP_FLAGS = 0x02 | 0x20 | 0x4000;
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;
const PROT_NONE = 0;
/**
 * A page without access on each side of an arena: the kernel merges neighbouring anonymous mappings of
 * the same kind, and this keeps each arena a mapping of its own (so /proc/self/smaps shows arenas one by
 * one); anything running past an arena faults there instead of writing into a neighbour.
 */
const GUARD = 4096;
/** What each arena maps: a guard page, the arena, a guard page. */
const MAPPING_BYTES = GUARD + ARENA_BYTES + GUARD;

let mm: ReturnType<typeof openMmap> | null = null;
function openMmap() {
  return native.open(libcPath(native.os), LIBC_MMAP);
}

/**
 * An arena that no socket holds and nothing can reach any more (a socket dropped without close while it
 * held one) is unmapped when it is collected: no call can run on it then, and no view of it is left.
 */
const unreachable = new FinalizationRegistry<bigint>((mapping) => {
  native.unmapWithThread?.(mapping, MAPPING_BYTES, false);
  mm!.munmap(mapping, MAPPING_BYTES);
  counts.unmapped++;
});

/**
 * The memory of a new arena: views of a fresh anonymous mapping (pages untouched until the kernel writes
 * a datagram there), or ArrayBuffers if mmap is refused.
 */
function mapArena(): { data: Uint8Array; vec: ArrayBuffer; control: Uint8Array; mapping: bigint } {
  mm ??= openMmap();
  // All of it without access, then the arena between the guards readable and writable.
  const mapping = mm.mmap(0n, MAPPING_BYTES, PROT_NONE, MAP_FLAGS, -1, 0n);
  const ok = mapping !== MAP_FAILED && mapping !== 0n;
  // A terminated worker runs no JS of ours: where the runtime can, the mapping goes with its thread. Kept
  // at once, so that a terminate landing before the next call cannot leave it mapped.
  if (ok) native.unmapWithThread?.(mapping, MAPPING_BYTES, true);
  const p = mapping + BigInt(GUARD);
  if (!ok || mm.mprotect(p, ARENA_BYTES, PROT_RW) !== 0) {
    if (ok) {
      native.unmapWithThread?.(mapping, MAPPING_BYTES, false);
      mm.munmap(mapping, MAPPING_BYTES);
    }
    return {
      data: new Uint8Array(new ArrayBuffer(DATA_BYTES)),
      vec: new ArrayBuffer(LAYOUT.end),
      control: new Uint8Array(new ArrayBuffer(0)),
      mapping: 0n,
    };
  }
  return {
    data: native.viewBytes(p, DATA_BYTES),
    vec: native.viewBytes(p + BigInt(VEC_AT), LAYOUT.end).buffer as ArrayBuffer,
    control: native.viewBytes(p + BigInt(CONTROL_AT), CONTROL_BYTES),
    mapping,
  };
}

/** Arenas no socket holds now, for the next socket that reads ahead: at most POOL. */
const free: Arena[] = [];
const counts = { made: 0, unmapped: 0, fills: 0, datagrams: 0, declined: 0 };

/** An arena for a fill: a pooled one, or a new one. */
function takeArena(system: ReadAheadSystem): Arena {
  const pooled = free.pop();
  if (pooled) return pooled;
  counts.made++;
  const a = new Arena(system);
  if (a.mapping !== 0n) unreachable.register(a, a.mapping, a);
  return a;
}

/** An arena no socket holds any more: back to the pool, or to the system. */
function giveBack(a: Arena): void {
  if (free.length < POOL && readers > 0) free.push(a);
  else unmap(a);
}

function unmap(a: Arena): void {
  // Nothing reads the old views after this: the arena is dropped with them.
  a.data = a.control = new Uint8Array(0);
  a.dataWords = a.controlWords = null;
  if (a.mapping !== 0n) {
    unreachable.unregister(a);
    native.unmapWithThread?.(a.mapping, MAPPING_BYTES, false);
    mm!.munmap(a.mapping, MAPPING_BYTES);
  }
  counts.unmapped++;
}

/**
 * Open sockets that read ahead. When the last closes, the pool is unmapped too: a Worker (or a Deno test
 * module) that closed its sockets leaves no mapping behind when it ends, as no finalizer runs then.
 */
let readers = 0;

/**
 * For tests and diagnostics: arenas that exist now (held or free), free ones (the pool), arenas given
 * back to the system so far, open sockets that read ahead, recvmmsg calls made by read-ahead and the
 * datagrams they took, and the fills declined because {@link MAX_HELD} arenas were held.
 *
 * @example
 * ```ts
 * import { readAheadStats } from "./read_ahead.ts";
 * console.log(readAheadStats().fills >= 0); // true
 * ```
 */
export function readAheadStats(): {
  arenas: number;
  free: number;
  unmapped: number;
  open: number;
  fills: number;
  datagrams: number;
  declined: number;
} {
  return {
    open: readers,
    arenas: counts.made - counts.unmapped,
    free: free.length,
    unmapped: counts.unmapped,
    fills: counts.fills,
    datagrams: counts.datagrams,
    declined: counts.declined,
  };
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
  #closed = false;

  constructor(system: ReadAheadSystem, limit: number) {
    this.#system = system;
    this.#limit = limit;
    readers++;
  }

  /** Datagrams read ahead and not yet delivered. */
  get queued(): number {
    return this.#count - this.#next;
  }

  /** A receive asked for `controlSize` bytes of control: later read-aheads give every slot as much. */
  want(controlSize: number): void {
    if (controlSize > this.#controlSize) this.#controlSize = controlSize;
  }

  /**
   * One recvmmsg: the number of datagrams taken, 0 when none is queued, or -1 when the thread's sockets
   * hold {@link MAX_HELD} arenas already (then receive one datagram without read-ahead); throws the
   * system's error.
   */
  fill(fd: number): number {
    const s = this.#system;
    if (this.#arena === null && counts.made - counts.unmapped - free.length >= MAX_HELD) {
      counts.declined++;
      return -1;
    }
    const a = this.#arena ?? takeArena(s);
    a.shape((this.#controlSize + 7) & ~7);
    const { dv } = a;
    for (let i = 0; i < a.dirty; i++) {
      const m = mmsgAt(i);
      dv.setUint32(m + SLOT.namelen, NAME_SLOT, true);
      setSize(dv, m + SLOT.controllen, a.slotControl);
    }
    const n = s.recvmmsg(fd, a.vecArg, this.#limit, s.MSG_DONTWAIT, 0n);
    a.dirty = n > 0 ? n : 0;
    if (n <= 0) {
      // errno first: giving the arena back may make a system call (munmap).
      const errno = n < 0 ? s.errno() : 0;
      this.#arena = null;
      giveBack(a);
      if (n === 0 || errno === s.EAGAIN) return 0;
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
    let message: ReceivedMessage;
    try {
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
      let controlWords = a.controlWords;
      let controlAt = i * a.slotControl;
      let controlLen = Math.min(dv.getUint32(m + SLOT.controllen, true), a.slotControl);
      if (controlLen > req.controlSize) {
        const cut = truncateControl(control, controlAt, controlLen, scratch, req.controlSize, s.dialect.cmsg);
        controlLen = cut.length;
        control = scratch;
        controlWords = null;
        controlAt = 0;
        if (cut.truncated) flags |= s.MSG_CTRUNC;
      }
      r.anc = a.decoder.decode(control, controlLen, controlAt);
      r.remote = a.remote.get(dv.getUint32(m + SLOT.namelen, true), i * NAME_SLOT);
      r.remoteIsIPv6 = a.remote.lastIsIPv6;
      r.data = messageData(target, 0, bytes, false, a.data, i * SEGMENT, req.reuse, a.dataWords, r.targets, r.views);
      r.reuse = req.reuse;
      r.flags = flags;
      r.truncated = (flags & s.MSG_TRUNC) !== 0;
      r.controlTruncated = (flags & s.MSG_CTRUNC) !== 0;
      r.control = control;
      r.controlLen = controlLen;
      r.controlFrom = controlAt;
      message = buildMessage(r, archive, s.dialect.cmsg, controlWords);
    } catch (e) {
      // Not left first in line, where it would fail every later receive: dropped, with the error. (What a
      // caller can get wrong is checked before; this is for what was not foreseen.)
      if (!req.peek && ++this.#next === this.#count) this.drop();
      throw e;
    }
    if (!req.peek && ++this.#next === this.#count) this.drop();
    return message;
  }

  /** Forgets what is read ahead (the socket is closing, as the kernel forgets its queue) and gives the arena back. */
  drop(): void {
    if (this.#arena) giveBack(this.#arena);
    this.#arena = null;
    this.#next = this.#count = 0;
  }

  /** The socket closed: {@link drop}, and the last socket to close takes the pool back to the system. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    readers--;
    this.drop();
    if (readers === 0) { while (free.length > 0) unmap(free.pop()!); }
  }
}
