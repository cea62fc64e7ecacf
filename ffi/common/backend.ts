/**
 * What an operating system backend provides to the connection layer. The connection layer keeps the
 * queue of waiting receives, validates arguments and exposes the API; a backend only makes calls.
 *
 * What a backend learns stays in the backend: it says what the socket can do as data
 * (`capabilities`, `optionDialect`, `Backend.handles`), and a refusal of the system changes that data,
 * never an error code the connection would have to interpret. These are the only source of what the
 * systems differ in above the backends (ffi/select.ts only picks the backend). In particular, a
 * segmented send:
 *
 * 1. The connection sends `data` with `segmentSize` as one {@link Transmit} while
 *    `capabilities.segmentOffload` holds and `data.length <= segmentSize * capabilities.maxSegments`;
 *    otherwise it sends the segments as a batch (`sendMany`, or `send` one by one).
 * 2. `send` returns {@link SEGMENTS_AS_BATCH} when the system will not cut this buffer: nothing was sent,
 *    and the connection sends the segments as a batch (a waiting send becomes a waiting batch, still first).
 * 3. Every other error is thrown as it is, and belongs to this send alone (EMSGSIZE, UDP port 0...).
 *
 * Where the system refuses the batch calls (recvmmsg / sendmmsg under a sandbox), `tryReceiveMany` and
 * `sendMany` go on one datagram per call with the same results; ENOBUFS / ENOMEM from a send is a full
 * buffer (null) for a while, then the error.
 *
 * @module
 */
import type { SocketClosedError, SocketError } from "../../errors.ts";
import { ipv4Bits, isV4Mapped, parseIPv6Into } from "../../structs/ip.ts";
import type { SendSource } from "../../structs/send_control.ts";
import type { OptionDialect } from "./option_dialect.ts";
import type { DatagramMessage, ListenOptions, NetAddr, QueuedError, ReceivedMessage } from "../../message.ts";

/** One receive as the backend performs it, arguments already validated. */
export interface ReceiveRequest {
  /** The caller's buffer (its length is the most read), or null for a fresh copy of up to 64 KiB. */
  readonly target: Uint8Array | null;
  readonly peek: boolean;
  readonly controlSize: number;
  /** A message to overwrite instead of making a new one. */
  readonly reuse: ReceivedMessage | null;
}

/** A batch receive as the backend performs it, arguments already validated. */
export interface BatchRequest {
  /** The most messages in all, counting those already in `out` before `from`. */
  readonly count: number;
  /** The caller's buffer, cut into `count` segments of `segment` bytes; null for fresh copies. */
  readonly buffer: Uint8Array | null;
  readonly segment: number;
  readonly controlSize: number;
}

/**
 * One datagram to send, as it travels through every layer: the bytes, where to, and how. The connection
 * has checked every field; a backend reads it during the call only and keeps none of it (but may keep
 * frozen objects, such as a received message's addresses, to know they are the same next time).
 */
export interface Transmit {
  readonly data: Uint8Array;
  /** The destination, or null for the connected peer. */
  readonly to: { readonly hostname: string; readonly port: number } | null;
  /** Send from this address and/or out of this interface (IP_PKTINFO / IPV6_PKTINFO). */
  readonly source?: SendSource | undefined;
  /** The TTL / hop limit, 1 to 255. */
  readonly hopLimit?: number | undefined;
  /** The TOS byte / traffic class (DSCP << 2 | ECN). Where `perDatagramDscp` is false only ECN is used. */
  readonly trafficClass?: number | undefined;
  /** Cut `data` into datagrams of this many bytes (the last may be shorter); see {@link BackendSocket.send}. */
  readonly segmentSize?: number | undefined;
}

/**
 * What {@link BackendSocket.send} returns when a segmented send was not made because the system will not
 * cut it: the caller sends the segments as a batch. Not a byte count (those are never negative).
 *
 * How the connection uses it (no error code and no system name is tested above the backend):
 * ```ts ignore
 * const sent = socket.send(t);
 * if (sent === SEGMENTS_AS_BATCH) return sendAsBatch(segmentsOf(t)); // and later sends check capabilities first
 * ```
 * The backend decides: EIO, or EINVAL from a send whose destination and segment size are valid (port
 * not 0, segments that fit the path), means the system refuses the offload: `capabilities.segmentOffload`
 * turns false for the socket's life. A segment larger than the path allows is this send's alone: it goes
 * as a batch, and offload stays on. A peer's address never turns offload off: port 0 fails the send.
 */
export const SEGMENTS_AS_BATCH = -1;

/** What a socket can do (see {@link BackendSocket.capabilities}). */
export interface Capabilities {
  /** The system cuts a segmented send (Linux UDP_SEGMENT); false once it refused. */
  segmentOffload: boolean;
  /** The most segments one offloaded send may carry (0 without offload). */
  readonly maxSegments: number;
  /** Receives are served from datagrams read ahead in one call (Linux recvmmsg with `readAhead` > 1); false once refused. */
  readAhead: boolean;
  /** `tryReceiveMany` takes many datagrams in one system call (false where it falls back to one per call). */
  batchReceive: boolean;
  /** `sendMany` sends many datagrams in one system call (false where it falls back to one per call). */
  batchSend: boolean;
  /** A send's `trafficClass` sets the DSCP too (Linux, macOS); false where only ECN is taken (Windows). */
  readonly perDatagramDscp: boolean;
}

