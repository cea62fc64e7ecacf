/**
 * The POSIX backend (Linux with glibc; macOS from the same code through its own tables, untested here):
 * libc `recvmsg`.
 *
 * A receive is one `recvmsg(MSG_DONTWAIT)` into memory the socket owns; it returns a datagram or
 * EAGAIN. To wait, the socket joins the process's one poll set (ffi/posix/poll_set.ts), which runs a single
 * poll(2) for every waiting socket off the JS thread. `close()` leaves the set and closes the fd only
 * after a running poll that watches it has returned, so that no poll can ever watch a reused fd
 * number. The kernel writes only during `recvmsg`, into memory that never moves.
 *
 * @module
 */
import { amendSocketError, SocketClosedError, SocketError } from "../../errors.ts";
import type { DatagramMessage, NetAddr, ReceivedMessage } from "../../message.ts";
import { AncillaryDecoder, type AncillaryDialect, DARWIN_DIALECT, LINUX_DIALECT } from "../../structs/ancillary.ts";
import { DARWIN as D, DARWIN_ERRNO, DRW } from "../../structs/darwin.ts";
import { linuxErrno } from "../../structs/errno.ts";
import type { Layout } from "../../structs/layout.ts";
import type { WinsockErrorInfo } from "../../structs/winsock_errors.ts";
import { parseIPv4 } from "../../structs/ip.ts";
import type { SendSource } from "../../structs/send_control.ts";
import { LINUX as L, LNX } from "../../structs/linux.ts";
import { decodeSockaddr, encodeSockaddr, type Families } from "../../structs/sockaddr.ts";
import {
  type Backend,
  type BackendSocket,
  type BatchRequest,
  destination,
  type OpenOptions,
  type ReceiveRequest,
  socketKinds,
  UDP,
} from "../common/backend.ts";
import { LIBC, LIBC_DARWIN, LIBC_LINUX, libcPath, POLL } from "../tables/libc.ts";
import { POLLIN, POLLOUT, PollSet, type PollWatch } from "./poll_set.ts";
import { applyOptions, DARWIN_OPTIONS, LINUX_OPTIONS, type OptionRow } from "../tables/socket_options.ts";
import { currentControl, type OutgoingItem, SendBatch, type SendMemo, sendMemo, writeControlOnce } from "./sendmmsg.ts";
import { ControlArchive } from "../common/control_archive.ts";
import { buildMessage, messageData, type Received } from "../common/message_builder.ts";
import { checkAttached, pointTo, setPointer, TargetAddress } from "../common/receive_target.ts";
import { native } from "../native.ts";
import { RemoteAddrCache } from "../common/remote_addr.ts";
import { ReadAhead, type ReadAheadSystem } from "./read_ahead.ts";
import { pathMtu } from "./path_mtu.ts";
import type { Bound } from "../types.ts";

/** The memory of recvmmsg calls: one per socket, made on its first batch. */
interface BatchMemory {
  readonly dv: DataView;
  /** The whole fixed arena; the mmsghdr vector starts it. */
  readonly vec: Uint8Array;
  readonly remote: RemoteAddrCache;
  readonly decoder: AncillaryDecoder;
  control: Uint8Array;
  slotControl: number;
  copy: Uint8Array;
  copyAddress: number;
}

/** What differs between the POSIX systems this backend serves. */
interface Platform {
  readonly os: "linux" | "darwin";
  readonly C: {
    readonly AF_INET: number;
    readonly AF_INET6: number;
    readonly SOCK_DGRAM: number;
    readonly SOCK_RAW: number;
    readonly IPPROTO_IP: number;
    readonly IPPROTO_IPV6: number;
    readonly IPPROTO_UDP: number;
    readonly SOL_SOCKET: number;
    readonly SO_REUSEADDR: number;
    readonly SO_REUSEPORT: number;
    readonly SO_BROADCAST: number;
    readonly SO_RCVBUF: number;
    readonly IP_PKTINFO: number;
    readonly IP_RECVTTL: number;
    readonly IPV6_V6ONLY: number;
    readonly IPV6_RECVPKTINFO: number;
    readonly IPV6_RECVHOPLIMIT: number;
    readonly MSG_PEEK: number;
    readonly MSG_TRUNC: number;
    readonly MSG_CTRUNC: number;
    readonly MSG_DONTWAIT: number;
  };
  /** Flags added to socket(2)'s type: non-blocking and close-on-exec where the system has them. */
  readonly socketFlags: number;
  /** The first two bytes of a sockaddr as one little-endian u16 (Darwin: sin_len, then the family). */
  readonly families: Families;
  readonly dialect: AncillaryDialect;
  readonly msghdr: Layout;
  readonly iovec: Layout;
  readonly pktinfoSize: number;
  readonly pktinfo6Size: number;
  readonly sendPlatform: "linux" | "darwin";
  readonly errno: (code: number) => WinsockErrorInfo;
  readonly EAGAIN: number;
  readonly EBADF: number;
  /** The receive-side options (ffi/tables/socket_options.ts). */
  readonly options: readonly OptionRow[];
}

