/**
 * The receive side of a `recvmsg/dgram` socket: a loop over `DatagramConn.receiveMsg` that hands each
 * datagram on as node:dgram's `(msg, rinfo)`, one per task as libuv does, with the packet info node:dgram
 * lacks in `rinfo`; an unref'd socket's wait lets the process exit.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { setImmediate } from "node:timers";
import type { DatagramConn, DatagramMessage } from "../mod.ts";
import { SocketClosedError } from "../errors.ts";
import { interfaceName, namedScope } from "./interface_names.ts";

/**
 * What a `message` event's second argument holds: node:dgram's `address`, `family`, `port`, `size`,
 * and where the datagram arrived.
 */
export interface RemoteInfo {
  /** The sender's address (on a `udp6` socket an IPv4 sender is `::ffff:a.b.c.d`, as node:dgram says it). */
  address: string;
  /** `"IPv4"` or `"IPv6"`. */
  family: "IPv4" | "IPv6";
  /** The sender's port. */
  port: number;
  /** The datagram's size in bytes. */
  size: number;
  /** The local address the datagram was sent to (a unicast, broadcast or multicast address); undefined without packet info. */
  localAddress?: string;
  /** The index of the interface it arrived on (what `send`'s `source.interfaceIndex` and the membership calls take). */
  interfaceIndex?: number;
  /** That interface's name, e.g. `"eth0"`. */
  interface?: string;
  /** The TTL / hop limit it arrived with. */
  hopLimit?: number;
  /** It was larger than the receive buffer and was cut (MSG_TRUNC). */
  truncated: boolean;
  /** It arrived as a link-layer broadcast (MSG_BCAST, where the system says so). */
  broadcast: boolean;
  /** It arrived as a link-layer multicast (MSG_MCAST, where the system says so). */
  multicast: boolean;
}

/** What the receive loop reports to its socket. */
export interface ReceiverEvents {
  /** A datagram. */
  message(msg: Buffer, rinfo: RemoteInfo): void;
  /** A receive failed (not because the socket was closed); the loop goes on. */
  error(e: unknown): void;
}

/** At most this many datagrams are read per wake-up, as libuv reads for node:dgram, before the loop turns. */
const BATCH = 32;

/**
 * Where the datagrams after a wake-up's first are received, then copied out at once (so one buffer
 * serves every socket of the thread): large enough for any datagram, as node:dgram's 64 KiB.
 */
let scratch: Uint8Array | null = null;

/** A datagram read and waiting for its own task: node:dgram's `message` arguments. */
interface Read {
  msg: Buffer;
  rinfo: RemoteInfo;
}

/**
 * Receives until stopped. Held by the socket from `listening` to `close`.
 *
 * Each datagram is emitted in a task of its own (`setImmediate`), as libuv calls into node:dgram once per
 * datagram: the nextTicks and microtasks a `message` listener starts all run before the next datagram
 * is emitted (a `for (;;) await once(socket, "message")` loop misses none), and an exception a listener
 * throws is the process's uncaught exception, as in Node, not the receive loop's end. Each `msg` owns
 * its ArrayBuffer (`byteOffset` 0), as node:dgram's do.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "../mod.ts";
 * import { Receiver } from "./receiver.ts";
 * const conn = listenDatagram({ hostname: "127.0.0.1" });
 * const r = new Receiver(conn, false, { message: (m, rinfo) => console.log(m, rinfo), error: console.error });
 * r.start();
 * ```
 */
export class Receiver {
  readonly #conn: DatagramConn;
  readonly #mapV4: boolean;
  readonly #events: ReceiverEvents;
  #running = false;
  #abort: AbortController | null = null;
  /** The datagrams of the last wake-up, emitted in order, one per task. */
  #batch: (Read | undefined)[] = [];
  #emitted = 0;
  /** An error met after the batch's datagrams were read: emitted after them. */
  #error: unknown = null;
  readonly #emitNext = (): void => this.#emitOne();
  readonly #readSoon = (): void => void this.#read();