/**
 * A socket's error queue (`receiveErrors: true`), where the system keeps one (Linux IP_RECVERR). With it,
 * the backend never fails a receive or send because of a queued ICMP error: the error is a record here.
 */
export interface BackendErrorQueue {
  /** The oldest record, or null when none is queued; never waits. Throws SocketError. */
  take(): QueuedError | null;
  /**
   * Calls `onQueued` once, on the JS thread, when a record may be queued (null), or with the error that
   * ended waiting. No polling. Calling it again before it fired replaces the callback.
   */
  whenQueued(onQueued: (error: SocketError | null) => void): void;
  /** No longer wants to know (the last waiting reader was aborted). */
  stop(): void;
  /** Records the backend took from the system and dropped, because it kept as many as it keeps already. */
  readonly dropped: number;
}

/** An open datagram socket of some backend. */
export interface BackendSocket {
  /** The address the socket is bound to. */
  readonly addr: NetAddr;
  /** The system's handle: a Winsock SOCKET, or a file descriptor. */
  readonly handle: bigint;
  /** Which families the socket carries: IPv4 (an IPv4 or dual-stack socket), IPv6. */
  readonly families: { readonly ipv4: boolean; readonly ipv6: boolean };
  /** The control-buffer size that holds everything the socket's options ask for, with room to spare. */
  readonly defaultControlSize: number;
  /** The smallest control buffer that can hold any one record the options ask for (0 when none). */
  readonly requiredControlSize: number;
  /** The largest control buffer a receive may ask for. */
  readonly maxControlSize: number;
  /** One receive without waiting: a message, or null when nothing is queued. Throws SocketError. */
  tryReceive(request: ReceiveRequest): DatagramMessage | null;
  /**
   * Where the system receives many datagrams in one call (recvmmsg): fills `out[from]`, `out[from + 1]`...
   * (overwriting the messages already there) with what is queued, up to `request.count - from`, and
   * returns how many. Message `i` lands in segment `i` of the buffer. Absent where there is no such call.
   */
  tryReceiveMany?(request: BatchRequest, out: ReceivedMessage[], from: number): number;
  /**
   * Calls `onReadable` once, on the JS thread, when a datagram may be waiting (or the socket fails or
   * closes). No polling: the wait happens in the system. Calling it again before it fired does nothing.
   */
  whenReadable(onReadable: () => void): void;
  /**
   * setsockopt with the bytes given (copied to memory the call can read), for options built from the
   * tables of ffi/tables/settings.ts. Throws a SocketError named `setsockopt(label)`.
   */
  setRawOption(level: number, name: number, value: Uint8Array, label: string): void;
  /** While true, a pending wait keeps the process alive. */
  keepAlive(on: boolean): void;
  /**
   * Whether this socket's waits (a receive's, a send's) keep the process alive at all (true at first):
   * with false they go on, but the process may exit while they wait (`DatagramConn.unref`).
   */
  ref(on: boolean): void;
  /** The local address now (getsockname again): after `connect` the system has chosen the address sent from. */
  localAddr(): NetAddr;
  /**
   * getsockopt of an int option (level and name from the tables of ffi/tables/settings.ts). Throws a
   * SocketError named `getsockopt(label)`.
   */
  getRawOption(level: number, name: number, label: string): number;
  /**
   * Calls `onWritable` once, on the JS thread, when a send may go through without blocking (null), or
   * with the error that ended waiting. No polling. Calling it again before it fired does nothing.
   * While it is pending the process stays alive.
   */
  whenWritable(onWritable: (error: unknown) => void): void;
  /** No longer wants to know (the last waiting send was aborted). */
  stopWritable(): void;
  /**
   * Sends one datagram (a buffer the system cuts, with `t.segmentSize`), without waiting. Returns the
   * bytes sent; null when the send buffer is full (or the system is short of memory for it, ENOBUFS /
   * ENOMEM: wait as for room); or {@link SEGMENTS_AS_BATCH} when `t.segmentSize` was given and the system
   * will not cut this buffer: nothing was sent, send its segments as a batch (`capabilities.segmentOffload`
   * tells whether the socket learned that for good). Throws SocketError; a destination the system can
   * never deliver to (UDP port 0) throws before any system call, and that send alone fails.
   */
  send(t: Transmit): number | null;
  /**
   * What the socket can do, as data: read by the connection instead of asking which system it is on.
   * `segmentOffload` and the batch flags are learned: they turn false when the system refuses.
   */
  readonly capabilities: Capabilities;
  /**
   * Where the system sends many datagrams in one call (Linux sendmmsg): sends `items[from...]` (up to
   * 64) and returns how many went; `error` is the system error that stopped the call before any went
   * (null when the send buffer was full: `full`). Items carry no `segmentSize`. Where the system refuses
   * the batch call (a sandbox), it sends one by one, the same result. Absent where the system has no
   * such call: the connection sends one by one with {@link send}.
   */
  sendMany?(items: readonly Transmit[], from: number): { sent: number; error: SocketError | null; full: boolean };
  /**
   * Connects the socket to one peer (receives then come only from it, and sends without an address go
   * to it), or with null dissolves the association. Throws a SocketError named `connect`.
   */
  connect(to: { hostname: string; port: number } | null): void;
  /** How this system's sender options and memberships are written (ffi/common/option_dialect.ts). */
  readonly optionDialect: OptionDialect;
  /** A raw socket (SOCK_RAW): an IPv4 one receives each packet with its IP header. */
  readonly raw: boolean;
  /** The error queue, when the socket was opened with `receiveErrors: true` (see {@link Backend.errorQueue}). */
  readonly errorQueue?: BackendErrorQueue | null;
  /** The error for a receive or send on this socket once it is closed (its code is the platform's). */
  closedError(syscall?: string): SocketClosedError;
  /** Closes the socket. Memory the system may still write is released only after it is done. */
  close(): void;
}

