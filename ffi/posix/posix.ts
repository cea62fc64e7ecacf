/**
 * The POSIX backend (Linux with glibc; macOS from the same code through its own tables, untested here):
 * libc `recvmsg`.
 *
 * A receive is one `recvmsg(MSG_DONTWAIT)` into memory the socket owns; it returns a datagram or
 * EAGAIN. To wait, the socket joins the process's one poll set (ffi/posix/poll_set.ts): an event queue
 * (epoll, kqueue) that one wait watches for every waiting socket, off the JS thread or on the runtime's
 * own loop. `close()` takes the fd out of the queue, then closes it at once: the queue never reports a
 * number reused after that, except as a readiness already in hand, which only wakes a socket that then
 * finds nothing. The kernel writes only during `recvmsg`, into memory that never moves. Sends are
 * ./posix_send.ts, batch receives ./batch_receive.ts; what differs between Linux and macOS ./platform.ts.
 *
 * @module
 */
import { SocketClosedError, type SocketError } from "../../errors.ts";
import type { DatagramMessage, NetAddr, ReceivedMessage } from "../../message.ts";
import { AncillaryDecoder } from "../../structs/ancillary.ts";
import { parseIPv4 } from "../../structs/ip.ts";
import { decodeSockaddr, encodeSockaddr } from "../../structs/sockaddr.ts";
import {
  type Backend,
  type BackendSocket,
  type BatchRequest,
  type Capabilities,
  type OpenOptions,
  type ReceiveRequest,
  socketKinds,
  type Transmit,
  UDP,
} from "../common/backend.ts";
import { ControlArchive } from "../common/control_archive.ts";
import { type OptionDialect, optionDialect } from "../common/option_dialect.ts";
import { buildMessage, messageData, type Received, received } from "../common/message_builder.ts";
import { checkAttached, pointTo, setPointer, type TargetAddress } from "../common/receive_target.ts";
import { RemoteAddrCache } from "../common/remote_addr.ts";
import {
  boundAddress,
  chooseTarget,
  configure,
  growControl,
  type ReceiveMemory,
  receiveMemory,
} from "../common/socket_core.ts";
import { batchCounts, BatchReceiver } from "./batch_receive.ts";
import { ErrorQueue } from "./error_queue.ts";
import { errnoFailure, P, setSized } from "./platform.ts";
import { POLLIN, POLLOUT, type PollWatch } from "./poll_set.ts";
import { PosixSender } from "./posix_send.ts";
import { ReadAhead } from "./read_ahead.ts";
import { posixLookup } from "./resolve.ts";
import { batchRefused, type Lib, load } from "./system.ts";
import { native } from "../native.ts";

const C = P.C;
const MAX_CONTROL = 65536;
const MSG = P.msghdr.fields;
const IOV = P.iovec.fields;
const SOCKADDR_STORAGE = 128;
const AT = { msg: 0, iov: 56, name: 72, scratch: 200, end: 264 } as const;
// The fields every receive writes or reads, as plain numbers: the optimizing compiler folds them.
const O_NAMELEN = AT.msg + MSG.msg_namelen.offset;
const O_CONTROLLEN = AT.msg + MSG.msg_controllen.offset;
const O_FLAGS = AT.msg + MSG.msg_flags.offset;
const O_IOV_BASE = AT.iov + IOV.iov_base.offset;
const O_IOV_LEN = AT.iov + IOV.iov_len.offset;
/** The most segments one UDP_SEGMENT send carries (the kernel's UDP_MAX_SEGMENTS of older kernels). */
const MAX_SEGMENTS = 64;

