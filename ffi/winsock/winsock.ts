/**
 * The Windows backend: Winsock through ws2_32.dll, WSARecvMsg through its extension pointer.
 *
 * How a receive works. A receive is a synchronous WSARecvMsg on a non-blocking socket, into memory
 * the socket owns; it returns a datagram or WSAEWOULDBLOCK. To wait, the socket posts one overlapped
 * WSARecvMsg with `MSG_PEEK` and a zero-length buffer, whose event a thread-pool wait (RegisterWaitForSingleObject) watches;
 * the wait's callback is native code that posts to a completion port read off the JS thread
 * (ffi/runtime/win_completion.ts), so the completion wakes the JS thread, which
 * then receives synchronously again. This keeps three promises cheaply: the kernel never writes into
 * a receive buffer after a call has returned (only the OVERLAPPED record, which the socket keeps
 * until the completion is seen); every receive gets exactly its own options (buffer, peek, control
 * size); and datagrams are handed out in arrival order with no reordering of completions.
 *
 * @module
 */
import { SocketClosedError, type SocketError, winsockFailure } from "../../errors.ts";
import type { DatagramMessage, NetAddr } from "../../message.ts";
import {
  AF_INET,
  AF_INET6,
  FD_WRITE,
  FIONBIO,
  IPPROTO_UDP,
  MSG_BCAST,
  MSG_CTRUNC,
  MSG_MCAST,
  MSG_PEEK,
  MSG_TRUNC,
  SOCK_DGRAM,
  SOCK_RAW,
  WSA_FLAG_NO_HANDLE_INHERIT,
  WSA_FLAG_OVERLAPPED,
} from "../../structs/constants.ts";
import { AncillaryDecoder } from "../../structs/ancillary.ts";
import { CMSG_LP64, truncateControl } from "../../structs/cmsg.ts";
import { parseIPv4 } from "../../structs/ip.ts";
import { decodeSockaddr, encodeSockaddr, WINDOWS_FAMILIES } from "../../structs/sockaddr.ts";
import { WIN } from "../../structs/windows.ts";
import {
  type Backend,
  type BackendSocket,
  type Capabilities,
  type OpenOptions,
  type ReceiveRequest,
  socketKinds,
  type Transmit,
  UDP,
} from "../common/backend.ts";
import { ControlArchive } from "../common/control_archive.ts";
import { type OptionDialect, optionDialect } from "../common/option_dialect.ts";
import { buildMessage, messageData, received } from "../common/message_builder.ts";
import { checkAttached, pointTo, setPointer } from "../common/receive_target.ts";
import { RemoteAddrCache } from "../common/remote_addr.ts";
import {
  boundAddress,
  chooseTarget,
  configure,
  growControl,
  type ReceiveMemory,
  receiveMemory,
} from "../common/socket_core.ts";
import { WINDOWS_OPEN, WINDOWS_OPTIONS } from "../tables/socket_options.ts";
import { INFINITE, WSARECVMSG, WT_EXECUTEONLYONCE } from "../tables/windows.ts";
import type { NativeFn } from "../types.ts";
import { cleanup, fail, type Lib, load, readyToWait, startup, waitsChanged, WRITE_WAIT } from "./system.ts";
import { WinsockSender } from "./winsock_send.ts";
import type { PeekSlot } from "./peek_memory.ts";
import { connResetOff, setRawOption, socketType, wsaRecvMsg } from "./socket_setup.ts";
import { winsockLookup } from "./resolve.ts";
import { native } from "../native.ts";

export { type WinsockStats, winsockStats } from "./system.ts";

const INVALID_SOCKET = 0xffffffffffffffffn;
const WSAEWOULDBLOCK = 10035;
const WSAEMSGSIZE = 10040;
const WSA_IO_PENDING = 997;
// A socket closed under a call: Windows says WSA_OPERATION_ABORTED, Wine WSAENOTSOCK, WSAEINTR in some races.
const CLOSED_CODES = new Set([995, 10038, 10004]);
const MAX_CONTROL = 65536;