/** Socket options as the backend takes them: every default filled in (held sends are the connection's, not the backend's). */
export type OpenOptions =
  & Required<
    Omit<
      ListenOptions,
      | "receiveBufferSize"
      | "multicastInterface"
      | "multicastLoopback"
      | "multicastHopLimit"
      | "dontFragment"
      | "sendBufferSize"
      | "protocol"
      | "raw"
      | "transport"
      | "loopback"
      | "batchSends"
    >
  >
  & {
    receiveBufferSize?: number;
    /** The IP protocol number: 17 for UDP (the default), 1 ICMP, 58 ICMPv6, or any other for a raw socket. */
    protocol: number;
    raw?: boolean;
  };

/** UDP's protocol number. */
export const UDP = 17;

/**
 * The kinds of socket to try for a protocol, in order, until one is allowed: UDP is a datagram socket;
 * ICMP and ICMPv6 without `raw` try the ICMP datagram ("ping") socket first where the system has one,
 * then a raw socket; `raw: true` only a raw socket; `raw: false` only the datagram one (none where the
 * system has no ping sockets). Any other protocol is raw.
 *
 * @example
 * ```ts
 * import { socketKinds } from "./backend.ts";
 * console.log(socketKinds(1, undefined, true)); // [false, true]: datagram, then raw
 * ```
 */
export function socketKinds(protocol: number, raw: boolean | undefined, pingSockets: boolean): boolean[] {
  if (protocol === UDP) return [false];
  const icmp = protocol === 1 || protocol === 58;
  if (raw === true || !icmp) return [true];
  if (raw === false) return pingSockets ? [false] : [];
  return pingSockets ? [false, true] : [true];
}

/** A backend: opens sockets, or adopts one made elsewhere. */
export interface Backend {
  readonly name: string;
  open(options: OpenOptions): BackendSocket;
  /** The handles `wrap` takes: the largest, and what they are (for the RangeError of a bad one). */
  readonly handles: { readonly max: bigint; readonly description: string };
  /**
   * Whether the system keeps a per-socket queue of ICMP errors that `receiveErrors: true` turns on
   * (Linux: IP_RECVERR); absent or false elsewhere, and the option is refused before any call.
   */
  readonly errorQueue?: boolean;
  /** Adopts an existing socket handle (a Winsock SOCKET or a file descriptor); it is closed with the connection. */
  wrap(handle: bigint, ipv6: boolean, options: OpenOptions): BackendSocket;
  /**
   * The addresses the system's resolver (getaddrinfo) gives for a host name, of IPv`family` (0: either),
   * in its order; synchronous, as `Deno.listenDatagram` looks its hostname up. Throws a `SocketError`
   * named for the resolver's code when it gives none.
   */
  lookup(name: string, family: 0 | 4 | 6): string[];
}

/** Where {@link destination} parses IPv6 text: once, not per send (a new typed array costs a microsecond on Deno). */
const V6 = new Uint8Array(16);

/**
 * A destination as the socket must write it: plain IPv4 becomes v4-mapped on an IPv6 (dual-stack)
 * socket, and v4-mapped becomes plain IPv4 on an IPv4 socket; `ipv4` says whether the datagram travels over IPv4 (which picks IP_PKTINFO over IPV6_PKTINFO).
 */
export function destination(hostname: string, socketIsIPv6: boolean): { hostname: string; ipv4: boolean } {
  const host = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  if (ipv4Bits(host) >= 0) return { hostname: socketIsIPv6 ? `::ffff:${host}` : host, ipv4: true };
  const v6 = V6;
  const mapped = parseIPv6Into(host, v6, 0) >= 0 && isV4Mapped(v6);
  // A v4-mapped destination on an IPv4 socket is the IPv4 address it maps, as a mapped source already is.
  if (mapped && !socketIsIPv6) return { hostname: `${v6[12]}.${v6[13]}.${v6[14]}.${v6[15]}`, ipv4: true };
  return { hostname: host, ipv4: mapped };
}
