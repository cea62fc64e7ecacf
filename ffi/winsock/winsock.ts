/**
 * The Windows backend: Winsock through ws2_32.dll, WSARecvMsg through its extension pointer.
 *
 * How a receive works. A receive is a synchronous WSARecvMsg on a non-blocking socket, into memory
 * the socket owns; it returns a datagram or WSAEWOULDBLOCK. To wait, the socket posts one overlapped
 * WSARecvMsg with `MSG_PEEK` and a zero-length buffer, whose event a thread-pool wait (RegisterWaitForSingleObject) watches;
 * the wait's callback is a thread-safe FFI callback, so the completion wakes the JS thread, which
 * then receives synchronously again. This keeps three promises cheaply: the kernel never writes into
 * a receive buffer after a call has returned (only the OVERLAPPED record, which the socket keeps
 * until the completion is seen); every receive gets exactly its own options (buffer, peek, control
 * size); and datagrams are handed out in arrival order with no reordering of completions.
 *
 * @module
 */
import { SocketClosedError, winsockFailure } from "../../errors.ts";
import type { DatagramMessage, NetAddr } from "../../message.ts";
import {
  AF_INET,
  AF_INET6,
  FD_WRITE,
  FIONBIO,
  FIONREAD,
  IP_HOPLIMIT,
  IP_PKTINFO,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_UDP,
  IPV6_HOPLIMIT,
  IPV6_PKTINFO,
  IPV6_V6ONLY,
  MSG_BCAST,
  MSG_CTRUNC,
  MSG_MCAST,
  MSG_PEEK,
  MSG_TRUNC,
  SIO_GET_EXTENSION_FUNCTION_POINTER,
  SIO_UDP_CONNRESET,
  SO_BROADCAST,
  SO_EXCLUSIVEADDRUSE,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_TYPE,
  SOCK_DGRAM,
  SOCK_RAW,
  SOL_SOCKET,
  WINSOCK_VERSION_2_2,
  WSA_FLAG_NO_HANDLE_INHERIT,
  WSA_FLAG_OVERLAPPED,
  WSAID_WSARECVMSG,
} from "../../structs/constants.ts";
import { AncillaryDecoder } from "../../structs/ancillary.ts";
import { CMSG_LP64 } from "../../structs/cmsg.ts";
import { parseIPv4 } from "../../structs/ip.ts";
import { type SendSource, writeSendControl } from "../../structs/send_control.ts";
import { decodeSockaddr, encodeSockaddr, WINDOWS_FAMILIES } from "../../structs/sockaddr.ts";
import { WIN } from "../../structs/windows.ts";
import {
  type Backend,
  type BackendSocket,
  destination,
  type OpenOptions,
  type ReceiveRequest,
  socketKinds,
  UDP,
} from "../common/backend.ts";
import { ControlArchive } from "../common/control_archive.ts";
import { buildMessage, messageData, type Received } from "../common/message_builder.ts";
import { checkAttached, pointTo, setPointer, TargetAddress } from "../common/receive_target.ts";
import { native } from "../native.ts";
import { RemoteAddrCache } from "../common/remote_addr.ts";
import { applyOptions, WINDOWS_OPTIONS } from "../tables/socket_options.ts";
import { INFINITE, KERNEL32, WS2_32, WSARECVMSG, WT_EXECUTEONLYONCE } from "../tables/windows.ts";
import type { Bound, NativeFn, ThreadSafeCallback } from "../types.ts";

const INVALID_SOCKET = 0xffffffffffffffffn;
const WSAEWOULDBLOCK = 10035;
/** Added to a socket's id to make the context of its send wait. */
const WRITE_WAIT = 2 ** 30;
const WSAEMSGSIZE = 10040;
const WSA_IO_PENDING = 997;
// A socket closed under a call: Windows says WSA_OPERATION_ABORTED, Wine WSAENOTSOCK, WSAEINTR in some races.
const CLOSED_CODES = new Set([995, 10038, 10004]);
/** Large enough for any UDP payload (65,527 bytes over IPv6). */
const DATA_CAPACITY = 65536;
const MAX_CONTROL = 65536;