// Offsets in a socket's arena; every record 8-aligned.
const MSG = WIN.WSAMSG.fields;
const BUF = WIN.WSABUF.fields;
const AT = {
  msg: 0, // WSAMSG of the synchronous receives
  dataBuf: 56,
  name: 88,
  bytes: 216,
  waitHandle: 256,
  scratch: 264, // 64 bytes for option values and lengths
  end: 328,
  // The overlapped peek's OVERLAPPED and WSAMSG are not here: the kernel may write them after this isolate
  // is gone (a terminated worker), so they are native memory that is never freed (ffi/winsock/peek_memory.ts).
} as const;

/** The error a failed wait left for the next receive (see {@link Waiter.waitFailed}), taken. */
function takeWaitError(s: WinsockSocket): SocketError {
  const e = s.waitError!;
  s.waitError = null;
  return e;
}

class WinsockSocket implements BackendSocket {
  readonly addr: NetAddr;
  readonly families: { readonly ipv4: boolean; readonly ipv6: boolean };
  readonly defaultControlSize: number;
  readonly requiredControlSize: number;
  readonly maxControlSize = MAX_CONTROL;
  readonly l: Lib;
  readonly handle: bigint;
  readonly ipv6: boolean;
  readonly udp: boolean;
  /** Windows here: no offload, no read-ahead, no batch calls, and DSCP only through the QoS API. */
  readonly capabilities: Capabilities = {
    segmentOffload: false,
    maxSegments: 0,
    readAhead: false,
    batchReceive: false,
    batchSend: false,
    perDatagramDscp: false,
  };
  private readonly recvMsg: NativeFn<typeof WSARECVMSG>;
  private readonly id: number;
  // Memory the kernel writes through. Views of ArrayBuffers larger than 64 bytes: they never move.
  private readonly arena = new ArrayBuffer(AT.end);
  private readonly u8 = new Uint8Array(this.arena);
  private readonly dv = new DataView(this.arena);
  private readonly msgView = this.u8.subarray(AT.msg, AT.msg + WIN.WSAMSG.size);
  private readonly bytesView = this.u8.subarray(AT.bytes, AT.bytes + 4);
  /** The overlapped peek's memory, taken when the socket is made, given back when it is released. */
  private peek!: PeekSlot;
  private readonly waitHandleView = this.u8.subarray(AT.waitHandle, AT.waitHandle + 8);
  private readonly nameDv = new DataView(this.arena, AT.name, WIN.SOCKADDR_STORAGE.size);
  private readonly scratch4 = this.u8.subarray(AT.scratch, AT.scratch + 4);
  private readonly mem: ReceiveMemory = receiveMemory(this.dv, AT.msg + MSG.Control.offset + BUF.buf.offset);
  private readonly event: bigint;
  private closed = false;
  private waitRegistered = false;
  private keepingAlive = false;
  /** Whether this socket's waits keep the process alive (`ref`). */
  private held = true;
  /** The references this socket adds to the thread-pool callback's (0, 1 or 2: a receive, a send). */
  private counted = 0;
  private onReadable: (() => void) | null = null;
  waitError: SocketError | null = null; // the waits' thread failed (Waiter.waitFailed): the next receive throws it
  /** A send waits for room: FD_WRITE selected on `writeEvent`, a thread-pool wait on it. */
  private onWritable: ((error: unknown) => void) | null = null;
  private writeEvent = 0n;
  private readonly writeWaitView = new Uint8Array(new ArrayBuffer(72)).subarray(0, 8);
  private readonly remote = new RemoteAddrCache(this.arena, AT.name, WINDOWS_FAMILIES);
  private readonly sender: WinsockSender;
  private readonly archive = new ControlArchive();
  private readonly decoder = new AncillaryDecoder();
  /** The datagram being turned into a message, rewritten by each receive. */
  private readonly received = received();
  /** What the WSABUF points at now (set before each call as needed). */
  private bufBase = -1;