class PosixSocket implements BackendSocket {
  readonly addr: NetAddr;
  readonly families: { readonly ipv4: boolean; readonly ipv6: boolean };
  readonly defaultControlSize: number;
  readonly requiredControlSize: number;
  readonly maxControlSize = MAX_CONTROL;
  readonly capabilities: Capabilities;
  readonly l: Lib;
  readonly fd: number;
  readonly handle: bigint;
  readonly ipv6: boolean;
  readonly udp: boolean;
  readonly raw: boolean;
  readonly optionDialect: OptionDialect = optionDialect(P.os);
  private readonly arena = new ArrayBuffer(AT.end);
  private readonly u8 = new Uint8Array(this.arena);
  private readonly dv = new DataView(this.arena);
  /** The msghdr as recvmsg takes it at the least cost (see Native.pin); `arena` keeps its memory. */
  private readonly msgArg = native.pin(this.u8.subarray(AT.msg, AT.msg + P.msghdr.size));
  private readonly nameDv = new DataView(this.arena, AT.name, SOCKADDR_STORAGE);
  private readonly scratch4 = this.u8.subarray(AT.scratch, AT.scratch + 4);
  private readonly mem: ReceiveMemory;
  private readonly remote = new RemoteAddrCache(this.arena, AT.name, P.families);
  readonly archive = new ControlArchive();
  private readonly decoder = new AncillaryDecoder(P.dialect);
  /** The datagram being turned into a message, rewritten by each receive. */
  readonly received: Received = received();
  /** What iov_base points at now (set before each call as needed). */
  private iovBase = -1;
  /** recvmmsg's memory, made on the first batch. */
  private batch: BatchReceiver | null = null;
  /** An error a batch met after it had already received datagrams: thrown by the next receive. */
  deferred: SocketError | null = null;
  /** Datagrams taken ahead of the receives (Linux, unless `readAhead` < 2). */
  private ahead: ReadAhead | null;
  private readonly sender: PosixSender;
  /** Many datagrams in one recvmmsg call: set where the system has it (Linux). */
  readonly tryReceiveMany?: (request: BatchRequest, out: ReceivedMessage[], from: number) => number;
  /** Many datagrams in one sendmmsg call: set where the system has it (Linux). */
  readonly sendMany?: (
    items: readonly Transmit[],
    from: number,
  ) => { sent: number; error: SocketError | null; full: boolean };
  private closed = false;
  private onReadable: (() => void) | null = null;
  /** In the poll set while a receive waits. */
  private readonly readWatch: PollWatch;
  private watching = false;
  /** In the poll set while a send waits for room (or a pause after ENOBUFS). */
  private readonly writeWatch: PollWatch;
  private onWritable: ((error: unknown) => void) | null = null;
  private pause: ReturnType<typeof setTimeout> | null = null;
  /** The error queue (`receiveErrors`, Linux), or null. */
  readonly errorQueue: ErrorQueue | null;

