/**
 * The datagram connection: the public surface. Each method checks its arguments (checks.ts) and
 * delegates — receives to a ReceiveQueue, sends to a SendQueue, group joins to a MembershipSet, socket
 * options to SenderOptions — over any backend, without asking which OS it runs on.
 *
 * @module
 */
import type { BackendSocket, ReceiveRequest } from "../ffi/common/backend.ts";
import type { InterfaceLookup } from "../ffi/select.ts";
import type {
  BatchOptions,
  DatagramMessage,
  NetAddr,
  ReceivedMessage,
  ReceiveOptions,
  SendOptions,
} from "../message.ts";
import {
  checkBatchReceive,
  checkBatchSend,
  checkMessagesOptions,
  checkReceive,
  checkSend,
  type MutableRequest,
  type MutableTransmit,
  outOfBounds,
  shrunkBuffer,
} from "./checks.ts";
import { ErrorQueueReader } from "./error_reader.ts";
import { MessageIterator, type MessageSource } from "./message_iterator.ts";
import { ReceiveQueue } from "./receive_queue.ts";
import { hostName, resolveHost } from "./resolve.ts";
import { SendQueue } from "./send_queue.ts";
import type { OutgoingMessage, SendMsgsResult } from "./transmit.ts";

export type { MulticastV4Membership, MulticastV6Membership } from "./multicast.ts";
export type { OutgoingMessage, SendMsgsResult } from "./transmit.ts";

/**
 * Any address `Deno.DatagramConn.send` takes (`Deno.Addr`): a network address, or a Unix or vsock one,
 * which a UDP socket refuses at run time with a TypeError.
 *
 * @example
 * ```ts
 * import type { AnyAddr } from "@recvmsg/recvmsg";
 * const to: AnyAddr = { transport: "udp", hostname: "127.0.0.1", port: 5353 };
 * ```
 */
export type AnyAddr =
  | { readonly hostname: string; readonly port: number; readonly transport?: string }
  | { readonly transport: "unix" | "unixpacket"; readonly path: string }
  | { readonly transport: "vsock"; readonly cid: number; readonly port: number };

/**
 * Handles this module owns, open: adopting one of them again (wrapSocket) would close it under its
 * connection. A handle is forgotten when its connection closes (the number may then be reused).
 */
const owned = new Set<bigint>();

/**
 * Whether a connection of this module holds this socket handle open.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * import { ownsHandle } from "./conn.ts";
 * using conn = listenDatagram({ hostname: "127.0.0.1" });
 * console.log(ownsHandle(conn.rawHandle)); // true
 * ```
 */
export function ownsHandle(handle: bigint): boolean {
  return owned.has(handle);
}

/**
 * Closes the socket of a connection that was dropped without `close()`, as Deno does for leaked
 * resources, and says so once: the fd or SOCKET would otherwise stay open for the life of the process.
 * It holds the backend socket, which never refers back to an idle connection; one with a receive, send
 * or error read pending is reachable from whatever will call it back (see ReceiveQueue.owner), so the
 * socket is never closed under a wait.
 */
