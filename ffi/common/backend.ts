/**
 * What an operating system backend provides to the connection layer. The connection layer keeps the
 * queue of waiting receives, validates arguments and exposes the API; a backend only makes calls.
 *
 * @module
 */
import type { SocketClosedError, SocketError } from "../../errors.ts";
import type { OutgoingItem } from "../posix/sendmmsg.ts";
import { isV4Mapped, parseIPv4, parseIPv6 } from "../../structs/ip.ts";
import type { SendSource } from "../../structs/send_control.ts";
import type { DatagramMessage, ListenOptions, NetAddr, ReceivedMessage } from "../../message.ts";

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
   * Calls `onWritable` once, on the JS thread, when a send may go through without blocking (null), or
   * with the error that ended waiting. No polling. Calling it again before it fired does nothing.
   * While it is pending the process stays alive.
   */
  whenWritable(onWritable: (error: unknown) => void): void;
  /** No longer wants to know (the last waiting send was aborted). */
  stopWritable(): void;
  /**
   * Sends one datagram (to the connected peer when `to` is null), from `source` when given (IP_PKTINFO / IPV6_PKTINFO) and with `hopLimit` when
   * given; returns the bytes sent, or null when the send buffer is full. Throws SocketError.
   */
  sendMsg(
    data: Uint8Array,
    to: { hostname: string; port: number } | null,
    source?: SendSource,
    hopLimit?: number,
    trafficClass?: number,
    segmentSize?: number,
  ): number | null;
  /**
   * Whether a send with `segmentSize` may go as one buffer the system cuts (Linux UDP_SEGMENT). Set
   * false by the connection when the system refuses it (EIO or EINVAL, as drivers without the offload
   * answer); then segments go as a batch.
   */
  segmentOffload: boolean;
  /**
   * Where the system sends many datagrams in one call (Linux sendmmsg): sends `items[from...]` (up to
   * 64) and returns how many went; `error` is the system error that stopped the call before any went
   * (null when the send buffer was full: `full`). Absent elsewhere: the connection sends one by one.
   */
  sendMany?(items: readonly OutgoingItem[], from: number): { sent: number; error: SocketError | null; full: boolean };
  /**
   * Connects the socket to one peer (receives then come only from it, and sends without an address go
   * to it), or with null dissolves the association. Throws a SocketError named `connect`.
   */
  connect(to: { hostname: string; port: number } | null): void;
  /** A raw socket (SOCK_RAW): an IPv4 one receives each packet with its IP header. */
  readonly raw: boolean;
  /** The error for a receive or send on this socket once it is closed (its code is the platform's). */
  closedError(syscall?: string): SocketClosedError;
  /** Closes the socket. Memory the system may still write is released only after it is done. */
  close(): void;
}

/** Socket options as the backend takes them: every default filled in. */
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
  /** Adopts an existing socket handle (a Winsock SOCKET or a file descriptor); it is closed with the connection. */
  wrap(handle: bigint, ipv6: boolean, options: OpenOptions): BackendSocket;
}

/**
 * A destination as the socket must write it: plain IPv4 becomes v4-mapped on an IPv6 (dual-stack)
 * socket, and v4-mapped becomes plain IPv4 on an IPv4 socket; `ipv4` says whether the datagram travels over IPv4 (which picks IP_PKTINFO over IPV6_PKTINFO).
 */
export function destination(hostname: string, socketIsIPv6: boolean): { hostname: string; ipv4: boolean } {
  const host = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  if (parseIPv4(host)) return { hostname: socketIsIPv6 ? `::ffff:${host}` : host, ipv4: true };
  const v6 = parseIPv6(host);
  const mapped = v6 !== null && isV4Mapped(v6.bytes);
  // A v4-mapped destination on an IPv4 socket is the IPv4 address it maps, as a mapped source already is.
  if (mapped && !socketIsIPv6) {
    return { hostname: `${v6.bytes[12]}.${v6.bytes[13]}.${v6.bytes[14]}.${v6.bytes[15]}`, ipv4: true };
  }
  return { hostname: host, ipv4: mapped };
}
