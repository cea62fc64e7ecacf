/**
 * The datagram connection: receives with their ancillary data, queued in call order, over any backend.
 *
 * @module
 */
import { amendSocketError, SocketClosedError, SocketError } from "../errors.ts";
import type { BackendSocket, BatchRequest, ReceiveRequest } from "../ffi/common/backend.ts";
import {
  type BatchOptions,
  type DatagramMessage,
  type NetAddr,
  ReceivedMessage,
  type ReceiveOptions,
  type SendOptions,
} from "../message.ts";
import { MSG_PEEK } from "../structs/constants.ts";
import { describeValue } from "../structs/describe.ts";
import { native } from "../ffi/native.ts";
import { stripBrackets } from "../structs/sockaddr.ts";
import type { SendSource } from "../structs/send_control.ts";
import type { OutgoingItem } from "../ffi/posix/sendmmsg.ts";
import { type JoinOptions, MembershipSet, type MulticastMembership } from "./multicast.ts";
import { MessageIterator } from "./message_iterator.ts";

/**
 * What `joinMulticastV4` resolves to: `Deno.MulticastV4Membership`'s shape.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "0.0.0.0", port: 5353 });
 * const m = await conn.joinMulticastV4("224.0.0.251", "0.0.0.0");
 * await m.setTTL(1);
 * await m.leave();
 * ```
 */
export interface MulticastV4Membership {
  /** Leaves the group. */
  leave(): Promise<void>;
  /** Whether this socket's multicast sends loop back to members on this host. */
  setLoopback(loopback: boolean): Promise<void>;
  /** The TTL of this socket's multicast sends. */
  setTTL(ttl: number): Promise<void>;
}

/**
 * What `joinMulticastV6` resolves to: `Deno.MulticastV6Membership`'s shape.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "::", port: 5353 });
 * const m = await conn.joinMulticastV6("ff02::fb", 2);
 * await m.leave();
 * ```
 */
export interface MulticastV6Membership {
  /** Leaves the group. */
  leave(): Promise<void>;
  /** Whether this socket's multicast sends loop back to members on this host. */
  setLoopback(loopback: boolean): Promise<void>;
}