  /**
   * Opens and binds a new socket, or with `existing` adopts a socket made elsewhere (then it is not
   * bound here, and on failure it is left open for its owner).
   */
  constructor(l: Lib, options: OpenOptions, existing?: { handle: bigint; ipv6: boolean }) {
    this.l = l;
    this.ipv6 = existing ? existing.ipv6 : parseIPv4(options.hostname) === null;
    // Validate the address before any system call; encodeSockaddr names `hostname` / `port`.
    const nameLen = existing ? 0 : encodeSockaddr(this.nameDv, 0, { hostname: options.hostname, port: options.port });
    startup(l);
    const { ws2 } = l;
    let s = existing?.handle ?? INVALID_SOCKET;
    // Windows has no ICMP datagram sockets: ICMP is a raw socket (an administrator's).
    const kinds = socketKinds(options.protocol, options.raw, false);
    if (!existing && kinds.length === 0) {
      cleanup(l);
      throw new TypeError(
        "listenDatagram: Windows has no ICMP datagram sockets; leave raw unset or set raw: true (a raw socket needs an administrator)",
      );
    }
    this.raw = !existing && kinds[0];
    if (!existing) {
      s = ws2.WSASocketW(
        this.ipv6 ? AF_INET6 : AF_INET,
        this.raw ? SOCK_RAW : SOCK_DGRAM,
        options.protocol === UDP ? IPPROTO_UDP : options.protocol,
        null,
        0,
        WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT,
      );
      if (s === INVALID_SOCKET) {
        const err = winsockFailure(ws2.WSAGetLastError(), "WSASocketW");
        cleanup(l);
        throw err;
      }
    }
    this.handle = s;
    this.udp = options.protocol === UDP;
    this.sender = new WinsockSender(this);
    try {
      const setter = {
        set: (level: number, name: number, value: number, label: string) => this.setOption(level, name, value, label),
        trySet: (level: number, name: number, value: number) => this.trySetOption(level, name, value),
      };
      const c = configure(setter, options, this.ipv6, existing !== undefined, WINDOWS_OPEN, WINDOWS_OPTIONS);
      this.families = c.families;
      this.defaultControlSize = c.defaultControl;
      this.requiredControlSize = c.required;
      this.dv.setUint32(AT.scratch, 1, true);
      if (ws2.ioctlsocket(s, FIONBIO, this.scratch4) !== 0) fail(l, "ioctlsocket(FIONBIO)");
      if (!existing && ws2.bind(s, this.u8.subarray(AT.name, AT.name + nameLen), nameLen) !== 0) fail(l, "bind");
      this.addr = this.boundAddr(existing !== undefined);
      const type = existing ? socketType(l, s) : this.raw ? SOCK_RAW : SOCK_DGRAM;
      this.recvMsg = wsaRecvMsg(l, s, this.ipv6, type);
      // One ICMP port-unreachable would fail the next receive with WSAECONNRESET and end a server loop.
      if (type === SOCK_DGRAM && this.udp && !options.reportUnreachable) connResetOff(l, s);
      this.event = ws2.WSACreateEvent();
      if (this.event === 0n) fail(l, "WSACreateEvent");
      l.events++;
      this.peek = l.peeks.take();
      // Last: a failure above closes the socket itself.
      native.closeWithThread?.(s, true);
    } catch (e) {
      if (!existing) ws2.closesocket(s);
      // No peek was posted: the slot is free again.
      if (this.peek) l.peeks.give(this.peek);
      cleanup(l);
      throw e;
    }
    this.id = l.nextId++;
    this.prepareStructs();
  }

  /** setsockopt with an int value; false when the system refuses it. */
  private trySetOption(level: number, name: number, value: number): boolean {
    const at = AT.scratch;
    this.dv.setInt32(at, value, true);
    return this.l.ws2.setsockopt(this.handle, level, name, this.u8.subarray(at, at + 4), 4) === 0;
  }

  setRawOption(level: number, name: number, value: Uint8Array, label: string): void {
    if (this.closed) throw this.closedError("setsockopt");
    setRawOption(this.l, this.handle, level, name, value, label);
  }

  private setOption(level: number, name: number, value: number, label: string): void {
    if (!this.trySetOption(level, name, value)) fail(this.l, `setsockopt(${label})`);
  }

  /** The bound address; for an adopted socket that is not bound yet, the unspecified address and port 0. */
  private boundAddr(mayBeUnbound: boolean): NetAddr {
    const at = AT.scratch;
    this.dv.setInt32(at, WIN.SOCKADDR_STORAGE.size, true);
    if (
      this.l.ws2.getsockname(
        this.handle,
        this.u8.subarray(AT.name, AT.name + WIN.SOCKADDR_STORAGE.size),
        this.u8.subarray(at, at + 4),
      ) !== 0
    ) {
      const code = this.l.ws2.WSAGetLastError();
      if (mayBeUnbound && code === 10022) return boundAddress(null, this.ipv6);
      throw winsockFailure(code, "getsockname");
    }
    return boundAddress(decodeSockaddr(this.nameDv, 0, this.dv.getInt32(at, true)), this.ipv6);
  }