// Offsets in a socket's arena; every record 8-aligned.
const MSG = WIN.WSAMSG.fields;
const BUF = WIN.WSABUF.fields;
const AT = {
  msg: 0, // WSAMSG of the synchronous receives
  dataBuf: 56,
  peekBuf: 72, // zero-length WSABUF of the overlapped peek
  name: 88,
  bytes: 216,
  overlapped: 224,
  waitHandle: 256,
  scratch: 264, // 64 bytes for option values and lengths
  peekMsg: 328, // WSAMSG of the overlapped peek: the kernel owns it until the completion
  end: 384,
} as const;
const CONTROL_INITIAL = 512;
const SEND = { buf: 56, name: 72, sent: 100, control: 104, end: 232 } as const;

interface Lib {
  ws2: Bound<typeof WS2_32>;
  k32: Bound<typeof KERNEL32>;
  callback: ThreadSafeCallback;
  recvMsg: Map<string, NativeFn<typeof WSARECVMSG>>;
  /**
   * Sockets with a registered wait, by the context number the callback receives. Being here also keeps
   * a socket's memory reachable while the kernel owns its OVERLAPPED record, even if its owner dropped it.
   */
  waiting: Map<number, WinsockSocket>;
  /** Sockets waiting for room to send (an FD_WRITE wait registered), by context number. */
  writers: Map<number, WinsockSocket>;
  /** Sockets whose posted peek can no longer be watched: kept until the process exits. */
  pinned: Set<WinsockSocket>;
  startups: number;
  /** Events created and not yet closed: each socket owns one until its last wait has fired. */
  events: number;
  keepAlives: number;
  nextId: number;
  /** Sockets opened with SIO_UDP_CONNRESET turned off (for tests). */
  connResetOff: number;
  wsadata: Uint8Array;
}

let lib: Lib | undefined;

function load(): Lib {
  if (lib) return lib;
  const ws2 = native.open("ws2_32.dll", WS2_32);
  const k32 = native.open("kernel32.dll", KERNEL32);
  const waiting = new Map<number, WinsockSocket>();
  const writers = new Map<number, WinsockSocket>();
  // Context numbers from WRITE_WAIT up are send waits (FD_WRITE); below, the receive peek's.
  const callback = native.threadSafeCallback((context) => {
    if (context >= WRITE_WAIT) writers.get(context - WRITE_WAIT)?.writeFired();
    else waiting.get(context)?.waitFired();
  });
  lib = {
    ws2,
    k32,
    callback,
    recvMsg: new Map(),
    waiting,
    writers,
    pinned: new Set(),
    startups: 0,
    events: 0,
    keepAlives: 0,
    nextId: 1,
    connResetOff: 0,
    wsadata: new Uint8Array(new ArrayBuffer(WIN.WSADATA.size)),
  };
  return lib;
}

/** WSAStartup once per socket this module opens; WSACleanup when the last one is gone. */
function startup(l: Lib): void {
  if (l.startups === 0) {
    const rc = l.ws2.WSAStartup(WINSOCK_VERSION_2_2, l.wsadata);
    // WSAStartup returns its error instead of setting WSAGetLastError.
    if (rc !== 0) throw winsockFailure(rc, "WSAStartup");
  }
  l.startups++;
}

function cleanup(l: Lib): void {
  if (--l.startups === 0) l.ws2.WSACleanup();
}

/** A failed call: reads WSAGetLastError at once, before anything else can overwrite it. */
function fail(l: Lib, syscall: string): never {
  throw winsockFailure(l.ws2.WSAGetLastError(), syscall);
}