  /** `mapV4`: report IPv4 senders as `::ffff:a.b.c.d` (a `udp6` socket, as node:dgram does). */
  constructor(conn: DatagramConn, mapV4: boolean, events: ReceiverEvents) {
    this.#conn = conn;
    this.#mapV4 = mapV4;
    this.#events = events;
  }

  /** Starts the loop (once). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    void this.#read();
  }

  /** Stops the loop; what was read and not yet emitted is dropped (the connection is closed by the socket). */
  stop(): void {
    this.#running = false;
    this.#abort?.abort();
    this.#batch = [];
  }

  /** Whether the loop holds the process open while it waits. */
  set referenced(on: boolean) {
    if (on) this.#conn.ref();
    else this.#conn.unref();
  }

  /** Waits for a datagram, reads what else is queued (up to {@link BATCH}), and gives each a task. */
  async #read(): Promise<void> {
    const signal = this.#abort!.signal;
    let first: DatagramMessage;
    try {
      first = await this.#conn.receiveMsg({ signal });
    } catch (e) {
      if (!this.#running || signal.aborted || e instanceof SocketClosedError) return;
      // In a task of its own, as a listener's error would be; the loop goes on after it (never at once:
      // an error that repeats must not keep the event loop from turning).
      this.#error = e;
      this.#batch = [];
      this.#emitted = 0;
      setImmediate(this.#emitNext);
      return;
    }
    if (!this.#running) return;
    const batch: (Read | undefined)[] = [this.#copy(first)];
    this.#error = null;
    try {
      const buffer = scratch ??= new Uint8Array(65536);
      for (let m = this.#conn.tryReceiveMsg({ buffer }); m !== null; m = this.#conn.tryReceiveMsg({ buffer })) {
        batch.push(this.#copy(m));
        if (batch.length === BATCH) break;
      }
    } catch (e) {
      if (!(e instanceof SocketClosedError)) this.#error = e;
    }
    this.#batch = batch;
    this.#emitted = 0;
    for (let i = 0; i < batch.length; i++) setImmediate(this.#emitNext);
    if (this.#error !== null) setImmediate(this.#emitNext);
  }

  /** One task: the next datagram of the batch (or its error); after the last, the next read. */
  #emitOne(): void {
    const batch = this.#batch;
    const i = this.#emitted++;
    const last = i >= batch.length - (this.#error === null ? 1 : 0);
    try {
      if (!this.#running) return;
      if (i < batch.length) {
        const read = batch[i]!;
        batch[i] = undefined;
        this.#events.message(read.msg, read.rinfo);
      } else if (i === batch.length && this.#error !== null) {
        const e = this.#error;
        this.#error = null;
        this.#events.error(e);
      }
    } finally {
      // Even when a listener threw: the exception goes on to the process, the loop goes on here.
      if (last && this.#running && batch === this.#batch) setImmediate(this.#readSoon);
    }
  }

  /** `m`'s bytes in a buffer of their own and its `rinfo`: read now, before the next receive reuses memory. */
  #copy(m: DatagramMessage): Read {
    const remote = m.remoteAddr.hostname;
    const v6 = remote.includes(":");
    const local = m.localAddr;
    const size = m.data.length;
    const rinfo: RemoteInfo = {
      address: v6 ? namedScope(remote) : this.#mapV4 ? `::ffff:${remote}` : remote,
      family: v6 || this.#mapV4 ? "IPv6" : "IPv4",
      port: m.remoteAddr.port,
      size,
      localAddress: local ? namedScope(local.hostname) : undefined,
      interfaceIndex: local?.interfaceIndex,
      interface: local ? interfaceName(local.interfaceIndex) : undefined,
      hopLimit: m.hopLimit,
      truncated: m.truncated,
      broadcast: m.broadcast,
      multicast: m.multicast,
    };
    const own = new ArrayBuffer(size);
    new Uint8Array(own).set(m.data);
    return { msg: Buffer.from(own, 0, size), rinfo };
  }
}