  /** Pointers are written once: the memory they point to is the socket's own and never moves. */
  private prepareStructs(): void {
    const { dv } = this;
    pointTo(dv, AT.msg + MSG.name.offset, this.u8.subarray(AT.name));
    pointTo(dv, AT.msg + MSG.lpBuffers.offset, this.u8.subarray(AT.dataBuf));
    dv.setUint32(AT.msg + MSG.dwBufferCount.offset, 1, true);
  }

  tryReceive(req: ReceiveRequest): DatagramMessage | null {
    if (this.closed) throw new SocketClosedError();
    if (this.waitError !== null) throw takeWaitError(this);
    const { dv, mem } = this;
    // The system is always given room for every record the socket's options ask for, and a smaller
    // `controlSize` is applied here, record by record, as Linux's kernel applies it: Wine answers a
    // control buffer too small with WSAEMSGSIZE, MSG_CTRUNC, no byte count and no records at all.
    const controlSize = Math.max(req.controlSize, this.defaultControlSize);
    growControl(mem, controlSize);
    const target = req.target;
    if (target) checkAttached(target);
    chooseTarget(mem, target);
    const capacity = mem.capacity;
    const base = mem.base;
    if (base !== this.bufBase) {
      setPointer(dv, AT.dataBuf + BUF.buf.offset, base);
      this.bufBase = base;
    }
    dv.setInt32(AT.msg + MSG.namelen.offset, WIN.SOCKADDR_STORAGE.size, true);
    dv.setUint32(AT.msg + MSG.Control.offset + BUF.len.offset, controlSize, true);
    dv.setUint32(AT.msg + MSG.dwFlags.offset, req.peek ? MSG_PEEK : 0, true);
    dv.setUint32(AT.dataBuf + BUF.len.offset, capacity, true);
    dv.setUint32(AT.bytes, 0, true);
    const rc = this.recvMsg(this.handle, this.msgView, this.bytesView, null, null);
    let truncated = false;
    if (rc !== 0) {
      const code = this.l.ws2.WSAGetLastError();
      if (code === WSAEWOULDBLOCK) return null;
      if (code === WSAEMSGSIZE) truncated = true;
      else if (CLOSED_CODES.has(code) && this.closed) throw new SocketClosedError();
      else throw winsockFailure(code, "WSARecvMsg");
    }
    let flags = dv.getUint32(AT.msg + MSG.dwFlags.offset, true);
    let bytes = dv.getUint32(AT.bytes, true);
    if (flags & MSG_TRUNC) truncated = true;
    if (truncated) {
      // A truncated datagram filled the whole buffer. Windows reports that count; Wine reports 0. Wine's
      // control-only truncation (records past the default room: not expected) leaves the count unknown,
      // so nothing of the data is given, and the message says truncated rather than pass stale bytes.
      bytes = (flags & (MSG_TRUNC | MSG_CTRUNC)) === MSG_CTRUNC && bytes === 0 ? 0 : capacity;
    }
    let controlLen = Math.min(dv.getUint32(AT.msg + MSG.Control.offset + BUF.len.offset, true), controlSize);
    if (controlLen > req.controlSize) {
      const cut = truncateControl(mem.control, 0, controlLen, mem.control, req.controlSize, CMSG_LP64);
      controlLen = cut.length;
      if (cut.truncated) flags |= MSG_CTRUNC;
    }
    const r = this.received;
    // A malformed buffer from the system ends the walk; what was read before it is kept.
    r.anc = this.decoder.decode(mem.control, controlLen);
    r.remote = this.remote.get(dv.getInt32(AT.msg + MSG.namelen.offset, true));
    r.remoteIsIPv6 = this.remote.lastIsIPv6;
    r.data = messageData(target, 0, bytes, mem.direct, mem.data, 0, req.reuse, null, r.targets, r.views);
    r.reuse = req.reuse;
    // WSAEMSGSIZE is the truncation; Windows also sets MSG_TRUNC in dwFlags, Wine leaves it 0: set it.
    r.flags = truncated ? flags | MSG_TRUNC : flags;
    r.truncated = truncated;
    r.controlTruncated = (flags & MSG_CTRUNC) !== 0;
    r.broadcast = (flags & MSG_BCAST) !== 0;
    r.multicast = (flags & MSG_MCAST) !== 0;
    r.control = mem.control;
    r.controlLen = controlLen;
    r.controlFrom = 0;
    // For an IPv4 datagram on a dual-stack socket the IPv4 record is the exact one; the IPv6 record is v4-mapped.
    return buildMessage(r, this.archive, CMSG_LP64);
  }