  constructor(l: Lib, options: OpenOptions, existing?: { fd: number; ipv6: boolean }) {
    this.l = l;
    this.ipv6 = existing ? existing.ipv6 : parseIPv4(options.hostname) === null;
    this.udp = options.protocol === UDP;
    const nameLen = existing
      ? 0
      : encodeSockaddr(this.nameDv, 0, { hostname: options.hostname, port: options.port }, P.families);
    const { c } = l;
    let fd = existing?.fd ?? -1;
    let raw = false;
    if (!existing) {
      let failure: SocketError | null = null;
      for (const kind of socketKinds(options.protocol, options.raw, true)) {
        fd = c.socket(
          this.ipv6 ? C.AF_INET6 : C.AF_INET,
          (kind ? C.SOCK_RAW : C.SOCK_DGRAM) | P.socketFlags,
          this.udp ? 0 : options.protocol,
        );
        if (fd >= 0) {
          raw = kind;
          break;
        }
        // Not allowed (no CAP_NET_RAW, or outside ping_group_range): the next kind, if any.
        failure = errnoFailure(l.errno(), "socket");
        if (failure.code !== "EACCES" && failure.code !== "EPERM") break;
      }
      if (fd < 0) throw failure!;
    }
    this.raw = raw;
    this.fd = fd;
    this.handle = BigInt(fd);
    this.readWatch = { fd, events: POLLIN, notify: (e) => this.readable(e) };
    this.writeWatch = { fd, events: POLLOUT, notify: (e) => this.writable(e) };
    try {
      const setter = {
        set: (level: number, name: number, value: number, label: string) => this.setOption(level, name, value, label),
        trySet: (level: number, name: number, value: number) => this.trySetOption(level, name, value),
      };
      const configured = configure(setter, options, this.ipv6, existing !== undefined, P.open, P.options);
      this.families = configured.families;
      this.defaultControlSize = configured.defaultControl;
      this.requiredControlSize = configured.required;
      if (!existing && c.bind(fd, this.u8.subarray(AT.name, AT.name + nameLen), nameLen) !== 0) {
        throw errnoFailure(l.errno(), "bind");
      }
      this.addr = this.boundAddr();
    } catch (e) {
      if (!existing) c.close(fd);
      throw e;
    }
    l.open++;
    // Closed by the runtime if this thread is terminated (Node: cleanup hooks), waiting or not.
    native.closeWithThread?.(fd, true);
    const readAhead = l.readAhead !== null && !l.refused.receive && options.readAhead > 1;
    this.ahead = readAhead ? new ReadAhead(l.readAhead!, options.readAhead) : null;
    this.ahead?.want(this.defaultControlSize);
    const offload = P.os === "linux" && this.udp;
    this.capabilities = {
      segmentOffload: offload,
      maxSegments: offload ? MAX_SEGMENTS : 0,
      readAhead,
      batchReceive: l.recvmmsg !== null && !l.refused.receive,
      batchSend: l.sendmmsg !== null && !l.refused.send,
      perDatagramDscp: true,
    };
    pointTo(this.dv, AT.msg + MSG.msg_name.offset, this.u8.subarray(AT.name));
    pointTo(this.dv, AT.msg + MSG.msg_iov.offset, this.u8.subarray(AT.iov));
    setSized(this.dv, AT.msg + MSG.msg_iovlen.offset, MSG.msg_iovlen.size, 1);
    this.mem = receiveMemory(this.dv, AT.msg + MSG.msg_control.offset);
    this.sender = new PosixSender(this);
    this.errorQueue = options.receiveErrors && P.options.some((r) => r.flag === "receiveErrors")
      ? new ErrorQueue(l, fd)
      : null;
    const q = this.errorQueue;
    if (l.recvmmsg) {
      this.tryReceiveMany = q === null
        ? this.receiveMany
        : (r, out, from) => q.again(() => this.receiveMany(r, out, from), null, undefined, false);
    }
    if (l.sendmmsg) this.sendMany = this.sendBatch;
  }

  get targetAddress(): TargetAddress {
    return this.mem.targetAddress;
  }

  setRawOption(level: number, name: number, value: Uint8Array, label: string): void {
    if (this.closed) throw this.closedError("setsockopt");
    const bytes = new Uint8Array(new ArrayBuffer(Math.max(128, value.length)));
    bytes.set(value);
    if (this.l.c.setsockopt(this.fd, level, name, bytes.subarray(0, value.length), value.length) !== 0) {
      throw errnoFailure(this.l.errno(), `setsockopt(${label})`);
    }
  }

  private setOption(level: number, name: number, value: number, label: string): void {
    if (!this.trySetOption(level, name, value)) throw errnoFailure(this.l.errno(), `setsockopt(${label})`);
  }

  getRawOption(level: number, name: number, label: string): number {
    if (this.closed) throw this.closedError("getsockopt");
    // Not the socket's scratch (4 bytes): the value and its length, in memory larger than 64 bytes.
    const bytes = new Uint8Array(new ArrayBuffer(128));
    const dv = new DataView(bytes.buffer);
    dv.setUint32(64, 4, true);
    if (this.l.c.getsockopt(this.fd, level, name, bytes.subarray(0, 4), bytes.subarray(64, 68)) !== 0) {
      throw errnoFailure(this.l.errno(), `getsockopt(${label})`);
    }
    return dv.getInt32(0, true);
  }