const LINUX_PLATFORM: Platform = {
  os: "linux",
  C: L,
  socketFlags: L.SOCK_NONBLOCK | L.SOCK_CLOEXEC,
  families: { inet: L.AF_INET, inet6: L.AF_INET6 },
  dialect: LINUX_DIALECT,
  msghdr: LNX.msghdr,
  iovec: LNX.iovec,
  pktinfoSize: LNX.in_pktinfo.size,
  pktinfo6Size: LNX.in6_pktinfo.size,
  sendPlatform: "linux",
  errno: linuxErrno,
  EAGAIN: 11,
  EBADF: 9,
  options: LINUX_OPTIONS,
};

const DARWIN_PLATFORM: Platform = {
  os: "darwin",
  C: { ...D, IP_RECVTTL: D.IP_RECVTTL },
  // No SOCK_NONBLOCK on Darwin: every call passes MSG_DONTWAIT instead (see LIBC_DARWIN on fcntl).
  socketFlags: 0,
  families: { inet: (D.AF_INET << 8) | DRW.sockaddr_in.size, inet6: (D.AF_INET6 << 8) | DRW.sockaddr_in6.size },
  dialect: DARWIN_DIALECT,
  msghdr: DRW.msghdr,
  iovec: DRW.iovec,
  pktinfoSize: DRW.in_pktinfo.size,
  pktinfo6Size: DRW.in6_pktinfo.size,
  sendPlatform: "darwin",
  errno: (code) => DARWIN_ERRNO.get(code) ?? linuxErrno(-code),
  EAGAIN: 35,
  EBADF: 9,
  options: DARWIN_OPTIONS,
};

const P: Platform = native.os === "darwin" ? DARWIN_PLATFORM : LINUX_PLATFORM;
const C = P.C;
const FAMILIES = P.families;
const DATA_CAPACITY = 65536;
const MAX_CONTROL = 65536;
const MSG = P.msghdr.fields;
const IOV = P.iovec.fields;
const SOCKADDR_STORAGE = 128;
const SOCKADDR_IN6 = 28;

/**
 * Writes an unsigned field of 4 or 8 bytes (size_t on Linux, int / socklen_t on Darwin). Values here
 * are below 2^32, so an 8-byte field is two 32-bit halves: no BigInt made on every receive.
 */
function setSized(dv: DataView, at: number, size: number, value: number): void {
  dv.setUint32(at, value, true);
  if (size === 8) dv.setUint32(at + 4, 0, true);
}
const AT = { msg: 0, iov: 56, name: 72, scratch: 200, end: 264 } as const;
// The fields every receive writes or reads, as plain numbers: the optimizing compiler folds them.
const O_NAMELEN = AT.msg + MSG.msg_namelen.offset;
const O_CONTROLLEN = AT.msg + MSG.msg_controllen.offset;
const O_FLAGS = AT.msg + MSG.msg_flags.offset;
const O_IOV_BASE = AT.iov + IOV.iov_base.offset;
const O_IOV_LEN = AT.iov + IOV.iov_len.offset;

/**
 * The fixed part of the batch arena: up to 64 recvmmsg slots, each an mmsghdr, an iovec and a name
 * (32 bytes hold any sockaddr_in6). Control and data areas are separate, sized to the request.
 */
const MMSG = LNX.mmsghdr;
const SLOTS = 64;
const NAME_SLOT = 32;
const BATCH = {
  vec: 0,
  iov: SLOTS * MMSG.size,
  name: SLOTS * (MMSG.size + LNX.iovec.size),
  end: SLOTS * (MMSG.size + LNX.iovec.size + NAME_SLOT),
} as const;
/** The most memory a batch's own data or control area takes; a larger request takes fewer slots per call. */
const BATCH_AREA = 1 << 20;
const MMSG_LEN = MMSG.fields.msg_len.offset;
/** The batch's control and data areas before their first use: no memory, so never given to the system. */
const NO_AREA = new Uint8Array(new ArrayBuffer(0));
const SEND = { iov: 56, name: 72, control: 104, end: 232 } as const;