  whenReadable(onReadable: () => void): void {
    if (this.closed) {
      queueMicrotask(onReadable);
      return;
    }
    readyToWait(this.l); // Node: the completion worker, started (again), or a typed error
    this.onReadable = onReadable;
    if (this.waitRegistered) return;
    const { ws2, k32 } = this.l;
    ws2.WSAResetEvent(this.event);
    const peek = this.peek;
    peek.overlapped.fill(0);
    peek.dv.setBigUint64(peek.eventAt, this.event, true);
    peek.dv.setUint32(peek.flagsAt, MSG_PEEK, true);
    // Overlapped, so lpdwNumberOfBytesRecvd is NULL as the contract asks.
    const rc = this.recvMsg(this.handle, peek.msg, null, peek.overlapped, null);
    const code = rc === 0 ? 0 : ws2.WSAGetLastError();
    if (code !== WSA_IO_PENDING) {
      // Completed at once (data arrived meanwhile, or an error such as WSAEMSGSIZE for the zero-byte peek):
      // readable now. The next synchronous receive reports any real error.
      queueMicrotask(() => this.fire());
      return;
    }
    this.waitHandleView.fill(0);
    if (
      !k32.RegisterWaitForSingleObject(
        this.waitHandleView,
        this.event,
        this.l.callback.pointer,
        this.id,
        INFINITE,
        WT_EXECUTEONLYONCE,
      )
    ) {
      const err = k32.GetLastError();
      // The peek stays posted with nobody to see it complete: keep this socket's memory (and event)
      // for the life of the process rather than risk the kernel writing into freed memory.
      this.l.pinned.add(this);
      this.onReadable = null;
      throw winsockFailure(err, "RegisterWaitForSingleObject");
    }
    this.waitRegistered = true;
    this.l.waiting.set(this.id, this);
    waitsChanged(this.l);
  }

  /** On the JS thread, after the thread pool saw the event: the overlapped peek has completed. */
  waitFired(): void {
    if (!this.waitRegistered) return;
    this.waitRegistered = false;
    this.l.waiting.delete(this.id);
    waitsChanged(this.l);
    // A null completion event: do not wait for the callback (it is this one).
    this.l.k32.UnregisterWaitEx(this.dv.getBigUint64(AT.waitHandle, true), 0);
    if (this.closed) this.release();
    else this.fire();
  }

  waitFailed(error: SocketError): void {
    if (this.onReadable) this.waitError = error;
    this.fire();
  }
  private fire(): void {
    const f = this.onReadable;
    this.onReadable = null;
    f?.();
  }

  keepAlive(on: boolean): void {
    // No receive waits: hold no reference to the connection (a posted peek may still fire, to no one).
    if (!on) this.onReadable = null;
    if (on === this.keepingAlive) return;
    this.keepingAlive = on;
    this.recount();
  }

  ref(on: boolean): void {
    this.held = on;
    this.recount();
  }

  /** Brings this socket's share of the callback's references to what it waits for now (none when not held). */
  private recount(): void {
    const want = this.held && !this.closed ? (this.keepingAlive ? 1 : 0) + (this.onWritable ? 1 : 0) : 0;
    const before = this.l.keepAlives;
    this.l.keepAlives += want - this.counted;
    this.counted = want;
    if (before === 0 && this.l.keepAlives > 0) this.l.callback.ref();
    else if (before > 0 && this.l.keepAlives === 0) this.l.callback.unref();
  }

  localAddr(): NetAddr {
    if (this.closed) throw this.closedError("getsockname");
    return this.boundAddr(false);
  }

  getRawOption(level: number, name: number, label: string): number {
    if (this.closed) throw this.closedError("getsockopt");
    // The value and its length, in memory larger than 64 bytes (see setRawOption).
    const bytes = new Uint8Array(new ArrayBuffer(128));
    const dv = new DataView(bytes.buffer);
    dv.setInt32(64, 4, true);
    if (this.l.ws2.getsockopt(this.handle, level, name, bytes.subarray(0, 4), bytes.subarray(64, 68)) !== 0) {
      fail(this.l, `getsockopt(${label})`);
    }
    return dv.getInt32(0, true);
  }