  localAddr(): NetAddr {
    if (this.closed) throw this.closedError("getsockname");
    return this.boundAddr();
  }

  ref(on: boolean): void {
    if (!this.l.pollSetMade()) {
      this.readWatch.hold = this.writeWatch.hold = on;
      this.errorQueue?.setHold(on);
      return;
    }
    this.l.pollSet().setHold(this.readWatch, on);
    this.l.pollSet().setHold(this.writeWatch, on);
    this.errorQueue?.setHold(on);
  }

  private trySetOption(level: number, name: number, value: number): boolean {
    this.dv.setInt32(AT.scratch, value, true);
    return this.l.c.setsockopt(this.fd, level, name, this.scratch4, 4) === 0;
  }

  private boundAddr(): NetAddr {
    this.dv.setUint32(AT.scratch, SOCKADDR_STORAGE, true);
    if (this.l.c.getsockname(this.fd, this.u8.subarray(AT.name, AT.name + SOCKADDR_STORAGE), this.scratch4) !== 0) {
      throw errnoFailure(this.l.errno(), "getsockname");
    }
    return boundAddress(decodeSockaddr(this.nameDv, 0, this.dv.getUint32(AT.scratch, true), P.families), this.ipv6);
  }

  boundPort(): number {
    return this.boundAddr().port;
  }

  tryReceive(req: ReceiveRequest): DatagramMessage | null {
    // With the error queue on, an ICMP error also fails the next receive once (the socket's pending
    // error, even with datagrams queued): its records are kept and the receive made again.
    const q = this.errorQueue;
    return q === null ? this.receiveNow(req) : q.again(this.receiveNow, this, req, false);
  }

  private receiveNow(req: ReceiveRequest): DatagramMessage | null {
    if (this.closed) throw new SocketClosedError("recvmsg", "EBADF", 9);
    const mem = this.mem;
    growControl(mem, req.controlSize);
    const target = req.target;
    if (target) checkAttached(target);
    const ahead = this.ahead;
    if (ahead !== null) {
      // What was read ahead comes first, then an error met meanwhile; a peek never reads ahead.
      if (ahead.queued > 0) return ahead.take(req, mem.control, this.archive, this.received);
      ahead.want(req.controlSize);
      if (!req.peek && this.deferred === null) {
        const n = this.fill(ahead);
        if (n >= 0) return n > 0 ? ahead.take(req, mem.control, this.archive, this.received) : null;
      }
    }
    return this.receiveOne(req);
  }

  /** One read-ahead call: the datagrams taken, or -1 for none (recvmmsg refused: no more read-ahead; or MAX_HELD). */
  private fill(ahead: ReadAhead): number {
    try {
      return ahead.fill(this.fd);
    } catch (e) {
      if (!batchRefused(this.l, "receive", e as SocketError)) throw e;
      // Closed, not just dropped: the last socket that reads ahead gives the arena pool back.
      ahead.close();
      this.ahead = null;
      this.capabilities.readAhead = false;
      this.capabilities.batchReceive = false;
      return -1;
    }
  }