interface Waiter {
  readonly request: ReceiveRequest;
  readonly resolve: (m: DatagramMessage) => void;
  readonly reject: (e: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

/** A send waiting for room in the send buffer: its arguments checked, its data copied. */
interface PendingSend {
  readonly data: Uint8Array;
  readonly to: { hostname: string; port: number } | null;
  readonly local: SendSource | undefined;
  readonly hopLimit: number | undefined;
  readonly trafficClass: number | undefined;
  /** UDP_SEGMENT's size, when the system cuts this buffer. */
  readonly segmentSize?: number;
  readonly resolve: (sent: number) => void;
  readonly reject: (e: unknown) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** A `sendMsgs` batch: its datagrams, how many went, and how it reports. */
  batch?: { readonly items: OutgoingItem[]; done: number; readonly report: (r: SendMsgsResult) => void };
}

/**
 * One datagram of a batch for {@link DatagramConn.sendMsgs}: the data, where to (omit on a connected
 * socket), and the same per-datagram options as `sendMsg`.
 */
export interface OutgoingMessage extends Omit<SendOptions, "signal" | "segmentSize"> {
  /** The datagram. */
  data: Uint8Array;
  /** The destination; absent or null sends to the connected peer. */
  remoteAddr?: { hostname: string; port: number } | null;
}

/** What a batch send did: how many datagrams went (the first ones, in order), and what stopped it. */
export interface SendMsgsResult {
  /** The datagrams sent: `messages[0]` to `messages[sent - 1]`. */
  sent: number;
  /**
   * The error of `messages[sent]`, the first that did not go, or null: all went, or (trySendMsgs only)
   * the send buffer filled.
   */
  error: unknown;
}

const MAX_DATAGRAM = 65535;
/** The most datagrams one UDP_SEGMENT send makes (the kernel's UDP_MAX_SEGMENTS since 4.18); more go as a batch. */
const MAX_SEGMENTS = 64;

/** The error of a segmented send that stopped part way, saying how many segments went before it. */
function segmentsFailed(r: { sent: number; error: unknown }, total: number): unknown {
  const e = r.error;
  if (!(e instanceof SocketError) || e instanceof SocketClosedError) return e;
  return amendSocketError(e, ` (${r.sent} of ${total} segments had been sent)`);
}

/**
 * Closes the socket of a connection that was dropped without `close()`, as Deno does for leaked
 * resources, and says so once: the fd or SOCKET would otherwise stay open for the life of the process.
 * It holds the backend socket, which never refers back to an idle connection.
 */
let leakWarned = false;
const dropped = new FinalizationRegistry<BackendSocket>((socket) => {
  socket.close();
  if (!leakWarned) {
    leakWarned = true;
    console.error(
      "recvmsg: a DatagramConn was garbage-collected without close(); its socket has been closed. Call close() (or declare it with `using`).",
    );
  }
});

/**
 * A UDP socket that reports, for each datagram, where it was sent to and how it arrived.
 * Made by {@link listenDatagram}; its shape follows `Deno.DatagramConn`.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "0.0.0.0", port: 5353 });
 * const msg = await conn.receiveMsg();
 * console.log(msg.remoteAddr.hostname, "->", msg.localAddr?.hostname, msg.data.length);
 * ```
 */
export class DatagramConn implements AsyncIterable<[Uint8Array, NetAddr]>, Disposable {
  readonly #socket: BackendSocket;
  readonly #waiters: Waiter[] = [];
  /** Sends waiting for the socket to become writable, in call order. */
  readonly #sends: PendingSend[] = [];
  readonly #flushSends = (error: unknown): void => this.#flush(error);
  #closed = false;
  /** An error met after a batch had datagrams in hand: the next receive reports it. */
  #deferred: { error: unknown } | null = null;
  readonly #drain = (): void => this.#serve();
  /** The request of a receive without options, made once: it is never changed. */
  readonly #defaultRequest: ReceiveRequest;
  /** The request of a receive with options, rewritten by each call: no object per receive. */
  readonly #scratch: { -readonly [K in keyof ReceiveRequest]: ReceiveRequest[K] };
  /** The last buffer a batch loop cut into segments, and the views (see #segmentViews). */
  readonly #cut: { buffer: Uint8Array | null; segment: number; views: Uint8Array[] } = {
    buffer: null,
    segment: 0,
    views: [],
  };
  readonly #memberships: MembershipSet;
  /** The connected peer, or null. */
  #peer: NetAddr | null = null;

  /** @internal Use {@link listenDatagram}. */
  constructor(socket: BackendSocket) {
    this.#socket = socket;
    this.#defaultRequest = Object.freeze({
      target: null,
      peek: false,
      controlSize: socket.defaultControlSize,
      reuse: null,
    });
    this.#scratch = { target: null, peek: false, controlSize: socket.defaultControlSize, reuse: null };
    this.#memberships = new MembershipSet(socket);
    dropped.register(this, socket, this);
  }

  /**
   * Joins a multicast group, any-source or (with `source`) source-specific, on one interface. IPv4
   * and IPv6 groups alike; a dual-stack socket can join both. Throws a TypeError/RangeError naming the
   * argument (a group that is not multicast, a source that is not unicast, a family the socket lacks,
   * a membership it already has), or the system's SocketError (ENODEV / WSAENXIO for an interface that
   * does not exist, EADDRNOTAVAIL, ...).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "::", port: 5353, reusePort: true });
   * using v4 = conn.joinMulticast("224.0.0.251", { interfaceIndex: 2 });
   * using v6 = conn.joinMulticast("ff02::fb", { interfaceIndex: 2 });
   * for await (const m of conn.messages()) console.log(m.multicast, m.localAddr?.interfaceIndex);
   * ```
   */
  joinMulticast(group: string, options?: JoinOptions): MulticastMembership {
    if (this.#closed) throw this.#socket.closedError("setsockopt");
    return this.#memberships.join(group, options, "joinMulticast");
  }

  /**
   * `Deno.DatagramConn.joinMulticastV4`: joins an IPv4 group on the interface that has
   * `interfaceAddress` ("0.0.0.0": the system's choice).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "0.0.0.0", port: 5353 });
   * const m = await conn.joinMulticastV4("224.0.0.251", "0.0.0.0");
   * ```
   */
  joinMulticastV4(address: string, interfaceAddress: string): Promise<MulticastV4Membership> {
    try {
      if (this.#closed) throw this.#socket.closedError("setsockopt");
      const m = this.#memberships.join(address, { interfaceAddress }, "joinMulticastV4");
      return Promise.resolve({
        leave: () => Promise.resolve(m.leave()),
        setLoopback: (on: boolean) => Promise.resolve(this.setMulticastLoopback(on)),
        setTTL: (ttl: number) => Promise.resolve(this.setMulticastHopLimit(ttl)),
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * `Deno.DatagramConn.joinMulticastV6`: joins an IPv6 group on interface `interfaceIndex`.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "::", port: 5353 });
   * const m = await conn.joinMulticastV6("ff02::fb", 2);
   * ```
   */
  joinMulticastV6(address: string, interfaceIndex: number): Promise<MulticastV6Membership> {
    try {
      if (this.#closed) throw this.#socket.closedError("setsockopt");
      const m = this.#memberships.join(address, { interfaceIndex }, "joinMulticastV6");
      return Promise.resolve({
        leave: () => Promise.resolve(m.leave()),
        setLoopback: (on: boolean) => Promise.resolve(this.setMulticastLoopback(on)),
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * The interface this socket's multicast sends leave by (IP_MULTICAST_IF / IPV6_MULTICAST_IF), by
   * index; 0 lets the system choose. One datagram can name its own with `sendMsg`'s
   * `localAddr.interfaceIndex`.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "0.0.0.0" });
   * conn.setMulticastInterface(2);
   * ```
   */
  setMulticastInterface(interfaceIndex: number): void {
    this.#setOption("multicastInterface", interfaceIndex, 0, 0xffffffff, "setMulticastInterface", "interfaceIndex");
  }

  /**
   * Whether this socket's multicast sends are looped back to members on this host (default on).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "0.0.0.0" });
   * conn.setMulticastLoopback(false);
   * ```
   */
  setMulticastLoopback(on: boolean): void {
    this.#setFlag("multicastLoopback", on, "setMulticastLoopback");
  }

  /**
   * The TTL / hop limit of this socket's multicast sends, 0 to 255 (default 1: the link only).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "0.0.0.0" });
   * conn.setMulticastHopLimit(255); // mDNS sends with 255
   * ```
   */
  setMulticastHopLimit(hopLimit: number): void {
    this.#setOption("multicastHopLimit", hopLimit, 0, 255, "setMulticastHopLimit", "hopLimit");
  }

  /**
   * SO_BROADCAST: whether this socket may send to broadcast addresses.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "0.0.0.0" });
   * conn.setBroadcast(true);
   * ```
   */
  setBroadcast(on: boolean): void {
    this.#setFlag("broadcast", on, "setBroadcast");
  }

  /**
   * The TTL / hop limit of this socket's unicast sends, 1 to 255 (one datagram can set its own with
   * `sendMsg`'s `hopLimit`).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "0.0.0.0" });
   * conn.setHopLimit(64);
   * ```
   */
  setHopLimit(hopLimit: number): void {
    this.#setOption("hopLimit", hopLimit, 1, 255, "setHopLimit", "hopLimit");
  }

  /**
   * Don't fragment: a datagram larger than the path MTU fails with EMSGSIZE / WSAEMSGSIZE instead of
   * being fragmented (Linux IP_MTU_DISCOVER = IP_PMTUDISC_PROBE and IPV6_DONTFRAG; Windows
   * IP_DONTFRAGMENT / IPV6_DONTFRAG; macOS IP_DONTFRAG / IPV6_DONTFRAG). For QUIC and path-MTU probing.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "0.0.0.0" });
   * conn.setDontFragment(true);
   * ```
   */
  setDontFragment(on: boolean): void {
    this.#setFlag("dontFragment", on, "setDontFragment");
  }

  /**
   * SO_SNDBUF: the send buffer's size in bytes (the system may round or double it).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "0.0.0.0" });
   * conn.setSendBufferSize(1 << 20);
   * ```
   */
  setSendBufferSize(bytes: number): void {
    this.#setOption("sendBufferSize", bytes, 1, 0x7fffffff, "setSendBufferSize", "bytes");
  }

  /** A boolean option, checked as one before it is set as 0 or 1. */
  #setFlag(option: "multicastLoopback" | "broadcast" | "dontFragment", on: boolean, method: string): void {
    if (typeof on !== "boolean") throw new TypeError(`${method}: on must be a boolean, got ${describe(on)}`);
    this.#setOption(option, on ? 1 : 0, 0, 1, method, "on");
  }

  #setOption(
    option:
      | "multicastInterface"
      | "multicastLoopback"
      | "multicastHopLimit"
      | "broadcast"
      | "hopLimit"
      | "dontFragment"
      | "sendBufferSize",
    value: number,
    min: number,
    max: number,
    method: string,
    param: string,
  ): void {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`${method}: ${param} must be an integer from ${min} to ${max}, got ${describe(value)}`);
    }
    if (this.#closed) throw this.#socket.closedError("setsockopt");
    this.#memberships.set(option, value);
  }

  /**
   * The bound address (with the port the system chose when 0 was asked for).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "127.0.0.1" });
   * console.log(conn.addr.port > 0); // true
   * ```
   */
  get addr(): NetAddr {
    return this.#socket.addr;
  }

  /**
   * The system's handle of the socket: a Winsock `SOCKET` on Windows, a file descriptor elsewhere, for
   * options this module does not set (through your own FFI call). It stays owned by the connection:
   * do not close it, and do not use it after `close()`.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "127.0.0.1" });
   * console.log(typeof conn.rawHandle); // "bigint"
   * ```
   */
  get rawHandle(): bigint {
    return this.#socket.handle;
  }

  /**
   * Whether this is a raw socket (SOCK_RAW, from `protocol` with `raw` true or unset): an IPv4 raw
   * socket receives each packet with its IP header first. False for UDP and for ICMP datagram sockets.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using ping = listenDatagram({ protocol: "icmp" });
   * console.log(ping.raw ? "raw: data starts with the IP header" : "ICMP datagram socket");
   * ```
   */
  get raw(): boolean {
    return this.#socket.raw;
  }

  /**
   * Receives one datagram with its ancillary data. Completes at once when one is queued; otherwise
   * waits without blocking the event loop. Receives complete in the order they were made.
   * Rejects with {@link SocketClosedError} when the socket is closed, with `signal.reason` on abort,
   * and with a `SocketError` for a system error. A datagram larger than the buffer is not an error:
   * it arrives with `truncated: true`.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ port: 5353 });
   * const buffer = new Uint8Array(1500);
   * const msg = await conn.receiveMsg({ buffer, signal: AbortSignal.timeout(5000) });
   * console.log(msg.localAddr, msg.truncated);
   * ```
   */
  receiveMsg(options?: ReceiveOptions): Promise<DatagramMessage> {
    let request: ReceiveRequest;
    try {
      request = this.#request(options, "receiveMsg");
    } catch (e) {
      return Promise.reject(e);
    }
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(this.#socket.closedError());
    if (this.#deferred) return Promise.reject(this.#takeDeferred());
    if (this.#waiters.length === 0) {
      try {
        const m = this.#socket.tryReceive(request);
        if (m) return Promise.resolve(m);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    // The scratch request is rewritten by the next call: a waiting receive keeps its own.
    if (request === this.#scratch) request = { ...request };
    return new Promise<DatagramMessage>((resolve, reject) => {
      let waiter: Waiter | undefined = undefined;
      const onAbort = signal ? () => this.#abort(waiter!) : undefined;
      waiter = { request, resolve, reject, signal, onAbort };
      signal?.addEventListener("abort", onAbort!, { once: true });
      this.#waiters.push(waiter);
      if (this.#waiters.length === 1) {
        this.#socket.keepAlive(true);
        this.#arm();
      }
    });
  }

  /**
   * Receives one datagram if one is queued, or returns null; never waits. Also null while
   * `receiveMsg` calls are waiting: queued datagrams go to them first, in order.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "127.0.0.1" });
   * const buffer = new Uint8Array(2048);
   * for (let m = conn.tryReceiveMsg({ buffer }); m; m = conn.tryReceiveMsg({ buffer })) console.log(m.data.length);
   * ```
   */
  tryReceiveMsg(options?: Omit<ReceiveOptions, "signal">): DatagramMessage | null {
    const request = this.#request(options, "tryReceiveMsg");
    if (this.#closed) throw this.#socket.closedError();
    if (this.#deferred) throw this.#takeDeferred();
    if (this.#waiters.length > 0) return null;
    return this.#socket.tryReceive(request);
  }

  /**
   * Receives up to `count` queued datagrams at once, waiting (like {@link receiveMsg}) only for the
   * first. On Linux the rest come from one `recvmmsg` call (per 64); elsewhere from immediate receives
   * in a loop. With `buffer`, it is cut into `count` equal segments and message `i`'s `data` is a view
   * into segment `i` (a datagram longer than its segment arrives `truncated`). With `reuse`, the array
   * an earlier batch returned, its messages are overwritten and the same array comes back, its length
   * set to the number received: a batch loop then allocates nothing per datagram.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ port: 5353 });
   * const buffer = new Uint8Array(32 * 1500);
   * for (const m of await conn.receiveMsgs(32, { buffer })) console.log(m.localAddr?.hostname, m.data.length);
   * ```
   */
  async receiveMsgs(count: number, options?: BatchOptions): Promise<DatagramMessage[]> {
    const batch = this.#batchRequest(count, options, "receiveMsgs");
    const out = batch.out;
    const first = await this.receiveMsg({
      buffer: batch.buffer === null ? undefined : batch.buffer.subarray(0, batch.segment),
      controlSize: batch.controlSize,
      signal: options?.signal,
      reuse: out[0] ?? null,
    });
    out[0] = first as ReceivedMessage;
    let more = 0;
    // Receives that started waiting meanwhile come first: the batch takes nothing ahead of them.
    if (count > 1 && !this.#closed && this.#waiters.length === 0) {
      try {
        more = this.#receiveBatch(batch, 1);
      } catch (e) {
        // The first datagram is in hand: deliver it, and the error with the next receive.
        this.#deferred ??= { error: e };
      }
    }
    out.length = 1 + more;
    return out;
  }

  /**
   * Receives up to `count` queued datagrams without waiting: an empty array when none is queued
   * (or while `receiveMsg` calls are waiting: they come first). Options as for {@link receiveMsgs}.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "127.0.0.1" });
   * const buffer = new Uint8Array(64 * 2048);
   * let batch = conn.tryReceiveMsgs(64, { buffer });
   * while (batch.length > 0) batch = conn.tryReceiveMsgs(64, { buffer, reuse: batch });
   * ```
   */
  tryReceiveMsgs(count: number, options?: Omit<BatchOptions, "signal">): DatagramMessage[] {
    const batch = this.#batchRequest(count, options, "tryReceiveMsgs");
    if (this.#closed) throw this.#socket.closedError();
    if (this.#deferred) throw this.#takeDeferred();
    batch.out.length = this.#waiters.length > 0 ? 0 : this.#receiveBatch(batch, 0);
    return batch.out;
  }

  /** Validates a batch's arguments: `count`, `buffer` (cut into segments), `controlSize`, `reuse`. */
  #batchRequest(
    count: number,
    options: BatchOptions | undefined,
    method: string,
  ): BatchRequest & { out: ReceivedMessage[] } {
    if (!Number.isInteger(count) || count < 1 || count > 1024) {
      throw new RangeError(`${method}: count must be an integer from 1 to 1024, got ${describeValue(count)}`);
    }
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw new TypeError(`${method}: options must be an object`);
    }
    const buffer = options?.buffer;
    let segment = MAX_DATAGRAM + 1;
    if (buffer !== undefined) {
      if (!(buffer instanceof Uint8Array)) {
        throw new TypeError(`${method}: buffer must be a Uint8Array, got ${describe(buffer)}`);
      }
      segment = Math.floor(buffer.length / count);
      if (segment < 1) {
        throw new RangeError(`${method}: buffer of ${buffer.length} bytes cannot be cut into ${count} segments`);
      }
    }
    const controlSize = this.#controlSize(options?.controlSize, method);
    const reuse = options?.reuse;
    if (reuse !== undefined && reuse !== null) {
      let ours = Array.isArray(reuse);
      for (let i = 0; ours && i < reuse.length; i++) ours = reuse[i] instanceof ReceivedMessage;
      if (!ours) throw new TypeError(`${method}: reuse must be an array an earlier batch returned, or null`);
    }
    return {
      count,
      buffer: buffer ?? null,
      segment,
      controlSize,
      out: (reuse as ReceivedMessage[] | null | undefined) ?? [],
    };
  }

  /** Immediate receives into `batch.out` from index `from`: one recvmmsg where there is one, else a loop. */
  #receiveBatch(batch: BatchRequest & { out: ReceivedMessage[] }, from: number): number {
    const socket = this.#socket;
    if (socket.tryReceiveMany) return socket.tryReceiveMany(batch, batch.out, from);
    const { buffer, segment, out } = batch;
    const segments = buffer === null ? null : this.#segmentViews(buffer, segment, batch.count);
    let i = from;
    for (; i < batch.count && !this.#closed; i++) {
      const r = this.#scratch;
      r.target = segments === null ? null : segments[i];
      r.peek = false;
      r.controlSize = batch.controlSize;
      r.reuse = out[i] ?? null;
      const m = socket.tryReceive(r);
      if (m === null) break;
      out[i] = m as ReceivedMessage;
    }
    return i - from;
  }

  /**
   * Receives one datagram as `[data, remoteAddr]`: a drop-in for `Deno.DatagramConn.receive`.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ port: 5353 });
   * const [data, from] = await conn.receive();
   * console.log(data.length, from.hostname, from.port);
   * ```
   */
  async receive(buffer?: Uint8Array): Promise<[Uint8Array, NetAddr]> {
    const m = await this.receiveMsg(buffer === undefined ? undefined : { buffer });
    return [m.data, m.remoteAddr];
  }

  /**
   * Every datagram as a message, until the socket is closed (then the iteration ends).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "::", port: 5353 });
   * for await (const msg of conn.messages()) console.log(msg.remoteAddr.hostname, msg.localAddr?.hostname);
   * ```
   */
  messages(options?: Omit<ReceiveOptions, "peek" | "flags">): AsyncIterableIterator<DatagramMessage> {
    const o = options as ReceiveOptions | undefined;
    // A peeking iterator would yield the same datagram forever (refused by the first next(), as before).
    const refused = o?.peek === true || (typeof o?.flags === "number" && o.flags !== 0)
      ? new TypeError("messages: peek and flags are not allowed: each datagram would be yielded again forever")
      : undefined;
    return new MessageIterator(this, o, refused);
  }

  /**
   * Yields `[data, remoteAddr]` like `Deno.DatagramConn`.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ port: 5353 });
   * for await (const [data, from] of conn) console.log(data.length, from.hostname);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncIterator<[Uint8Array, NetAddr]> {
    for await (const m of this.messages()) yield [m.data, m.remoteAddr];
  }

  /**
   * Sends one datagram to a numeric address; resolves to the bytes sent. A drop-in for `Deno.DatagramConn.send`.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "127.0.0.1" });
   * await conn.send(new TextEncoder().encode("ping"), { hostname: "127.0.0.1", port: 5353 });
   * ```
   */
  send(data: Uint8Array, addr?: { hostname: string; port: number } | null): Promise<number> {
    return this.sendMsg(data, addr);
  }

  /**
   * Connects the socket to one peer: from then on it receives only that peer's datagrams, sends
   * without an address go to it (`send(data)`), and on Linux and macOS an ICMP error from it (a
   * closed port) fails the next receive or send with `ECONNREFUSED` (Windows: `WSAECONNRESET`, for a
   * socket opened with `reportUnreachable` or by `connectDatagram`). Calling it again moves to another peer.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "0.0.0.0" });
   * conn.connect({ hostname: "127.0.0.1", port: 53 });
   * await conn.send(new Uint8Array(12));
   * ```
   */
  connect(remoteAddr: { hostname: string; port: number }): void {
    if (typeof remoteAddr !== "object" || remoteAddr === null || typeof remoteAddr.hostname !== "string") {
      throw new TypeError(
        `connect: remoteAddr must be an object with a numeric hostname and a port, got ${describe(remoteAddr)}`,
      );
    }
    const port = remoteAddr.port;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`connect: remoteAddr.port must be an integer from 1 to 65535, got ${describe(port)}`);
    }
    if (this.#closed) throw this.#socket.closedError("connect");
    const hostname = stripBrackets(remoteAddr.hostname);
    this.#socket.connect({ hostname, port });
    this.#peer = Object.freeze({ transport: "udp" as const, hostname, port });
  }

  /**
   * Dissolves the association made by {@link connect}: datagrams from any sender arrive again, and
   * sends need an address. Does nothing on a socket that is not connected.
   *
   * @example
   * ```ts
   * import { connectDatagram } from "@recvmsg/recvmsg";
   * using conn = connectDatagram({ hostname: "127.0.0.1", port: 53 });
   * conn.disconnect();
   * console.log(conn.remoteAddr); // null
   * ```
   */
  disconnect(): void {
    if (this.#closed) throw this.#socket.closedError("connect");
    if (this.#peer === null) return;
    this.#socket.connect(null);
    this.#peer = null;
  }

  /**
   * The peer this socket is connected to, or null.
   *
   * @example
   * ```ts
   * import { connectDatagram } from "@recvmsg/recvmsg";
   * using conn = connectDatagram({ hostname: "127.0.0.1", port: 53 });
   * console.log(conn.remoteAddr); // { transport: "udp", hostname: "127.0.0.1", port: 53 }
   * ```
   */
  get remoteAddr(): NetAddr | null {
    return this.#peer;
  }

  /**
   * Sends one datagram, from a chosen local address and/or interface (IP_PKTINFO / IPV6_PKTINFO) and
   * with a chosen hop limit. A received message's `localAddr` can be passed straight back, so that a
   * server bound to the wildcard address answers from the address the request reached.
   * When the send buffer is full it waits (without blocking the event loop) for room, and sends
   * complete in call order; `signal` aborts a send that waits. Rejects with a `SocketError` for a system
   * error and with {@link SocketClosedError} when the socket is closed while the send waits.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "::", port: 5353 });
   * for await (const msg of conn.messages()) {
   *   await conn.sendMsg(msg.data, msg.remoteAddr, { localAddr: msg.localAddr ?? undefined });
   * }
   * ```
   */
  sendMsg(
    data: Uint8Array,
    remoteAddr?: { hostname: string; port: number } | null,
    options?: SendOptions,
  ): Promise<number> {
    let local: SendSource | undefined;
    let hop: number | undefined;
    let tc: number | undefined;
    let segment: number | undefined;
    try {
      this.#checkSend(data, remoteAddr, options, "sendMsg");
      ({ local, hop, tc, segment } = this.#sendArgs);
    } catch (e) {
      return Promise.reject(e);
    }
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      return Promise.reject(new TypeError("sendMsg: signal must be an AbortSignal"));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(this.#socket.closedError("sendMsg"));
    if (segment !== undefined && !this.#offloads(data, segment)) {
      return this.#sendSegments(data, remoteAddr, segment, signal);
    }
    if (this.#sends.length === 0) {
      try {
        const sent = this.#socket.sendMsg(data, remoteAddr ?? null, local, hop, tc, segment);
        if (sent !== null) return Promise.resolve(sent);
      } catch (e) {
        if (segment !== undefined && this.#offloadRefused(e)) {
          return this.#sendSegments(data, remoteAddr, segment, signal);
        }
        return Promise.reject(e);
      }
    }
    // The send buffer is full: wait for room. The bytes are copied now, as a send would have read them now.
    return new Promise<number>((resolve, reject) => {
      const p: PendingSend = {
        data: data.slice(),
        to: remoteAddr ? { hostname: remoteAddr.hostname, port: remoteAddr.port } : null,
        local: local === undefined ? undefined : { hostname: local.hostname, interfaceIndex: local.interfaceIndex },
        hopLimit: hop,
        trafficClass: tc,
        segmentSize: segment,
        resolve,
        reject,
        signal,
        onAbort: undefined,
      };
      if (signal) {
        p.onAbort = () => this.#abortSend(p);
        signal.addEventListener("abort", p.onAbort, { once: true });
      }
      this.#sends.push(p);
      if (this.#sends.length === 1) this.#socket.whenWritable(this.#flushSends);
    });
  }

  /**
   * {@link sendMsg} without waiting: the bytes sent, or null when the send buffer is full (or while
   * earlier `sendMsg` calls wait for room: they go first).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "0.0.0.0" });
   * conn.trySendMsg(new Uint8Array([1]), { hostname: "127.0.0.1", port: 9 }, { localAddr: { hostname: "127.0.0.2" } });
   * ```
   */
  trySendMsg(
    data: Uint8Array,
    remoteAddr?: { hostname: string; port: number } | null,
    options?: Omit<SendOptions, "signal">,
  ): number | null {
    this.#checkSend(data, remoteAddr, options, "trySendMsg");
    const { local, hop, tc, segment } = this.#sendArgs;
    if (this.#closed) throw this.#socket.closedError("sendMsg");
    if (this.#sends.length > 0) return null;
    if (segment !== undefined && !this.#offloads(data, segment)) return this.#trySegments(data, remoteAddr, segment);
    try {
      return this.#socket.sendMsg(data, remoteAddr ?? null, local, hop, tc, segment);
    } catch (e) {
      if (segment !== undefined && this.#offloadRefused(e)) return this.#trySegments(data, remoteAddr, segment);
      throw e;
    }
  }

  /** Whether this send goes as one buffer the system cuts: the socket offers it, and at most 64 segments. */
  #offloads(data: Uint8Array, segment: number): boolean {
    return this.#socket.segmentOffload && data.length <= segment * MAX_SEGMENTS;
  }

  /** EIO or EINVAL to a segmented send: the system or the driver has no offload (quinn-udp learned the same). */
  #offloadRefused(e: unknown): boolean {
    if (!(e instanceof SocketError) || (e.code !== "EIO" && e.code !== "EINVAL")) return false;
    this.#socket.segmentOffload = false;
    return true;
  }

  /**
   * The segments of a buffer as a batch: views into `data`, which #queueBatch copies for whatever has
   * to wait (a waiting send's data is already a copy).
   */
  #segmentItems(
    data: Uint8Array,
    to: { hostname: string; port: number } | null,
    source: SendSource | undefined,
    hopLimit: number | undefined,
    trafficClass: number | undefined,
    segment: number,
  ): OutgoingItem[] {
    const items: OutgoingItem[] = [];
    for (let at = 0; at < data.length; at += segment) {
      items.push({ data: data.subarray(at, at + segment), to, source, hopLimit, trafficClass });
    }
    return items;
  }

  /** The segments of a send whose arguments #checkSend left in #sendArgs. */
  #checkedSegments(
    data: Uint8Array,
    remoteAddr: { hostname: string; port: number } | null | undefined,
    segment: number,
  ): OutgoingItem[] {
    const { local, hop, tc } = this.#sendArgs;
    return this.#segmentItems(
      data,
      remoteAddr ? { hostname: remoteAddr.hostname, port: remoteAddr.port } : null,
      local,
      hop,
      tc,
      segment,
    );
  }

  /** A segmented send as a batch; rejects, saying how many went, when not all did. */
  #sendSegments(
    data: Uint8Array,
    remoteAddr: { hostname: string; port: number } | null | undefined,
    segment: number,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const items = this.#checkedSegments(data, remoteAddr, segment);
    return this.#queueBatch(items, signal).then((r) =>
      r.error === null ? data.length : Promise.reject(segmentsFailed(r, items.length))
    );
  }

  /** trySendMsg's segmented send as a batch: the bytes of the segments that went (fewer than all when the buffer filled). */
  #trySegments(
    data: Uint8Array,
    remoteAddr: { hostname: string; port: number } | null | undefined,
    segment: number,
  ): number | null {
    const items = this.#checkedSegments(data, remoteAddr, segment);
    const r = this.#sendItems(items, 0);
    if (r.error) throw segmentsFailed(r, items.length);
    return r.sent === 0 ? null : Math.min(data.length, r.sent * segment);
  }

  /** The checked per-send options, rewritten by each #checkSend: no array per send. */
  readonly #sendArgs: {
    local: SendSource | undefined;
    hop: number | undefined;
    tc: number | undefined;
    segment: number | undefined;
  } = { local: undefined, hop: undefined, tc: undefined, segment: undefined };

  /** Validates a send's arguments, before any system call; leaves the options in #sendArgs. */
  #checkSend(
    data: Uint8Array,
    remoteAddr: { hostname: string; port: number } | null | undefined,
    options: SendOptions | undefined,
    method: string,
  ): void {
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(`${method}: data must be a Uint8Array, got ${describe(data)}`);
    }
    if (data.length > MAX_DATAGRAM) {
      throw new RangeError(`${method}: data is ${data.length} bytes; a UDP datagram holds at most ${MAX_DATAGRAM}`);
    }
    if (data.byteLength === 0 && (data.buffer as ArrayBuffer & { detached?: boolean }).detached === true) {
      throw new TypeError(`${method}: data's buffer is detached (transferred); there is nothing to send`);
    }
    if (remoteAddr === undefined || remoteAddr === null) {
      if (this.#peer === null) throw new TypeError(`${method}: remoteAddr is needed: this socket is not connected`);
    } else if (typeof remoteAddr !== "object" || typeof remoteAddr.hostname !== "string") {
      throw new TypeError(`${method}: remoteAddr must be an object with a numeric hostname and a port`);
    }
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw new TypeError(`${method}: options must be an object`);
    }
    const local = options?.localAddr ?? undefined;
    if (local !== undefined) {
      if (typeof local !== "object" || local === null) {
        throw new TypeError(`${method}: localAddr must be an object with hostname and/or interfaceIndex`);
      }
      if (local.hostname !== undefined && typeof local.hostname !== "string") {
        throw new TypeError(`${method}: localAddr.hostname must be a string`);
      }
      const i = local.interfaceIndex;
      if (i !== undefined && (!Number.isInteger(i) || i < 0 || i > 0xffffffff)) {
        throw new RangeError(
          `${method}: localAddr.interfaceIndex must be an integer from 0 to 4294967295, got ${describeValue(i)}`,
        );
      }
    }
    const hop = options?.hopLimit;
    if (hop !== undefined && (!Number.isInteger(hop) || hop < 1 || hop > 255)) {
      throw new RangeError(`${method}: hopLimit must be an integer from 1 to 255, got ${describeValue(hop)}`);
    }
    const ecn = options?.ecn;
    if (ecn !== undefined && (typeof ecn !== "number" || !Number.isInteger(ecn) || ecn < 0 || ecn > 3)) {
      throw new RangeError(`${method}: ecn must be an ECN codepoint from 0 to 3, got ${describeValue(ecn)}`);
    }
    const dscp = options?.dscp;
    if (dscp !== undefined) {
      if (typeof dscp !== "number" || !Number.isInteger(dscp) || dscp < 0 || dscp > 63) {
        throw new RangeError(`${method}: dscp must be an integer from 0 to 63, got ${describeValue(dscp)}`);
      }
      if (native.os === "windows") {
        throw new TypeError(
          `${method}: dscp cannot be set per datagram on Windows (it takes DSCP only through its QoS API); ecn can`,
        );
      }
    }
    const segment = (options as SendOptions | undefined)?.segmentSize;
    if (
      segment !== undefined &&
      (typeof segment !== "number" || !Number.isInteger(segment) || segment < 1 || segment > MAX_DATAGRAM)
    ) {
      throw new RangeError(
        `${method}: segmentSize must be an integer from 1 to ${MAX_DATAGRAM}, got ${describeValue(segment)}`,
      );
    }
    const a = this.#sendArgs;
    // Data that fits one segment is one ordinary datagram.
    a.segment = segment !== undefined && data.length > segment ? segment : undefined;
    a.local = local;
    a.hop = hop;
    a.tc = ecn === undefined && dscp === undefined ? undefined : ((dscp ?? 0) << 2) | (ecn ?? 0);
  }

  /** Room in the send buffer (or a failure of waiting): send what waits, in order, until it is full again. */
  /**
   * Sends many datagrams, each with its own destination, source and hop limit: on Linux one `sendmmsg`
   * per 64, elsewhere one call each. Waits for room when the send buffer fills, in order with the other
   * sends. Resolves with how many went and, when something stopped the batch, the error of the first
   * that did not go (a system error, or `signal.reason`): a partial send is reported exactly, never lost.
   * Bad arguments throw before anything is sent, naming the message (`messages[3].data`).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "::", port: 5353 });
   * const batch = await conn.receiveMsgs(64);
   * const r = await conn.sendMsgs(batch.map((m) => ({ data: m.data, remoteAddr: m.remoteAddr, localAddr: m.localAddr ?? undefined })));
   * if (r.error) console.error(`${r.sent} answers went; then`, r.error);
   * ```
   */
  sendMsgs(messages: readonly OutgoingMessage[], options?: { signal?: AbortSignal }): Promise<SendMsgsResult> {
    let items: OutgoingItem[];
    try {
      items = this.#checkBatchSend(messages, "sendMsgs");
      if (options !== undefined && (typeof options !== "object" || options === null)) {
        throw new TypeError("sendMsgs: options must be an object");
      }
      if (options?.signal !== undefined && !(options.signal instanceof AbortSignal)) {
        throw new TypeError("sendMsgs: signal must be an AbortSignal");
      }
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#queueBatch(items, options?.signal);
  }

  /** Sends a checked batch now, and what does not fit when the buffer fills after the sends already waiting. */
  #queueBatch(items: OutgoingItem[], signal: AbortSignal | undefined): Promise<SendMsgsResult> {
    if (signal?.aborted) return Promise.resolve({ sent: 0, error: signal.reason });
    if (this.#closed) return Promise.reject(this.#socket.closedError("sendMsg"));
    let done = 0;
    if (this.#sends.length === 0) {
      const r = this.#sendItems(items, 0);
      if (r.error || r.sent === items.length) return Promise.resolve({ sent: r.sent, error: r.error });
      done = r.sent;
    }
    // The rest waits for room, copied now as a send would have read it now.
    for (let i = done; i < items.length; i++) items[i] = { ...items[i], data: items[i].data.slice() };
    return new Promise<SendMsgsResult>((resolve) => {
      const p: PendingSend = {
        data: new Uint8Array(0),
        to: null,
        local: undefined,
        hopLimit: undefined,
        trafficClass: undefined,
        resolve: () => {},
        reject: () => {},
        signal,
        onAbort: undefined,
        batch: { items, done, report: resolve },
      };
      if (signal) {
        p.onAbort = () => this.#abortSend(p);
        signal.addEventListener("abort", p.onAbort, { once: true });
      }
      this.#sends.push(p);
      if (this.#sends.length === 1) this.#socket.whenWritable(this.#flushSends);
    });
  }

  /**
   * {@link sendMsgs} without waiting: sends what goes now and returns how many went; `error` is null
   * when they all went or the send buffer filled (then send the rest later).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "127.0.0.1" });
   * const to = { hostname: "127.0.0.1", port: 9 };
   * const r = conn.trySendMsgs([{ data: new Uint8Array([1]), remoteAddr: to }, { data: new Uint8Array([2]), remoteAddr: to }]);
   * console.log(r.sent); // 2
   * ```
   */
  trySendMsgs(messages: readonly OutgoingMessage[]): SendMsgsResult {
    const items = this.#checkBatchSend(messages, "trySendMsgs");
    if (this.#closed) throw this.#socket.closedError("sendMsg");
    if (this.#sends.length > 0) return { sent: 0, error: null };
    const r = this.#sendItems(items, 0);
    return { sent: r.sent, error: r.error };
  }

  /** Checks every message of a batch before anything is sent; the errors name `messages[i]`. */
  #checkBatchSend(messages: readonly OutgoingMessage[], method: string): OutgoingItem[] {
    if (!Array.isArray(messages)) {
      throw new TypeError(
        `${method}: messages must be an array of { data, remoteAddr, ... }, got ${describe(messages)}`,
      );
    }
    return messages.map((m, i) => {
      if (typeof m !== "object" || m === null) {
        throw new TypeError(`${method}: messages[${i}] must be an object with data and remoteAddr`);
      }
      if ((m as SendOptions).segmentSize !== undefined) {
        throw new TypeError(
          `${method}: messages[${i}].segmentSize is not taken here; send a segmented buffer with sendMsg`,
        );
      }
      this.#checkSend(m.data, m.remoteAddr, m, `${method}: messages[${i}]`);
      const { local, hop, tc } = this.#sendArgs;
      // A frozen address (as receives give them) cannot change: kept as it is, the sender can tell it is the same.
      const to = m.remoteAddr
        ? Object.isFrozen(m.remoteAddr) ? m.remoteAddr : { hostname: m.remoteAddr.hostname, port: m.remoteAddr.port }
        : null;
      return { data: m.data, to, source: local, hopLimit: hop, trafficClass: tc };
    });
  }

  /** Sends `items[from...]` until all went, the buffer filled, or an error stopped it. */
  #sendItems(items: readonly OutgoingItem[], from: number): { sent: number; error: unknown; full: boolean } {
    const socket = this.#socket;
    let i = from;
    while (i < items.length) {
      if (socket.sendMany) {
        let r;
        try {
          r = socket.sendMany(items, i);
        } catch (e) {
          return { sent: i - from, error: e, full: false };
        }
        i += r.sent;
        if (r.error || r.full) return { sent: i - from, error: r.error, full: r.full };
        if (r.sent === 0) break;
        continue;
      }
      const item = items[i];
      let sent: number | null;
      try {
        sent = socket.sendMsg(item.data, item.to, item.source, item.hopLimit, item.trafficClass);
      } catch (e) {
        return { sent: i - from, error: e, full: false };
      }
      if (sent === null) return { sent: i - from, error: null, full: true };
      i++;
    }
    return { sent: i - from, error: null, full: false };
  }

  #flush(error: unknown): void {
    const sends = this.#sends;
    while (sends.length > 0 && !this.#closed) {
      const p = sends[0];
      if (p.batch) {
        const b = p.batch;
        const r = error ? { sent: 0, error, full: false } : this.#sendItems(b.items, b.done);
        b.done += r.sent;
        if (r.full) {
          this.#socket.whenWritable(this.#flushSends);
          return;
        }
        sends.shift();
        if (p.onAbort) p.signal!.removeEventListener("abort", p.onAbort);
        b.report({ sent: b.done, error: r.error });
        continue;
      }
      let sent: number | null;
      try {
        if (error) throw error;
        sent = this.#socket.sendMsg(p.data, p.to, p.local, p.hopLimit, p.trafficClass, p.segmentSize);
      } catch (e) {
        if (p.segmentSize !== undefined && !error && this.#offloadRefused(e)) {
          // Sent as a batch of its segments from here, still first in line.
          const items = this.#segmentItems(p.data, p.to, p.local, p.hopLimit, p.trafficClass, p.segmentSize);
          p.batch = {
            items,
            done: 0,
            report: (r) => r.error === null ? p.resolve(p.data.length) : p.reject(segmentsFailed(r, items.length)),
          };
          continue;
        }
        sends.shift();
        this.#settleSend(p, undefined, e);
        continue;
      }
      if (sent === null) {
        this.#socket.whenWritable(this.#flushSends);
        return;
      }
      sends.shift();
      this.#settleSend(p, sent, undefined);
    }
  }

  #abortSend(p: PendingSend): void {
    const i = this.#sends.indexOf(p);
    if (i < 0) return;
    this.#sends.splice(i, 1);
    if (this.#sends.length === 0) this.#socket.stopWritable();
    if (p.batch) return p.batch.report({ sent: p.batch.done, error: p.signal!.reason });
    p.reject(p.signal!.reason);
  }

  #settleSend(p: PendingSend, sent: number | undefined, e: unknown): void {
    if (p.onAbort) p.signal!.removeEventListener("abort", p.onAbort);
    if (p.batch) return p.batch.report({ sent: p.batch.done, error: e });
    if (sent !== undefined) p.resolve(sent);
    else p.reject(e);
  }

  /**
   * Closes the socket. Every receive and send still waiting rejects with {@link SocketClosedError} at once.
   * Closing twice does nothing.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * const conn = listenDatagram({ hostname: "127.0.0.1" });
   * conn.close();
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    dropped.unregister(this);
    this.#memberships.closed();
    this.#socket.close();
    const waiters = this.#waiters.splice(0);
    for (const w of waiters) this.#settle(w, undefined, this.#socket.closedError());
    for (const p of this.#sends.splice(0)) this.#settleSend(p, undefined, this.#socket.closedError("sendMsg"));
  }

  /** `using conn = listenDatagram(...)` closes it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  #arm(): void {
    try {
      this.#socket.whenReadable(this.#drain);
    } catch (e) {
      const w = this.#waiters.shift();
      if (w) this.#settle(w, undefined, e);
    }
  }

  /** A datagram may be queued: serve waiters in order until none is left or the queue is empty. */
  #serve(): void {
    while (this.#waiters.length > 0 && !this.#closed) {
      const w = this.#waiters[0];
      let m: DatagramMessage | null;
      try {
        m = this.#socket.tryReceive(w.request);
      } catch (e) {
        this.#waiters.shift();
        this.#settle(w, undefined, e);
        continue;
      }
      if (m === null) {
        this.#arm();
        return;
      }
      this.#waiters.shift();
      this.#settle(w, m, undefined);
    }
    if (this.#waiters.length === 0) this.#socket.keepAlive(false);
  }

  #takeDeferred(): unknown {
    const e = this.#deferred!.error;
    this.#deferred = null;
    return e;
  }

  #abort(w: Waiter): void {
    const i = this.#waiters.indexOf(w);
    if (i < 0) return;
    this.#waiters.splice(i, 1);
    // The system's wait stays posted: it costs nothing and the next receive reuses it.
    if (this.#waiters.length === 0) this.#socket.keepAlive(false);
    w.reject(w.signal!.reason);
  }

  #settle(w: Waiter, m: DatagramMessage | undefined, e: unknown): void {
    if (w.onAbort) w.signal!.removeEventListener("abort", w.onAbort);
    if (m) w.resolve(m);
    else w.reject(e);
  }

  /**
   * The views of `count` segments of `segment` bytes in `buffer`, kept for the last buffer cut: a
   * batch loop over one buffer makes them once.
   */
  #segmentViews(buffer: Uint8Array, segment: number, count: number): Uint8Array[] {
    const cut = this.#cut;
    if (cut.buffer !== buffer || cut.segment !== segment || cut.views.length < count) {
      cut.buffer = buffer;
      cut.segment = segment;
      cut.views = Array.from({ length: count }, (_, i) => buffer.subarray(i * segment, (i + 1) * segment));
    }
    return cut.views;
  }

  /** Validates a receive's `controlSize`: the socket's default when undefined. */
  #controlSize(controlSize: number | undefined, method: string): number {
    if (controlSize === undefined) return this.#socket.defaultControlSize;
    const { requiredControlSize: min, maxControlSize: max } = this.#socket;
    if (!Number.isInteger(controlSize) || controlSize < 0 || controlSize > max) {
      throw new RangeError(
        `${method}: controlSize must be an integer from 0 to ${max}, got ${describeValue(controlSize)}`,
      );
    }
    if (controlSize < min) {
      throw new RangeError(
        `${method}: controlSize ${controlSize} cannot hold any control message this socket asks for; it needs at least ${min} bytes`,
      );
    }
    return controlSize;
  }

  #request(options: ReceiveOptions | undefined, method: string): ReceiveRequest {
    if (options === undefined) return this.#defaultRequest;
    if (typeof options !== "object" || options === null) throw new TypeError(`${method}: options must be an object`);
    const { buffer, peek, flags, signal, controlSize, reuse } = options;
    if (buffer !== undefined && !(buffer instanceof Uint8Array)) {
      throw new TypeError(`${method}: buffer must be a Uint8Array, got ${describe(buffer)}`);
    }
    if (peek !== undefined && typeof peek !== "boolean") throw new TypeError(`${method}: peek must be a boolean`);
    if (flags !== undefined) {
      // Compared as whole numbers: bit operations would cut 2**40 to 0 and 2**32 + 2 to MSG_PEEK.
      if (typeof flags !== "number" || !Number.isInteger(flags) || flags < 0) {
        throw new RangeError(`${method}: flags must be a non-negative integer, got ${describeValue(flags)}`);
      }
      if (flags !== 0 && flags !== MSG_PEEK) {
        throw new RangeError(
          `${method}: flags may contain only MSG_PEEK (0x2), as WSARecvMsg allows; got 0x${flags.toString(16)}`,
        );
      }
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`${method}: signal must be an AbortSignal`);
    }
    const control = this.#controlSize(controlSize, method);
    if (reuse !== undefined && reuse !== null && !(reuse instanceof ReceivedMessage)) {
      throw new TypeError(
        `${method}: reuse must be a message an earlier receive returned, or null; got ${describe(reuse)}`,
      );
    }
    const r = this.#scratch;
    r.target = buffer ?? null;
    r.peek = peek === true || ((flags ?? 0) & MSG_PEEK) !== 0;
    r.controlSize = control;
    r.reuse = reuse ?? null;
    return r;
  }
}

const describe = describeValue;