  whenWritable(onWritable: (error: unknown) => void): void {
    if (this.closed) {
      queueMicrotask(() => onWritable(this.closedError("WSASendMsg")));
      return;
    }
    if (this.onWritable) return;
    const { ws2, k32 } = this.l;
    try {
      readyToWait(this.l);
      if (this.writeEvent === 0n) {
        this.writeEvent = ws2.WSACreateEvent();
        if (this.writeEvent === 0n) fail(this.l, "WSACreateEvent");
        this.l.events++;
      }
      ws2.WSAResetEvent(this.writeEvent);
      // FD_WRITE is recorded when a send failed with WSAEWOULDBLOCK and room comes back, or at once when
      // there is room already: no wake-up is lost between the failed send and this call.
      if (ws2.WSAEventSelect(this.handle, this.writeEvent, FD_WRITE) !== 0) fail(this.l, "WSAEventSelect");
      this.writeWaitView.fill(0);
      if (
        !k32.RegisterWaitForSingleObject(
          this.writeWaitView,
          this.writeEvent,
          this.l.callback.pointer,
          WRITE_WAIT + this.id,
          INFINITE,
          WT_EXECUTEONLYONCE,
        )
      ) {
        const err = winsockFailure(k32.GetLastError(), "RegisterWaitForSingleObject");
        ws2.WSAEventSelect(this.handle, 0n, 0);
        throw err;
      }
    } catch (e) {
      queueMicrotask(() => onWritable(e));
      return;
    }
    this.onWritable = onWritable;
    this.l.writers.set(this.id, this);
    waitsChanged(this.l);
    this.recount();
  }

  /** On the JS thread: FD_WRITE was signalled. */
  writeFired(error: SocketError | null = null): void {
    const f = this.onWritable;
    if (!f) return;
    this.stopWritable();
    f(error);
  }

  stopWritable(): void {
    if (!this.onWritable) return;
    this.onWritable = null;
    this.l.writers.delete(this.id);
    waitsChanged(this.l);
    // A null completion event: do not wait for a callback in flight (it finds no writer and does nothing).
    this.l.k32.UnregisterWaitEx(new DataView(this.writeWaitView.buffer).getBigUint64(0, true), 0);
    if (!this.closed) this.l.ws2.WSAEventSelect(this.handle, 0n, 0);
    this.recount();
  }

  connect(to: { hostname: string; port: number } | null): void {
    if (this.closed) throw this.closedError("connect");
    this.sender.connect(to);
  }

  readonly raw: boolean;
  readonly optionDialect: OptionDialect = optionDialect("windows");

  send(t: Transmit): number | null {
    if (this.closed) throw this.closedError("WSASendMsg");
    return this.sender.send(t);
  }

  closedError(syscall = "WSARecvMsg"): SocketClosedError {
    return new SocketClosedError(syscall);
  }

  close(): void {
    if (this.closed) return;
    this.keepAlive(false);
    this.stopWritable();
    this.closed = true;
    native.closeWithThread?.(this.handle, false);
    this.l.ws2.closesocket(this.handle);
    // With a peek pending, the kernel still owns the OVERLAPPED record: release when its wait fires.
    if (!this.waitRegistered && !this.l.pinned.has(this)) this.release();
    this.fire();
  }

  /** Only when no peek is pending: the peek's memory goes back to the free list. */
  private release(): void {
    this.l.peeks.give(this.peek);
    if (this.l.ws2.WSACloseEvent(this.event)) this.l.events--;
    if (this.writeEvent !== 0n && this.l.ws2.WSACloseEvent(this.writeEvent)) this.l.events--;
    cleanup(this.l);
  }
}

/** The Windows backend. */
export const winsock: Backend = {
  name: "winsock",
  handles: { max: 2n ** 64n - 2n, description: "a SOCKET from 0 to 2^64-2" },
  open(options) {
    return new WinsockSocket(load(), options);
  },
  wrap(handle, ipv6, options) {
    return new WinsockSocket(load(), options, { handle, ipv6 });
  },
  lookup: winsockLookup,
};