  /** One recvmsg, after what was read ahead. */
  receiveOne(req: ReceiveRequest): ReceivedMessage | null {
    if (this.deferred) this.throwDeferred();
    const { dv, mem } = this;
    const target = req.target;
    growControl(mem, req.controlSize);
    chooseTarget(mem, target);
    if (mem.base !== this.iovBase) {
      setPointer(dv, O_IOV_BASE, mem.base);
      this.iovBase = mem.base;
    }
    const capacity = mem.capacity;
    dv.setUint32(O_NAMELEN, SOCKADDR_STORAGE, true);
    dv.setUint32(O_CONTROLLEN, req.controlSize, true);
    dv.setInt32(O_FLAGS, 0, true);
    dv.setUint32(O_IOV_LEN, capacity, true);
    const n = this.l.c.recvmsg(this.fd, this.msgArg, C.MSG_DONTWAIT | (req.peek ? C.MSG_PEEK : 0));
    if (n < 0) {
      const errno = this.l.errno();
      if (errno === P.EAGAIN) return null;
      throw errnoFailure(errno, "recvmsg");
    }
    const flags = dv.getInt32(O_FLAGS, true);
    const controlLen = Math.min(dv.getUint32(O_CONTROLLEN, true), req.controlSize);
    const r = this.received;
    r.anc = this.decoder.decode(mem.control, controlLen);
    r.remote = this.remote.get(dv.getUint32(O_NAMELEN, true));
    r.remoteIsIPv6 = this.remote.lastIsIPv6;
    const bytes = n < capacity ? n : capacity;
    r.data = messageData(target, 0, bytes, mem.direct, mem.data, 0, req.reuse, null, r.targets, r.views);
    r.reuse = req.reuse;
    r.flags = flags;
    r.truncated = (flags & C.MSG_TRUNC) !== 0;
    r.controlTruncated = (flags & C.MSG_CTRUNC) !== 0;
    // Linux has no MSG_BCAST / MSG_MCAST (r.broadcast, r.multicast stay false); localAddr tells.
    r.control = mem.control;
    r.controlLen = controlLen;
    r.controlFrom = 0;
    return buildMessage(r, this.archive, P.dialect.cmsg);
  }

  private throwDeferred(): never {
    const e = this.deferred!;
    this.deferred = null;
    throw e;
  }

  /**
   * Datagrams read ahead first, each into its segment; then recvmmsg into up to 64 slots at a time,
   * until `request.count` messages or the queue is empty (./batch_receive.ts).
   */
  private receiveMany(req: BatchRequest, out: ReceivedMessage[], from: number): number {
    if (this.closed) throw this.closedError();
    const ahead = this.ahead;
    const batch = this.batch ??= new BatchReceiver(this);
    if (ahead === null || ahead.queued === 0) {
      if (this.deferred) this.throwDeferred();
      return batch.receive(req, out, from);
    }
    if (req.buffer) checkAttached(req.buffer);
    growControl(this.mem, req.controlSize);
    const one = {
      target: null as Uint8Array | null,
      peek: false,
      controlSize: req.controlSize,
      reuse: null as ReceivedMessage | null,
    };
    let got = 0;
    for (let index = from; index < req.count && ahead.queued > 0; index++, got++) {
      one.target = req.buffer === null ? null : req.buffer.subarray(
        Math.min(index * req.segment, req.buffer.length),
        Math.min((index + 1) * req.segment, req.buffer.length),
      );
      one.reuse = out[index] ?? null;
      out[index] = ahead.take(one, this.mem.control, this.archive, this.received);
    }
    if (from + got === req.count) return got;
    try {
      if (this.deferred) this.throwDeferred();
      return got + batch.receive(req, out, from + got);
    } catch (e) {
      // Datagrams are in hand: deliver them, and the error with the next receive.
      this.deferred = e as SocketError;
      return got;
    }
  }

  whenReadable(onReadable: () => void): void {
    this.onReadable = onReadable;
    if (this.closed) {
      queueMicrotask(() => this.fire());
      return;
    }
    if (this.watching) return;
    this.watching = true;
    this.l.pollSet().add(this.readWatch);
  }

  /** The poll set saw the fd readable, or failed for every socket (then the next receive throws). */
  private readable(error: SocketError | null): void {
    this.watching = false;
    if (error && !this.deferred) this.deferred = error;
    this.fire();
  }

  private fire(): void {
    const f = this.onReadable;
    this.onReadable = null;
    f?.();
  }

  keepAlive(on: boolean): void {
    // A running poll keeps the process alive. When no receive waits any more (all aborted), leave the
    // set, so that an idle socket does not keep a program from exiting, as on Windows.
    if (!on) {
      // Nothing to tell: and an idle socket holds no reference to its connection (see connection/conn.ts's `dropped`).
      this.onReadable = null;
      if (this.watching) {
        this.watching = false;
        this.l.pollSet().remove(this.readWatch);
      }
    }
  }