interface Lib {
  c: Bound<typeof LIBC>;
  errno: () => number;
  /** The process's poll set, made with the first socket that waits. */
  pollSet(): PollSet;
  pollSetMade(): boolean;
  /** recvmmsg(2), where the system has it (Linux). */
  recvmmsg: ((fd: number, vec: Uint8Array, vlen: number, flags: number, timeout: number) => number) | null;
  /** sendmmsg(2), where the system has it (Linux). */
  sendmmsg: ((fd: number, vec: Uint8Array, vlen: number, flags: number) => number) | null;
  /** What read-ahead needs, where there is recvmmsg. */
  readAhead: ReadAheadSystem | null;
  open: number;
}
let lib: Lib | undefined;
function load(): Lib {
  if (lib) return lib;
  const path = libcPath(P.os);
  const c = native.open(path, LIBC);
  const now = native.open(path, POLL);
  let errnoAddress: bigint;
  let wakeChannel: () => [number, number];
  let recvmmsg: Lib["recvmmsg"] = null;
  let sendmmsg: Lib["sendmmsg"] = null;
  if (P.os === "darwin") {
    const d = native.open(path, LIBC_DARWIN);
    errnoAddress = d.__error();
    const ends = new Uint8Array(new ArrayBuffer(72)).subarray(0, 8);
    wakeChannel = () => {
      if (d.pipe(ends) !== 0) throw errnoFailure(lib!.errno(), "pipe");
      const v = new DataView(ends.buffer);
      // Both ends non-blocking would need fcntl (variadic, see LIBC_DARWIN); reads stop at a short count.
      return [v.getInt32(0, true), v.getInt32(4, true)];
    };
  } else {
    const x = native.open(path, LIBC_LINUX);
    errnoAddress = x.__errno_location();
    recvmmsg = x.recvmmsg;
    sendmmsg = x.sendmmsg;
    wakeChannel = () => {
      const fd = x.eventfd(0, L.EFD_CLOEXEC | L.EFD_NONBLOCK);
      if (fd < 0) throw errnoFailure(lib!.errno(), "eventfd");
      return [fd, fd];
    };
  }
  // errno lives at a fixed address per thread; every call here is made on the JS thread.
  const errno = native.int32At(errnoAddress);
  let set: PollSet | undefined;
  const pollSet = () => {
    if (set) return set;
    // Made with the first wait, not here: a wait that meets EMFILE fails that wait, never close().
    let ends: [number, number] | undefined;
    const channel = () => ends ??= wakeChannel();
    const scratch = new Uint8Array(new ArrayBuffer(72));
    new DataView(scratch.buffer).setUint32(64, 1, true);
    const one = scratch.subarray(64, 72);
    const sink = scratch.subarray(0, 64);
    return set = new PollSet({
      pollNow(fds, n) {
        const result = now.poll(fds, n, 0);
        return { result, errno: result < 0 ? errno() : 0 };
      },
      get control() {
        return channel();
      },
      signal: () => void c.write(channel()[1], one, 8),
      // eventfd: one read resets it; a pipe: read until empty (both are non-blocking).
      drain: () => {
        while (c.read(channel()[0], sink, 64) === 64 && P.os === "darwin");
      },
      close: (fd) => void c.close(fd),
      failure: errnoFailure,
    });
  };
  const readAhead: ReadAheadSystem | null = recvmmsg === null ? null : {
    recvmmsg,
    errno,
    failure: errnoFailure,
    EAGAIN: P.EAGAIN,
    MSG_DONTWAIT: C.MSG_DONTWAIT,
    MSG_TRUNC: C.MSG_TRUNC,
    MSG_CTRUNC: C.MSG_CTRUNC,
    families: FAMILIES,
    dialect: P.dialect,
  };
  lib = { c, errno, pollSet, pollSetMade: () => set !== undefined, recvmmsg, sendmmsg, readAhead, open: 0 };
  return lib;
}

/** The error for an errno value set by `syscall`. */
export function errnoFailure(errno: number, syscall: string): SocketError {
  const e = P.errno(errno);
  return new SocketError(e.name, e.code, syscall, e.message);
}

class PosixSocket implements BackendSocket {
  readonly addr: NetAddr;
  readonly families: { readonly ipv4: boolean; readonly ipv6: boolean };
  readonly defaultControlSize: number;
  readonly requiredControlSize: number;
  readonly maxControlSize = MAX_CONTROL;
  private readonly l: Lib;
  private readonly fd: number;
  readonly handle: bigint;
  private readonly ipv6: boolean;
  private readonly arena = new ArrayBuffer(AT.end);
  private readonly u8 = new Uint8Array(this.arena);
  private readonly dv = new DataView(this.arena);
  private readonly msgView = this.u8.subarray(AT.msg, AT.msg + P.msghdr.size);
  private readonly nameDv = new DataView(this.arena, AT.name, SOCKADDR_STORAGE);
  private readonly scratch4 = this.u8.subarray(AT.scratch, AT.scratch + 4);
  private readonly data = new Uint8Array(new ArrayBuffer(DATA_CAPACITY));
  private control = new Uint8Array(new ArrayBuffer(512));
  private readonly remote = new RemoteAddrCache(this.arena, AT.name, FAMILIES);
  private readonly archive = new ControlArchive();
  private readonly decoder = new AncillaryDecoder(P.dialect);
  private readonly targetAddress = new TargetAddress();
  /** The flags of the datagram being turned into a message, rewritten by each receive. */
  private readonly received: Received = {
    flags: 0,
    truncated: false,
    controlTruncated: false,
    broadcast: false,
    multicast: false,
  };
  /** The socket's own data buffer, and what iov_base points at now (set before each call as needed). */
  private dataAddress = 0;
  private iovBase = -1;
  /** recvmmsg's memory, made on the first batch. */
  private batch: BatchMemory | null = null;
  /** An error a batch met after it had already received datagrams: thrown by the next receive. */
  private deferred: SocketError | null = null;
  segmentOffload: boolean;
  readonly raw: boolean;
  /** Datagrams taken ahead of the receives (Linux, unless `readAhead` < 2). */
  private readonly ahead: ReadAhead | null;
  /** Many datagrams in one recvmmsg call: set where the system has it (Linux). */
  readonly tryReceiveMany?: (request: BatchRequest, out: ReceivedMessage[], from: number) => number;
  private closed = false;
  private onReadable: (() => void) | null = null;
  /** In the poll set while a receive waits. */
  private readonly readWatch: PollWatch;
  private watching = false;
  /** In the poll set while a send waits for room. */
  private readonly writeWatch: PollWatch;
  private onWritable: ((error: unknown) => void) | null = null;