let leakWarned = false;
const dropped = new FinalizationRegistry<BackendSocket>((socket) => {
  owned.delete(socket.handle);
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
export class DatagramConn extends ErrorQueueReader
  implements AsyncIterable<[Uint8Array<ArrayBuffer>, NetAddr]>, Disposable, AsyncDisposable {
  readonly #socket: BackendSocket;
  readonly #receives: ReceiveQueue;
  readonly #sends: SendQueue;
  #closed = false;
  /** The request of a receive without options, made once: it is never changed. */
  readonly #defaultRequest: ReceiveRequest;
  /** The request of a receive with options, rewritten by each call: no object per receive. */
  readonly #scratch: MutableRequest;
  /** The transmit of a send, rewritten by each call (a send that waits copies it): no object per send. */
  readonly #transmit: MutableTransmit = {
    data: new Uint8Array(0),
    to: null,
    source: undefined,
    hopLimit: undefined,
    trafficClass: undefined,
    segmentSize: undefined,
  };
  /** What messages() iterators receive through: their options checked once, into a request of their own. */
  readonly #source: MessageSource = {
    prepare: (o, values) => checkMessagesOptions(o, values, this.#socket, this.#defaultRequest),
    tryReceiveFair: (prepared) => {
      const request = prepared as ReceiveRequest;
      // A resizable buffer may have shrunk since: refused as a receive's check would (a detached one is the backend's).
      if (request.target !== null && outOfBounds(request.target)) throw shrunkBuffer("messages");
      return this.#receives.tryReceive(request, true);
    },
    receiveMsg: (o) => this.receiveMsg(o),
  };

  /**
   * @internal Use {@link listenDatagram}. What the system differs in comes from `socket` (its
   * capabilities and option dialect); `interfaces` turns an interface's address into its index and back;
   * `batchSends`: see ListenOptions.batchSends.
   */
  constructor(socket: BackendSocket, interfaces: InterfaceLookup, batchSends = false) {
    super(socket, interfaces);
    this.#socket = socket;
    this.#defaultRequest = Object.freeze({
      target: null,
      peek: false,
      controlSize: socket.defaultControlSize,
      reuse: null,
    });
    this.#scratch = { target: null, peek: false, controlSize: socket.defaultControlSize, reuse: null };
    this.#receives = new ReceiveQueue(socket, this);
    this.#sends = new SendQueue(socket, this, batchSends);
    owned.add(socket.handle);
    dropped.register(this, socket, this);
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
      request = checkReceive(options, this.#socket, this.#scratch, this.#defaultRequest, "receiveMsg");
    } catch (e) {
      return Promise.reject(e);
    }
    // The scratch request is rewritten by the next call: a receive that waits keeps its own.
    return this.#receives.receive(request, options?.signal, "receiveMsg", this.#scratch);
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
    const request = checkReceive(options, this.#socket, this.#scratch, this.#defaultRequest, "tryReceiveMsg");
    return this.#receives.tryReceive(request, false);
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
    const batch = checkBatchReceive(count, options, this.#socket, "receiveMsgs");
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
    if (count > 1 && !this.#closed && !this.#receives.waiting) {
      try {
        more = this.#receives.receiveBatch(batch, 1);
      } catch (e) {
        // The first datagram is in hand: deliver it, and the error with the next receive.
        this.#receives.defer(e);
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
    const batch = checkBatchReceive(count, options, this.#socket, "tryReceiveMsgs");
    this.#receives.throwIfFailed();
    batch.out.length = this.#receives.waiting ? 0 : this.#receives.receiveBatch(batch, 0);
    return batch.out;
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
  async receive(buffer?: Uint8Array): Promise<[Uint8Array<ArrayBuffer>, NetAddr]> {
    const m = await this.receiveMsg(buffer === undefined ? undefined : { buffer });
    // A fresh copy, or a view into the caller's buffer (whose buffer type the caller chose).
    return [m.data as Uint8Array<ArrayBuffer>, m.remoteAddr];
  }

  /**
   * Every datagram as a message, until the socket is closed (then the iteration ends). `options` are read
   * once, here: changing the object afterwards changes nothing (an error in them rejects the first `next()`).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "::", port: 5353 });
   * for await (const msg of conn.messages()) console.log(msg.remoteAddr.hostname, msg.localAddr?.hostname);
   * ```
   */
  messages(options?: Omit<ReceiveOptions, "peek" | "flags">): AsyncIterableIterator<DatagramMessage> {
    return new MessageIterator(this.#source, options as ReceiveOptions | undefined);
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
  async *[Symbol.asyncIterator](): AsyncIterableIterator<[Uint8Array<ArrayBuffer>, NetAddr]> {
    for await (const m of this.messages()) yield [m.data as Uint8Array<ArrayBuffer>, m.remoteAddr];
  }

  /**
   * Sends one datagram; resolves to the bytes sent. A drop-in for `Deno.DatagramConn.send`: it takes any
   * `Deno.Addr` (a Unix or vsock address is a TypeError), and a host name is looked up as Deno looks it up
   * (the system's resolver, its first answer; only IPv4 ones for an IPv4 socket, only IPv6 ones for a
   * socket bound to one IPv6 address). As on Deno, a send to a name goes after its lookup, so a later
   * send to a number may go first. `sendMsg` and the batches take numbers only.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "127.0.0.1" });
   * await conn.send(new TextEncoder().encode("ping"), { hostname: "127.0.0.1", port: 5353 });
   * ```
   */
  send(data: Uint8Array, addr?: AnyAddr | null): Promise<number> {
    if (typeof addr === "object" && addr !== null && !("hostname" in addr)) {
      const transport = (addr as { transport?: unknown }).transport;
      return Promise.reject(
        new TypeError(`send: addr must be a UDP address { hostname, port }, got a ${String(transport)} address`),
      );
    }
    const to = addr as { hostname: string; port: number } | null | undefined;
    const name = typeof to?.hostname === "string" ? hostName(to.hostname) : null;
    if (name === "") {
      return Promise.reject(
        new TypeError(
          `send: addr.hostname must be a numeric IPv4 or IPv6 address or a host name, got ${
            JSON.stringify(to!.hostname)
          }`,
        ),
      );
    }
    return name !== null ? this.#sendToName(data, name, to!.port) : this.#sendMsg(data, to, undefined, "send");
  }

  async #sendToName(data: Uint8Array, name: string, port: number): Promise<number> {
    // Everything but the name is checked before the lookup (with a numeric stand-in of the socket's family).
    const bound = this.addr.hostname;
    const v6 = bound.includes(":");
    checkSend(data, { hostname: v6 ? "::1" : "127.0.0.1", port }, undefined, this.sendContext, "send", this.#transmit);
    if (this.#closed) throw this.#socket.closedError("send");
    // As Deno: the resolver's first answer; only IPv6 ones for a socket bound to one IPv6 address.
    const hostname = await resolveHost(name, !v6 ? 4 : bound === "::" ? 0 : 6, "send");
    return await this.#sendMsg(data, { hostname, port }, undefined, "send");
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
    return this.#sendMsg(data, remoteAddr, options, "sendMsg");
  }

  #sendMsg(
    data: Uint8Array,
    remoteAddr: { hostname: string; port: number } | null | undefined,
    options: SendOptions | undefined,
    method: string,
  ): Promise<number> {
    try {
      checkSend(data, remoteAddr, options, this.sendContext, method, this.#transmit);
    } catch (e) {
      return Promise.reject(e);
    }
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      return Promise.reject(new TypeError(`${method}: signal must be an AbortSignal`));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(this.#socket.closedError(method));
    return this.#sends.send(this.#transmit, signal);
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
    checkSend(data, remoteAddr, options, this.sendContext, "trySendMsg", this.#transmit);
    if (this.#closed) throw this.#socket.closedError("sendMsg");
    return this.#sends.trySend(this.#transmit);
  }

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
   * const answers = batch.map((m) => ({ data: m.data, remoteAddr: m.remoteAddr, localAddr: m.localAddr ?? undefined }));
   * // One refused answer (a sender that forged port 0) costs that answer only: go on after it.
   * for (let from = 0; from < answers.length;) {
   *   const r = await conn.sendMsgs(from === 0 ? answers : answers.slice(from));
   *   from += r.sent;
   *   if (r.error) console.error("no answer to", answers[from++].remoteAddr, r.error);
   * }
   * ```
   */
  sendMsgs(messages: readonly OutgoingMessage[], options?: { signal?: AbortSignal }): Promise<SendMsgsResult> {
    let transmits;
    try {
      transmits = checkBatchSend(messages, this.sendContext, "sendMsgs");
      if (options !== undefined && (typeof options !== "object" || options === null)) {
        throw new TypeError("sendMsgs: options must be an object");
      }
      if (options?.signal !== undefined && !(options.signal instanceof AbortSignal)) {
        throw new TypeError("sendMsgs: signal must be an AbortSignal");
      }
    } catch (e) {
      return Promise.reject(e);
    }
    const signal = options?.signal;
    if (signal?.aborted) return Promise.resolve({ sent: 0, error: signal.reason });
    if (this.#closed) return Promise.reject(this.#socket.closedError("sendMsg"));
    return this.#sends.sendBatch(transmits, signal);
  }

  /** @internal Sends held by batchSends go before the peer or a sender option changes. */
  protected override releaseHeld(): void {
    this.#sends.release();
  }

  /**
   * Resolves when every send made so far has gone to the system; with `batchSends`, what is held goes
   * now, and the promise rejects with the `SocketError` of a held datagram the system refused that no
   * call has reported yet. Call it before `close()` to know that nothing held was lost.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "127.0.0.1", batchSends: true });
   * await conn.sendMsg(new Uint8Array(1), conn.addr); // held
   * await conn.flushSends(); // sent
   * ```
   */
  flushSends(): Promise<void> {
    return this.#sends.drain();
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
    const transmits = checkBatchSend(messages, this.sendContext, "trySendMsgs");
    if (this.#closed) throw this.#socket.closedError("sendMsg");
    return this.#sends.trySendBatch(transmits);
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
    owned.delete(this.#socket.handle);
    this.#sends.release(); // what batchSends holds goes while the socket is open (if the buffer takes it)
    this.settingsClosed();
    this.#socket.close();
    this.#receives.close(() => this.#socket.closedError());
    this.#sends.close(() => this.#socket.closedError("sendMsg"));
    this.errorsClosed();
  }

  /**
   * `using conn = listenDatagram(...)` closes it at the end of the scope.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * {
   *   using conn = listenDatagram({ hostname: "127.0.0.1" });
   * } // closed here
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * `await using conn = listenDatagram(...)`: closes it at the end of the scope, and resolves with {@link closed}.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * {
   *   await using conn = listenDatagram({ hostname: "127.0.0.1" });
   * } // closed here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return this.closed;
  }
}