  whenWritable(onWritable: (error: unknown) => void): void {
    if (this.closed) {
      queueMicrotask(() => onWritable(this.closedError("sendmsg")));
      return;
    }
    if (this.onWritable) return;
    this.onWritable = onWritable;
    const pauses = this.sender.noBuffers;
    if (pauses > 0) {
      // ENOBUFS / ENOMEM: the socket may well poll writable; pause instead, longer each time.
      this.pause = setTimeout(() => {
        this.pause = null;
        this.writable(null);
      }, Math.min(2 ** (pauses - 1), 128));
      return;
    }
    this.l.pollSet().add(this.writeWatch);
  }

  private writable(error: SocketError | null): void {
    const f = this.onWritable;
    this.onWritable = null;
    f?.(error);
  }

  stopWritable(): void {
    if (!this.onWritable) return;
    this.onWritable = null;
    if (this.pause !== null) {
      clearTimeout(this.pause);
      this.pause = null;
    } else this.l.pollSet().remove(this.writeWatch);
  }

  send(t: Transmit): number | null {
    if (this.closed) throw this.closedError("sendmsg");
    const q = this.errorQueue;
    // The pending error of a queued ICMP error fails one send (nothing went): once more.
    return q === null ? this.sender.send(t) : q.again(this.sender.send, this.sender, t, true);
  }

  private sendBatch(
    items: readonly Transmit[],
    from: number,
  ): { sent: number; error: SocketError | null; full: boolean } {
    if (this.closed) throw this.closedError("sendmmsg");
    let r = this.sender.sendMany(items, from);
    if (r.error && this.errorQueue?.absorbs(r.error, true)) {
      // The pending error of a queued ICMP error stopped the batch: the rest once more.
      const more = this.sender.sendMany(items, from + r.sent);
      r = { sent: r.sent + more.sent, error: more.error, full: more.full };
    }
    if (this.l.refused.send) this.capabilities.batchSend = false;
    return r;
  }

  connect(to: { hostname: string; port: number } | null): void {
    if (this.closed) throw this.closedError("connect");
    this.sender.connect(to);
  }

  closedError(syscall = "recvmsg"): SocketClosedError {
    return new SocketClosedError(syscall, "EBADF", P.EBADF);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ahead?.close();
    if (this.watching) {
      this.watching = false;
      this.l.pollSet().remove(this.readWatch);
    }
    this.stopWritable();
    this.errorQueue?.close();
    // Closed now, or after a running poll that watches it has returned.
    if (this.l.pollSetMade()) this.l.pollSet().closeFd(this.fd);
    else {
      native.closeWithThread?.(this.fd, false);
      this.l.c.close(this.fd);
    }
    this.l.open--;
    this.fire();
  }
}

/** The POSIX backend (Linux; macOS through its own tables, untested here). */
export const posix: Backend = {
  name: "posix",
  errorQueue: P.options.some((r) => r.flag === "receiveErrors"),
  handles: { max: 2n ** 31n - 1n, description: "a file descriptor from 0 to 2^31-1" },
  open(options) {
    return new PosixSocket(load(), options);
  },
  wrap(handle, ipv6, options) {
    return new PosixSocket(load(), options, { fd: Number(handle), ipv6 });
  },
  lookup: posixLookup,
};

/**
 * For tests and diagnostics: sockets this backend holds open (each with its fd and eventfd).
 *
 * @example
 * ```ts
 * import { posixStats } from "./posix.ts";
 * console.log(posixStats().open); // 0
 * ```
 */
export function posixStats(): { open: number; batchAreas: number; waiting: number } {
  const l = load();
  return { open: l.open, batchAreas: batchCounts.areas, waiting: l.pollSetMade() ? l.pollSet().size : 0 };
}