  constructor(l: Lib, options: OpenOptions, existing?: { fd: number; ipv6: boolean }) {
    this.l = l;
    this.ipv6 = existing ? existing.ipv6 : parseIPv4(options.hostname) === null;
    const nameLen = existing
      ? 0
      : encodeSockaddr(this.nameDv, 0, { hostname: options.hostname, port: options.port }, FAMILIES);
    const { c } = l;
    let fd = existing?.fd ?? -1;
    let raw = false;
    if (!existing) {
      let failure: SocketError | null = null;
      for (const kind of socketKinds(options.protocol, options.raw, true)) {
        fd = c.socket(
          this.ipv6 ? C.AF_INET6 : C.AF_INET,
          (kind ? C.SOCK_RAW : C.SOCK_DGRAM) | P.socketFlags,
          options.protocol === UDP ? 0 : options.protocol,
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
    this.segmentOffload = P.os === "linux" && options.protocol === UDP;
    this.fd = fd;
    this.handle = BigInt(fd);
    this.readWatch = { fd, events: POLLIN, notify: (e) => this.readable(e) };
    this.writeWatch = { fd, events: POLLOUT, notify: (e) => this.writable(e) };
    try {
      // Only a UDP socket takes IPV6_V6ONLY once it has a protocol bound (Linux answers EINVAL on raw sockets).
      if (this.ipv6 && !existing && options.protocol === UDP) {
        this.setOption(C.IPPROTO_IPV6, C.IPV6_V6ONLY, options.ipv6Only ? 1 : 0, "IPV6_V6ONLY");
      }
      if (options.reuseAddress) this.setOption(C.SOL_SOCKET, C.SO_REUSEADDR, 1, "SO_REUSEADDR");
      if (options.reusePort) this.setOption(C.SOL_SOCKET, C.SO_REUSEPORT, 1, "SO_REUSEPORT");
      if (options.broadcast) this.setOption(C.SOL_SOCKET, C.SO_BROADCAST, 1, "SO_BROADCAST");
      if (options.receiveBufferSize !== undefined) {
        this.setOption(C.SOL_SOCKET, C.SO_RCVBUF, options.receiveBufferSize, "SO_RCVBUF");
      }
      // A raw ICMPv6 socket carries no IPv4: only a UDP socket on :: is dual-stack.
      const dual = this.ipv6 && !options.ipv6Only && options.protocol === UDP;
      this.families = Object.freeze({ ipv4: !this.ipv6 || dual, ipv6: this.ipv6 });
      const wanted = applyOptions(P.options, options, { ipv4: !this.ipv6 || dual, ipv6: this.ipv6 }, (r) => {
        this.setOption(r.level, r.name, r.value, r.label);
        return true;
      });
      this.defaultControlSize = wanted.defaultControl;
      this.requiredControlSize = wanted.required;
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
    this.ahead = l.readAhead !== null && options.readAhead > 1 ? new ReadAhead(l.readAhead, options.readAhead) : null;
    this.ahead?.want(this.defaultControlSize);
    this.prepare();
    if (l.recvmmsg) this.tryReceiveMany = this.receiveMany;
    if (l.sendmmsg) this.sendMany = this.sendBatch;
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
    this.dv.setInt32(AT.scratch, value, true);
    if (this.l.c.setsockopt(this.fd, level, name, this.scratch4, 4) !== 0) {
      throw errnoFailure(this.l.errno(), `setsockopt(${label})`);
    }
  }

  private boundAddr(): NetAddr {
    this.dv.setUint32(AT.scratch, SOCKADDR_STORAGE, true);
    if (this.l.c.getsockname(this.fd, this.u8.subarray(AT.name, AT.name + SOCKADDR_STORAGE), this.scratch4) !== 0) {
      throw errnoFailure(this.l.errno(), "getsockname");
    }
    const a = decodeSockaddr(this.nameDv, 0, this.dv.getUint32(AT.scratch, true), FAMILIES);
    return Object.freeze({
      transport: "udp",
      hostname: a?.hostname ?? (this.ipv6 ? "::" : "0.0.0.0"),
      port: a?.port ?? 0,
    });
  }

  /** Pointers are written once: the memory they point to is the socket's own and never moves. */
  private prepare(): void {
    pointTo(this.dv, AT.msg + MSG.msg_name.offset, this.u8.subarray(AT.name));
    pointTo(this.dv, AT.msg + MSG.msg_iov.offset, this.u8.subarray(AT.iov));
    setSized(this.dv, AT.msg + MSG.msg_iovlen.offset, MSG.msg_iovlen.size, 1);
    this.dataAddress = native.addressOf(this.data);
    this.pointControl();
  }

  private pointControl(): void {
    pointTo(this.dv, AT.msg + MSG.msg_control.offset, this.control);
  }

  tryReceive(req: ReceiveRequest): DatagramMessage | null {
    if (this.closed) throw new SocketClosedError("recvmsg", "EBADF", 9);
    if (req.controlSize > this.control.length) {
      this.control = new Uint8Array(new ArrayBuffer(Math.max(req.controlSize, 2 * this.control.length)));
      this.pointControl();
    }
    const target = req.target;
    if (target) checkAttached(target);
    const ahead = this.ahead;
    if (ahead !== null) {
      // What was read ahead comes first, then an error met meanwhile; a peek never reads ahead.
      if (ahead.queued > 0) return ahead.take(req, this.control, this.archive, this.received);
      ahead.want(req.controlSize);
      if (!req.peek && this.deferred === null) {
        return ahead.fill(this.fd) > 0 ? ahead.take(req, this.control, this.archive, this.received) : null;
      }
    }
    if (this.deferred) this.throwDeferred();
    const { dv } = this;
    const capacity = target ? Math.min(target.length, DATA_CAPACITY) : DATA_CAPACITY;
    const direct = target ? this.targetAddress.of(target) : 0;
    const base = direct !== 0 ? direct : this.dataAddress;
    if (base !== this.iovBase) {
      setPointer(dv, O_IOV_BASE, base);
      this.iovBase = base;
    }
    dv.setUint32(O_NAMELEN, SOCKADDR_STORAGE, true);
    dv.setUint32(O_CONTROLLEN, req.controlSize, true);
    dv.setInt32(O_FLAGS, 0, true);
    dv.setUint32(O_IOV_LEN, capacity, true);
    const n = this.l.c.recvmsg(this.fd, this.msgView, C.MSG_DONTWAIT | (req.peek ? C.MSG_PEEK : 0));
    if (n < 0) {
      const errno = this.l.errno();
      if (errno === P.EAGAIN) return null;
      throw errnoFailure(errno, "recvmsg");
    }
    const flags = dv.getInt32(O_FLAGS, true);
    const bytes = n < capacity ? n : capacity;
    const controlLen = Math.min(dv.getUint32(O_CONTROLLEN, true), req.controlSize);
    const anc = this.decoder.decode(this.control, controlLen);
    const remote = this.remote.get(dv.getUint32(O_NAMELEN, true));
    const reuse = req.reuse;
    const data = messageData(target, 0, bytes, direct !== 0, this.data, 0, reuse);
    const r = this.received;
    r.flags = flags;
    r.truncated = (flags & C.MSG_TRUNC) !== 0;
    r.controlTruncated = (flags & C.MSG_CTRUNC) !== 0;
    // Linux has no MSG_BCAST / MSG_MCAST (r.broadcast, r.multicast stay false); localAddr tells.
    return buildMessage(
      reuse,
      data,
      remote,
      this.remote.lastIsIPv6,
      anc,
      r,
      this.archive,
      this.control,
      controlLen,
      0,
      P.dialect.cmsg,
    );
  }

  private throwDeferred(): never {
    const e = this.deferred!;
    this.deferred = null;
    throw e;
  }

  /** The batch arena, with a control area of `slotControl` bytes per slot and room for `slots` slots of data. */
  private batchMemory(slotControl: number, slots: number, copySlots: number, segCap: number): BatchMemory {
    let b = this.batch;
    if (!b) {
      const arena = new ArrayBuffer(BATCH.end);
      const u8 = new Uint8Array(arena);
      const dv = new DataView(arena);
      for (let i = 0; i < SLOTS; i++) {
        const m = BATCH.vec + i * MMSG.size;
        pointTo(dv, m + MSG.msg_name.offset, u8.subarray(BATCH.name + i * NAME_SLOT));
        pointTo(dv, m + MSG.msg_iov.offset, u8.subarray(BATCH.iov + i * LNX.iovec.size));
        setSized(dv, m + MSG.msg_iovlen.offset, MSG.msg_iovlen.size, 1);
      }
      b = this.batch = {
        dv,
        vec: u8,
        remote: new RemoteAddrCache(arena, BATCH.name, FAMILIES, SLOTS * NAME_SLOT),
        decoder: new AncillaryDecoder(P.dialect),
        // Empty until a batch needs them; an empty area's address is never taken (see below).
        control: NO_AREA,
        slotControl: -1,
        copy: NO_AREA,
        copyAddress: 0,
      };
    }
    // What one call uses: `slots` slots of `slotControl` bytes (fewer slots when they are large).
    const need = slots * slotControl;
    if (b.slotControl !== slotControl || b.control.length < need) {
      // Changed only between calls: no receive is in progress on this memory.
      if (b.control.length < need) {
        b.control = new Uint8Array(new ArrayBuffer(need));
        batchAreas++;
      }
      const base = b.control.length > 0 ? native.addressOf(b.control) : 0;
      for (let i = 0; i < SLOTS; i++) {
        setPointer(
          b.dv,
          BATCH.vec + i * MMSG.size + MSG.msg_control.offset,
          slotControl * (i + 1) <= b.control.length ? base + i * slotControl : 0,
        );
      }
      b.slotControl = slotControl;
    }
    if (copySlots * segCap > b.copy.length) {
      b.copy = new Uint8Array(new ArrayBuffer(copySlots * segCap));
      batchAreas++;
      b.copyAddress = native.addressOf(b.copy);
    }
    return b;
  }

  /**
   * recvmmsg(MSG_DONTWAIT) into `SLOTS` slots at a time, until `request.count` messages or the queue is
   * empty. Slots point straight into the caller's buffer when its memory cannot move.
   */
  private receiveMany(req: BatchRequest, out: ReceivedMessage[], from: number): number {
    if (this.closed) throw this.closedError();
    const ahead = this.ahead;
    if (ahead === null || ahead.queued === 0) return this.receiveManyNow(req, out, from);
    // Datagrams read ahead go first, each into its segment; then the system's queue.
    if (req.buffer) checkAttached(req.buffer);
    if (req.controlSize > this.control.length) {
      this.control = new Uint8Array(new ArrayBuffer(Math.max(req.controlSize, 2 * this.control.length)));
      this.pointControl();
    }
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
      out[index] = ahead.take(one, this.control, this.archive, this.received);
    }
    if (from + got === req.count) return got;
    try {
      return got + this.receiveManyNow(req, out, from + got);
    } catch (e) {
      // Datagrams are in hand: deliver them, and the error with the next receive.
      this.deferred = e as SocketError;
      return got;
    }
  }

  private receiveManyNow(req: BatchRequest, out: ReceivedMessage[], from: number): number {
    if (this.deferred) this.throwDeferred();
    const target = req.buffer;
    if (target) checkAttached(target);
    const seg = req.segment;
    const segCap = Math.min(seg, DATA_CAPACITY);
    const direct = target !== null && target.length >= req.count * seg ? this.targetAddress.of(target) : 0;
    const slotControl = (req.controlSize + 7) & ~7;
    // Slots per call: at most 64, and no more than 1 MiB of control (or of our own data, when copying).
    let slots = Math.min(SLOTS, slotControl > 0 ? Math.max(1, Math.floor(2 * BATCH_AREA / slotControl)) : SLOTS);
    if (direct === 0) slots = Math.min(slots, Math.max(1, Math.floor(BATCH_AREA / segCap)));
    const b = this.batchMemory(slotControl, slots, direct === 0 ? slots : 0, segCap);
    const { dv } = b;
    const want = req.count - from;
    let got = 0;
    while (got < want) {
      const k = Math.min(want - got, slots);
      for (let i = 0; i < k; i++) {
        const index = from + got + i;
        const capacity = target ? Math.max(0, Math.min(segCap, target.length - index * seg)) : segCap;
        const iov = BATCH.iov + i * LNX.iovec.size;
        setPointer(dv, iov + IOV.iov_base.offset, direct !== 0 ? direct + index * seg : b.copyAddress + i * segCap);
        dv.setUint32(iov + IOV.iov_len.offset, capacity, true);
        const m = BATCH.vec + i * MMSG.size;
        dv.setUint32(m + MSG.msg_namelen.offset, NAME_SLOT, true);
        dv.setUint32(m + MSG.msg_controllen.offset, req.controlSize, true);
      }
      const n = this.l.recvmmsg!(this.fd, b.vec, k, C.MSG_DONTWAIT, 0);
      if (n < 0) {
        const errno = this.l.errno();
        if (errno === P.EAGAIN) break;
        const error = errnoFailure(errno, "recvmmsg");
        if (got === 0) throw error;
        // Datagrams are in hand: deliver them, and the error with the next receive.
        this.deferred = error;
        break;
      }
      for (let i = 0; i < n; i++) {
        const index = from + got + i;
        out[index] = this.batchMessage(b, req, i, index, direct, segCap, out[index] ?? null);
      }
      got += n;
      if (n < k) break;
    }
    return got;
  }

  /** The message in slot `i` of the last recvmmsg: segment `index` of the caller's buffer. */
  private batchMessage(
    b: BatchMemory,
    req: BatchRequest,
    i: number,
    index: number,
    direct: number,
    segCap: number,
    reuse: ReceivedMessage | null,
  ): ReceivedMessage {
    const { dv } = b;
    const m = BATCH.vec + i * MMSG.size;
    const target = req.buffer;
    const capacity = dv.getUint32(BATCH.iov + i * LNX.iovec.size + IOV.iov_len.offset, true);
    const n = dv.getUint32(m + MMSG_LEN, true);
    const bytes = n < capacity ? n : capacity;
    const flags = dv.getInt32(m + MSG.msg_flags.offset, true);
    const controlLen = Math.min(dv.getUint32(m + MSG.msg_controllen.offset, true), req.controlSize);
    const controlAt = i * b.slotControl;
    const anc = b.decoder.decode(b.control, controlLen, controlAt);
    const remote = b.remote.get(dv.getUint32(m + MSG.msg_namelen.offset, true), i * NAME_SLOT);
    const data = messageData(target, index * req.segment, bytes, direct !== 0, b.copy, i * segCap, reuse);
    const r = this.received;
    r.flags = flags;
    r.truncated = (flags & C.MSG_TRUNC) !== 0;
    r.controlTruncated = (flags & C.MSG_CTRUNC) !== 0;
    return buildMessage(
      reuse,
      data,
      remote,
      b.remote.lastIsIPv6,
      anc,
      r,
      this.archive,
      b.control,
      controlLen,
      controlAt,
      P.dialect.cmsg,
    );
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
    this.l.pollSet().remove(this.writeWatch);
  }

  /** Memory for sends, made on the first one: msghdr, iovec, name and control, and a data copy. */
  /** What the last send wrote into the send memory, to skip rewriting what has not changed. */
  private readonly lastSend: SendMemo = sendMemo();
  private sendMem?: {
    u8: Uint8Array;
    dv: DataView;
    msg: Uint8Array;
    nameDv: DataView;
    nameAddress: number;
    control: Uint8Array;
    data: Uint8Array;
  };

  private sendMemory(): NonNullable<PosixSocket["sendMem"]> {
    if (this.sendMem) return this.sendMem;
    const arena = new ArrayBuffer(SEND.end);
    const u8 = new Uint8Array(arena);
    const dv = new DataView(arena);
    const data = new Uint8Array(new ArrayBuffer(DATA_CAPACITY));
    const control = u8.subarray(SEND.control, SEND.end);
    pointTo(dv, MSG.msg_name.offset, u8.subarray(SEND.name));
    pointTo(dv, MSG.msg_iov.offset, u8.subarray(SEND.iov));
    setSized(dv, MSG.msg_iovlen.offset, MSG.msg_iovlen.size, 1);
    pointTo(dv, SEND.iov + IOV.iov_base.offset, data);
    pointTo(dv, MSG.msg_control.offset, control);
    const nameAddress = native.addressOf(u8.subarray(SEND.name));
    return this.sendMem = {
      u8,
      dv,
      msg: u8.subarray(0, P.msghdr.size),
      nameDv: new DataView(arena, SEND.name, SOCKADDR_IN6),
      nameAddress,
      control,
      data,
    };
  }

  /** The connected peer's family (which packet-info record a send carries), or null when not connected. */
  private peer: { ipv4: boolean } | null = null;
  /** Many datagrams in one sendmmsg call: set where the system has it (Linux). */
  readonly sendMany?: (
    items: readonly OutgoingItem[],
    from: number,
  ) => { sent: number; error: SocketError | null; full: boolean };
  private batchSender: SendBatch | null = null;

  private sendBatch(
    items: readonly OutgoingItem[],
    from: number,
  ): { sent: number; error: SocketError | null; full: boolean } {
    if (this.closed) throw this.closedError("sendmmsg");
    const l = this.l;
    const b = this.batchSender ??= new SendBatch(
      FAMILIES,
      this.ipv6,
      (vec, n) => l.sendmmsg!(this.fd, vec, n, C.MSG_DONTWAIT),
      l.errno,
    );
    const r = b.send(items, from, this.peer ? this.peer.ipv4 : null);
    if (r.errno === 0) return { sent: r.sent, error: null, full: false };
    if (r.errno === P.EAGAIN) return { sent: 0, error: null, full: true };
    return { sent: 0, error: this.sendFailure(r.errno, "sendmmsg", items[from].to), full: false };
  }

  connect(to: { hostname: string; port: number } | null): void {
    if (this.closed) throw this.closedError("connect");
    const name = new Uint8Array(new ArrayBuffer(128));
    const dv = new DataView(name.buffer);
    let len = 16;
    let peer: { ipv4: boolean } | null = null;
    if (to) {
      const dest = destination(to.hostname, this.ipv6);
      len = encodeSockaddr(dv, 0, { hostname: dest.hostname, port: to.port }, FAMILIES);
      peer = { ipv4: dest.ipv4 };
    } else if (P.os === "darwin") {
      name[0] = 16; // sa_len; sa_family AF_UNSPEC (0) dissolves the association
    }
    if (this.l.c.connect(this.fd, name.subarray(0, len), len) !== 0) {
      const errno = this.l.errno();
      // Dissolving the association of an IPv6 socket may report EAFNOSUPPORT: it is dissolved all the same.
      if (to || errno !== 97) throw errnoFailure(errno, "connect");
    }
    this.peer = peer;
    // Linux unbinds a socket whose port the system chose when it is disconnected: bind it again to the
    // address it had, so that `addr` stays true and datagrams to it keep arriving.
    if (!to && this.boundAddr().port === 0) {
      const n = encodeSockaddr(dv, 0, { hostname: this.addr.hostname, port: this.addr.port }, FAMILIES);
      if (this.l.c.bind(this.fd, name.subarray(0, n), n) !== 0) throw errnoFailure(this.l.errno(), "bind");
    }
  }

  sendMsg(
    payload: Uint8Array,
    to: { hostname: string; port: number } | null,
    source?: SendSource,
    hopLimit?: number,
    trafficClass?: number,
    segmentSize?: number,
  ): number | null {
    if (this.closed) throw this.closedError("sendmsg");
    const m = this.sendMemory();
    const last = this.lastSend;
    let nameLen = 0;
    let ipv4: boolean;
    if (to) {
      // A reply goes to the remoteAddr a receive gave, a frozen object: the same one means the same
      // bytes, already in place from the last send (nothing else writes them).
      if (to === last.to) {
        nameLen = last.nameLen;
        ipv4 = last.ipv4;
      } else {
        last.to = null; // until the new bytes are whole
        const dest = destination(to.hostname, this.ipv6);
        nameLen = encodeSockaddr(m.nameDv, 0, { hostname: dest.hostname, port: to.port }, FAMILIES);
        ipv4 = dest.ipv4;
        const frozen = Object.isFrozen(to);
        last.to = frozen ? to : null;
        last.nameLen = nameLen;
        last.ipv4 = ipv4;
      }
    } else {
      if (!this.peer) throw errnoFailure(89, "sendmsg"); // EDESTADDRREQ
      ipv4 = this.peer.ipv4;
    }
    // A connected send names no address: msg_name NULL (a name of length 0 would be EINVAL).
    setPointer(m.dv, MSG.msg_name.offset, to ? m.nameAddress : 0);
    // The control records likewise, when the source is the same frozen localAddr and the rest agrees.
    let controlLen = currentControl(last, source, ipv4, hopLimit, trafficClass, segmentSize);
    if (controlLen < 0) {
      controlLen = writeControlOnce(last, m.control, P.sendPlatform, ipv4, source, hopLimit, trafficClass, segmentSize);
    }
    m.data.set(payload);
    m.dv.setUint32(MSG.msg_namelen.offset, nameLen, true);
    setSized(m.dv, SEND.iov + IOV.iov_len.offset, IOV.iov_len.size, payload.length);
    setSized(m.dv, MSG.msg_controllen.offset, MSG.msg_controllen.size, controlLen);
    const sent = this.l.c.sendmsg(this.fd, m.msg, C.MSG_DONTWAIT);
    if (sent < 0) {
      const errno = this.l.errno();
      if (errno === P.EAGAIN) return null;
      throw this.sendFailure(errno, "sendmsg", to);
    }
    return sent;
  }

  /** A send's error; EMSGSIZE says the path MTU where the system knows it (Linux). */
  private sendFailure(errno: number, syscall: string, to: { hostname: string; port: number } | null): SocketError {
    const e = errnoFailure(errno, syscall);
    if (P.os !== "linux" || e.code !== "EMSGSIZE") return e;
    const mtu = pathMtu(this.l.c, this.fd, to, this.peer?.ipv4 ?? null, FAMILIES);
    if (mtu === undefined) return e;
    return amendSocketError(e, `; the path MTU to ${to ? to.hostname : "the peer"} is ${mtu} bytes`, { pathMtu: mtu });
  }

  closedError(syscall = "recvmsg"): SocketClosedError {
    return new SocketClosedError(syscall, "EBADF", P.EBADF);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ahead?.drop();
    if (this.watching) {
      this.watching = false;
      this.l.pollSet().remove(this.readWatch);
    }
    this.stopWritable();
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
  open(options) {
    return new PosixSocket(load(), options);
  },
  wrap(handle, ipv6, options) {
    return new PosixSocket(load(), options, { fd: Number(handle), ipv6 });
  },
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
  return { open: l.open, batchAreas, waiting: l.pollSetMade() ? l.pollSet().size : 0 };
}

/** Batch control and copy areas allocated so far (a loop of batches must not make one per call). */
let batchAreas = 0;