class WinsockSocket implements BackendSocket {
  readonly addr: NetAddr;
  readonly families: { readonly ipv4: boolean; readonly ipv6: boolean };
  readonly defaultControlSize: number;
  readonly requiredControlSize: number;
  readonly maxControlSize = MAX_CONTROL;
  private readonly l: Lib;
  readonly handle: bigint;
  private readonly ipv6: boolean;
  private readonly recvMsg: NativeFn<typeof WSARECVMSG>;
  private readonly id: number;
  // Memory the kernel writes through. Views of ArrayBuffers larger than 64 bytes: they never move.
  private readonly arena = new ArrayBuffer(AT.end);
  private readonly u8 = new Uint8Array(this.arena);
  private readonly dv = new DataView(this.arena);
  private readonly msgView = this.u8.subarray(AT.msg, AT.msg + WIN.WSAMSG.size);
  private readonly bytesView = this.u8.subarray(AT.bytes, AT.bytes + 4);
  private readonly peekMsgView = this.u8.subarray(AT.peekMsg, AT.peekMsg + WIN.WSAMSG.size);
  private readonly overlappedView = this.u8.subarray(AT.overlapped, AT.overlapped + WIN.WSAOVERLAPPED.size);
  private readonly waitHandleView = this.u8.subarray(AT.waitHandle, AT.waitHandle + 8);
  private readonly nameDv = new DataView(this.arena, AT.name, WIN.SOCKADDR_STORAGE.size);
  private readonly scratch4 = this.u8.subarray(AT.scratch, AT.scratch + 4);
  private readonly data = new Uint8Array(new ArrayBuffer(DATA_CAPACITY));
  private control = new Uint8Array(new ArrayBuffer(CONTROL_INITIAL));
  private readonly event: bigint;
  private closed = false;
  private waitRegistered = false;
  private keepingAlive = false;
  private onReadable: (() => void) | null = null;
  /** A send waits for room: FD_WRITE selected on `writeEvent`, a thread-pool wait on it. */
  private onWritable: ((error: unknown) => void) | null = null;
  private writeEvent = 0n;
  private readonly writeWaitView = new Uint8Array(new ArrayBuffer(72)).subarray(0, 8);
  private readonly remote = new RemoteAddrCache(this.arena, AT.name, WINDOWS_FAMILIES);
  private readonly archive = new ControlArchive();
  private readonly decoder = new AncillaryDecoder();
  private readonly targetAddress = new TargetAddress();
  /** The flags of the datagram being turned into a message, rewritten by each receive. */
  private readonly received: Received = {
    flags: 0,
    truncated: false,
    controlTruncated: false,
    broadcast: false,
    multicast: false,
  };
  /** The socket's own data buffer, and what the WSABUF points at now (set before each call as needed). */
  private dataAddress = 0;
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
    try {
      if (this.ipv6 && !existing && options.protocol === UDP) {
        this.setOption(IPPROTO_IPV6, IPV6_V6ONLY, options.ipv6Only ? 1 : 0);
      }
      // Windows has no SO_REUSEPORT: sharing a port is SO_REUSEADDR there (see ListenOptions.reusePort).
      if (options.reuseAddress || options.reusePort) this.setOption(SOL_SOCKET, SO_REUSEADDR, 1);
      // A server socket of ours is its port's alone: a later bind with SO_REUSEADDR cannot join or take it.
      else if (!existing && options.protocol === UDP) this.setOption(SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1);
      if (options.broadcast) this.setOption(SOL_SOCKET, SO_BROADCAST, 1);
      if (options.receiveBufferSize !== undefined) this.setOption(SOL_SOCKET, SO_RCVBUF, options.receiveBufferSize);
      // A raw ICMPv6 socket carries no IPv4: only a UDP socket on :: is dual-stack.
      const dual = this.ipv6 && !options.ipv6Only && options.protocol === UDP;
      this.families = Object.freeze({ ipv4: !this.ipv6 || dual, ipv6: this.ipv6 });
      // The contract: a dual-stack socket needs IP_PKTINFO too, or IPv4 datagrams may carry none.
      const c = applyOptions(WINDOWS_OPTIONS, options, { ipv4: !this.ipv6 || dual, ipv6: this.ipv6 }, (r) => {
        if (r.optional) return this.trySetOption(r.level, r.name, r.value);
        this.setOption(r.level, r.name, r.value);
        return true;
      });
      this.defaultControlSize = c.defaultControl;
      this.requiredControlSize = c.required;
      this.dv.setUint32(AT.scratch, 1, true);
      if (ws2.ioctlsocket(s, FIONBIO, this.scratch4) !== 0) fail(l, "ioctlsocket(FIONBIO)");
      if (!existing && ws2.bind(s, this.u8.subarray(AT.name, AT.name + nameLen), nameLen) !== 0) fail(l, "bind");
      this.addr = this.boundAddr(existing !== undefined);
      const type = existing ? this.socketType() : this.raw ? SOCK_RAW : SOCK_DGRAM;
      this.recvMsg = this.wsaRecvMsg(type);
      // One ICMP port-unreachable would fail the next receive with WSAECONNRESET and end a server loop.
      if (type === SOCK_DGRAM && options.protocol === UDP && !options.reportUnreachable) {
        this.dv.setUint32(AT.scratch, 0, true);
        if (
          ws2.WSAIoctl(
            s,
            SIO_UDP_CONNRESET,
            this.scratch4,
            4,
            null,
            0,
            this.u8.subarray(AT.scratch + 8, AT.scratch + 12),
            null,
            null,
          ) !== 0
        ) {
          fail(l, "WSAIoctl(SIO_UDP_CONNRESET)");
        }
        l.connResetOff++;
      }
      this.event = ws2.WSACreateEvent();
      if (this.event === 0n) fail(l, "WSACreateEvent");
      l.events++;
      // Last: a failure above closes the socket itself.
      native.closeWithThread?.(s, true);
    } catch (e) {
      if (!existing) ws2.closesocket(s);
      cleanup(l);
      throw e;
    }
    this.id = l.nextId++;
    this.prepareStructs();
  }

  private socketType(): number {
    const at = AT.scratch;
    this.dv.setInt32(at + 4, 4, true);
    if (
      this.l.ws2.getsockopt(
        this.handle,
        SOL_SOCKET,
        SO_TYPE,
        this.u8.subarray(at, at + 4),
        this.u8.subarray(at + 4, at + 8),
      ) !== 0
    ) {
      fail(this.l, "getsockopt(SO_TYPE)");
    }
    return this.dv.getInt32(at, true);
  }

  /** setsockopt with an int value; false when the system refuses it. */
  private trySetOption(level: number, name: number, value: number): boolean {
    const at = AT.scratch;
    this.dv.setInt32(at, value, true);
    return this.l.ws2.setsockopt(this.handle, level, name, this.u8.subarray(at, at + 4), 4) === 0;
  }

  setRawOption(level: number, name: number, value: Uint8Array, label: string): void {
    if (this.closed) throw this.closedError("setsockopt");
    const bytes = new Uint8Array(new ArrayBuffer(Math.max(128, value.length)));
    bytes.set(value);
    if (this.l.ws2.setsockopt(this.handle, level, name, bytes.subarray(0, value.length), value.length) !== 0) {
      fail(this.l, `setsockopt(${label})`);
    }
  }

  private setOption(level: number, name: number, value: number): void {
    const at = AT.scratch;
    this.dv.setInt32(at, value, true);
    if (this.l.ws2.setsockopt(this.handle, level, name, this.u8.subarray(at, at + 4), 4) !== 0) {
      fail(this.l, `setsockopt(${optionName(level, name)})`);
    }
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
      if (mayBeUnbound && code === 10022) {
        return Object.freeze({ transport: "udp", hostname: this.ipv6 ? "::" : "0.0.0.0", port: 0 });
      }
      throw winsockFailure(code, "getsockname");
    }
    const a = decodeSockaddr(this.nameDv, 0, this.dv.getInt32(at, true))!;
    return Object.freeze({ transport: "udp", hostname: a.hostname, port: a.port });
  }

  /** WSARecvMsg's address, asked of the socket's provider once per address family and socket type. */
  private wsaRecvMsg(type: number): NativeFn<typeof WSARECVMSG> {
    const key = `${this.ipv6 ? AF_INET6 : AF_INET}/${type}`;
    const cached = this.l.recvMsg.get(key);
    if (cached) return cached;
    const at = AT.scratch;
    const guid = this.u8.subarray(at, at + 16);
    guid.set(WSAID_WSARECVMSG);
    const out = this.u8.subarray(at + 16, at + 24);
    const returned = this.u8.subarray(at + 24, at + 28);
    const rc = this.l.ws2.WSAIoctl(
      this.handle,
      SIO_GET_EXTENSION_FUNCTION_POINTER,
      guid,
      16,
      out,
      8,
      returned,
      null,
      null,
    );
    if (rc !== 0) fail(this.l, "WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_WSARECVMSG)");
    const address = this.dv.getBigUint64(at + 16, true);
    if (address === 0n) throw winsockFailure(10045, "WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_WSARECVMSG)");
    const fn = native.fromAddress(address, WSARECVMSG);
    this.l.recvMsg.set(key, fn);
    return fn;
  }

  /** Pointers are written once: the memory they point to is the socket's own and never moves. */
  private prepareStructs(): void {
    const { dv } = this;
    pointTo(dv, AT.msg + MSG.name.offset, this.u8.subarray(AT.name));
    pointTo(dv, AT.msg + MSG.lpBuffers.offset, this.u8.subarray(AT.dataBuf));
    dv.setUint32(AT.msg + MSG.dwBufferCount.offset, 1, true);
    this.dataAddress = native.addressOf(this.data);
    dv.setUint32(AT.peekBuf + BUF.len.offset, 0, true);
    pointTo(dv, AT.peekBuf + BUF.buf.offset, this.data);
    // The peek's WSAMSG: no name, one zero-length buffer, no control buffer.
    pointTo(dv, AT.peekMsg + MSG.lpBuffers.offset, this.u8.subarray(AT.peekBuf));
    dv.setUint32(AT.peekMsg + MSG.dwBufferCount.offset, 1, true);
    this.pointControl();
  }

  private pointControl(): void {
    pointTo(this.dv, AT.msg + MSG.Control.offset + BUF.buf.offset, this.control);
  }

  tryReceive(req: ReceiveRequest): DatagramMessage | null {
    if (this.closed) throw new SocketClosedError();
    if (req.controlSize > this.control.length) {
      // Grown only between calls: no receive is in progress on this memory.
      this.control = new Uint8Array(new ArrayBuffer(Math.max(req.controlSize, 2 * this.control.length)));
      this.pointControl();
    }
    const { dv } = this;
    const target = req.target;
    if (target) checkAttached(target);
    const capacity = target ? Math.min(target.length, DATA_CAPACITY) : DATA_CAPACITY;
    const direct = target ? this.targetAddress.of(target) : 0;
    const base = direct !== 0 ? direct : this.dataAddress;
    if (base !== this.bufBase) {
      setPointer(dv, AT.dataBuf + BUF.buf.offset, base);
      this.bufBase = base;
    }
    dv.setInt32(AT.msg + MSG.namelen.offset, WIN.SOCKADDR_STORAGE.size, true);
    dv.setUint32(AT.msg + MSG.Control.offset + BUF.len.offset, req.controlSize, true);
    dv.setUint32(AT.msg + MSG.dwFlags.offset, req.peek ? MSG_PEEK : 0, true);
    dv.setUint32(AT.dataBuf + BUF.len.offset, capacity, true);
    dv.setUint32(AT.bytes, 0, true);
    // Wine answers a control buffer too small with WSAEMSGSIZE, MSG_CTRUNC and no byte count, so when
    // the caller chose a small one, learn the next datagram's size first (Wine's FIONREAD gives it).
    const nextSize = req.controlSize < this.defaultControlSize ? this.pendingBytes() : -1;
    const rc = this.recvMsg(this.handle, this.msgView, this.bytesView, null, null);
    let truncated = false;
    if (rc !== 0) {
      const code = this.l.ws2.WSAGetLastError();
      if (code === WSAEWOULDBLOCK) return null;
      if (code === WSAEMSGSIZE) truncated = true;
      else if (CLOSED_CODES.has(code) && this.closed) throw new SocketClosedError();
      else throw winsockFailure(code, "WSARecvMsg");
    }
    const flags = dv.getUint32(AT.msg + MSG.dwFlags.offset, true);
    let bytes = dv.getUint32(AT.bytes, true);
    if (truncated && (flags & (MSG_TRUNC | MSG_CTRUNC)) === MSG_CTRUNC && bytes === 0 && nextSize >= 0) {
      // Wine's control-only truncation: the data arrived whole or cut by the buffer.
      bytes = Math.min(nextSize, capacity);
      truncated = nextSize > capacity;
    } else {
      if (flags & MSG_TRUNC) truncated = true;
      // A truncated datagram filled the whole buffer. Windows reports that count; Wine reports 0.
      if (truncated) bytes = capacity;
    }
    const controlLen = Math.min(dv.getUint32(AT.msg + MSG.Control.offset + BUF.len.offset, true), req.controlSize);
    // A malformed buffer from the system ends the walk; what was read before it is kept.
    const anc = this.decoder.decode(this.control, controlLen);
    const remote = this.remote.get(dv.getInt32(AT.msg + MSG.namelen.offset, true));
    const reuse = req.reuse;
    const data = messageData(target, 0, bytes, direct !== 0, this.data, 0, reuse);
    const r = this.received;
    r.flags = flags;
    r.truncated = truncated;
    r.controlTruncated = (flags & MSG_CTRUNC) !== 0;
    r.broadcast = (flags & MSG_BCAST) !== 0;
    r.multicast = (flags & MSG_MCAST) !== 0;
    // For an IPv4 datagram on a dual-stack socket the IPv4 record is the exact one; the IPv6 record is v4-mapped.
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
      CMSG_LP64,
    );
  }

  /** Bytes of the next queued datagram (FIONREAD), or -1 if the call fails. */
  private pendingBytes(): number {
    const at = AT.scratch;
    this.dv.setUint32(at, 0, true);
    return this.l.ws2.ioctlsocket(this.handle, FIONREAD, this.scratch4) === 0 ? this.dv.getUint32(at, true) : -1;
  }

  whenReadable(onReadable: () => void): void {
    if (this.closed) {
      queueMicrotask(onReadable);
      return;
    }
    this.onReadable = onReadable;
    if (this.waitRegistered) return;
    const { ws2, k32 } = this.l;
    ws2.WSAResetEvent(this.event);
    this.overlappedView.fill(0);
    this.dv.setBigUint64(AT.overlapped + WIN.WSAOVERLAPPED.fields.hEvent.offset, this.event, true);
    this.dv.setUint32(AT.peekMsg + MSG.dwFlags.offset, MSG_PEEK, true);
    // Overlapped, so lpdwNumberOfBytesRecvd is NULL as the contract asks.
    const rc = this.recvMsg(this.handle, this.peekMsgView, null, this.overlappedView, null);
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
  }

  /** On the JS thread, after the thread pool saw the event: the overlapped peek has completed. */
  waitFired(): void {
    if (!this.waitRegistered) return;
    this.waitRegistered = false;
    this.l.waiting.delete(this.id);
    // A null completion event: do not wait for the callback (it is this one).
    this.l.k32.UnregisterWaitEx(this.dv.getBigUint64(AT.waitHandle, true), 0);
    if (this.closed) this.release();
    else this.fire();
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
    if (on) {
      if (this.l.keepAlives++ === 0) this.l.callback.ref();
    } else if (--this.l.keepAlives === 0) this.l.callback.unref();
  }

  whenWritable(onWritable: (error: unknown) => void): void {
    if (this.closed) {
      queueMicrotask(() => onWritable(this.closedError("WSASendMsg")));
      return;
    }
    if (this.onWritable) return;
    const { ws2, k32 } = this.l;
    try {
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
    if (this.l.keepAlives++ === 0) this.l.callback.ref();
  }

  /** On the JS thread: FD_WRITE was signalled. */
  writeFired(): void {
    const f = this.onWritable;
    if (!f) return;
    this.stopWritable();
    f(null);
  }

  stopWritable(): void {
    if (!this.onWritable) return;
    this.onWritable = null;
    this.l.writers.delete(this.id);
    // A null completion event: do not wait for a callback in flight (it finds no writer and does nothing).
    this.l.k32.UnregisterWaitEx(new DataView(this.writeWaitView.buffer).getBigUint64(0, true), 0);
    if (!this.closed) this.l.ws2.WSAEventSelect(this.handle, 0n, 0);
    if (--this.l.keepAlives === 0) this.l.callback.unref();
  }

  /** Memory for sends, made on the first one: WSAMSG, WSABUF, name, control, sent count, and a data copy. */
  private sendMem?: {
    dv: DataView;
    msg: Uint8Array;
    nameDv: DataView;
    nameAddress: number;
    control: Uint8Array;
    sent: Uint8Array;
    data: Uint8Array;
  };

  private sendMemory(): NonNullable<WinsockSocket["sendMem"]> {
    if (this.sendMem) return this.sendMem;
    const arena = new ArrayBuffer(SEND.end);
    const u8 = new Uint8Array(arena);
    const dv = new DataView(arena);
    const data = new Uint8Array(new ArrayBuffer(DATA_CAPACITY));
    const control = u8.subarray(SEND.control, SEND.end);
    pointTo(dv, MSG.name.offset, u8.subarray(SEND.name));
    pointTo(dv, MSG.lpBuffers.offset, u8.subarray(SEND.buf));
    dv.setUint32(MSG.dwBufferCount.offset, 1, true);
    pointTo(dv, SEND.buf + BUF.buf.offset, data);
    pointTo(dv, MSG.Control.offset + BUF.buf.offset, control);
    return this.sendMem = {
      dv,
      msg: u8.subarray(0, WIN.WSAMSG.size),
      nameDv: new DataView(arena, SEND.name, WIN.SOCKADDR_IN6.size),
      nameAddress: native.addressOf(u8.subarray(SEND.name)),
      control,
      sent: u8.subarray(SEND.sent, SEND.sent + 4),
      data,
    };
  }

  /** The connected peer's family (which packet-info record a send carries), or null when not connected. */
  private peer: { ipv4: boolean } | null = null;

  connect(to: { hostname: string; port: number } | null): void {
    if (this.closed) throw this.closedError("connect");
    const name = new Uint8Array(new ArrayBuffer(128));
    const dv = new DataView(name.buffer);
    let len: number;
    let peer: { ipv4: boolean } | null = null;
    if (to) {
      const dest = destination(to.hostname, this.ipv6);
      len = encodeSockaddr(dv, 0, { hostname: dest.hostname, port: to.port });
      peer = { ipv4: dest.ipv4 };
    } else {
      // An address of zeros of the socket's own family dissolves the association (Winsock's connect).
      len = encodeSockaddr(dv, 0, { hostname: this.ipv6 ? "::" : "0.0.0.0", port: 0 });
    }
    if (this.l.ws2.connect(this.handle, name.subarray(0, len), len) !== 0) fail(this.l, "connect");
    this.peer = peer;
  }

  /** Segments go as separate sends: UDP_SEND_MSG_SIZE is not used (Wine drops a send's control data: untestable here). */
  segmentOffload = false;
  readonly raw: boolean;

  sendMsg(
    payload: Uint8Array,
    to: { hostname: string; port: number } | null,
    source?: SendSource,
    hopLimit?: number,
    trafficClass?: number,
  ): number | null {
    if (this.closed) throw this.closedError("WSASendMsg");
    const m = this.sendMemory();
    let nameLen = 0;
    let ipv4: boolean;
    if (to) {
      const dest = destination(to.hostname, this.ipv6);
      nameLen = encodeSockaddr(m.nameDv, 0, { hostname: dest.hostname, port: to.port });
      ipv4 = dest.ipv4;
    } else {
      if (!this.peer) throw winsockFailure(10039, "WSASendMsg"); // WSAEDESTADDRREQ
      ipv4 = this.peer.ipv4;
    }
    // A connected send names no address: name NULL and namelen 0.
    setPointer(m.dv, MSG.name.offset, to ? m.nameAddress : 0);
    const controlLen = writeSendControl(m.control, "windows", ipv4, source, hopLimit, trafficClass);
    m.data.set(payload);
    m.dv.setInt32(MSG.namelen.offset, nameLen, true);
    m.dv.setUint32(SEND.buf + BUF.len.offset, payload.length, true);
    m.dv.setUint32(MSG.Control.offset + BUF.len.offset, controlLen, true);
    m.dv.setUint32(MSG.dwFlags.offset, 0, true);
    if (this.l.ws2.WSASendMsg(this.handle, m.msg, 0, m.sent, null, null) !== 0) {
      const code = this.l.ws2.WSAGetLastError();
      if (code === WSAEWOULDBLOCK) return null;
      throw winsockFailure(code, "WSASendMsg");
    }
    return m.dv.getUint32(SEND.sent, true);
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

  private release(): void {
    if (this.l.ws2.WSACloseEvent(this.event)) this.l.events--;
    if (this.writeEvent !== 0n && this.l.ws2.WSACloseEvent(this.writeEvent)) this.l.events--;
    cleanup(this.l);
  }
}

function optionName(level: number, name: number): string {
  const names: Record<string, string> = {
    [`${IPPROTO_IP}/${IP_PKTINFO}`]: "IP_PKTINFO",
    [`${IPPROTO_IP}/${IP_HOPLIMIT}`]: "IP_HOPLIMIT",
    [`${IPPROTO_IPV6}/${IPV6_PKTINFO}`]: "IPV6_PKTINFO",
    [`${IPPROTO_IPV6}/${IPV6_HOPLIMIT}`]: "IPV6_HOPLIMIT",
    [`${IPPROTO_IPV6}/${IPV6_V6ONLY}`]: "IPV6_V6ONLY",
    [`${SOL_SOCKET}/${SO_REUSEADDR}`]: "SO_REUSEADDR",
    [`${SOL_SOCKET}/${SO_EXCLUSIVEADDRUSE}`]: "SO_EXCLUSIVEADDRUSE",
    [`${SOL_SOCKET}/${SO_BROADCAST}`]: "SO_BROADCAST",
    [`${SOL_SOCKET}/${SO_RCVBUF}`]: "SO_RCVBUF",
  };
  return names[`${level}/${name}`] ?? `${level}/${name}`;
}

/** The Windows backend. */
export const winsock: Backend = {
  name: "winsock",
  open(options) {
    return new WinsockSocket(load(), options);
  },
  wrap(handle, ipv6, options) {
    return new WinsockSocket(load(), options, { handle, ipv6 });
  },
};

/** What {@link winsockStats} reports. */
export interface WinsockStats {
  /** The process's handle count (GetProcessHandleCount), or null where it is not kept (Wine answers 0). */
  handles: number | null;
  /** Sockets this module holds Winsock started for (WSAStartup minus WSACleanup). */
  startups: number;
  /** Events this module created and has not closed. */
  events: number;
  /** Sockets with a thread-pool wait registered. */
  waiting: number;
  /** Sockets opened so far with SIO_UDP_CONNRESET turned off. */
  connResetOff: number;
}

/**
 * For tests, soaks and diagnostics: counts that must come back to their baseline when every socket is closed.
 *
 * @example
 * ```ts
 * import { winsockStats } from "./winsock.ts";
 * console.log(winsockStats()); // { handles: 212, startups: 0, events: 0, waiting: 0 }
 * ```
 */
export function winsockStats(): WinsockStats {
  const l = load();
  const out = new Uint8Array(new ArrayBuffer(72)).subarray(0, 4);
  const ok = l.k32.GetProcessHandleCount(l.k32.GetCurrentProcess(), out);
  const count = new DataView(out.buffer).getUint32(0, true);
  return {
    handles: ok && count > 0 ? count : null,
    startups: l.startups,
    events: l.events,
    waiting: l.waiting.size,
    connResetOff: l.connResetOff,
  };
}
