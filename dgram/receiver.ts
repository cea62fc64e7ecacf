/**
 * The receive side of a `recvmsg/dgram` socket: a loop over `DatagramConn.receiveMsg` that hands each
 * datagram on as node:dgram's `(msg, rinfo)`, with the packet info node:dgram lacks in `rinfo`, and
 * that lets the process exit while it waits when the socket is unref'd.
 *
 * @module
 */
import { Buffer } from "node:buffer";
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

type Unrefable = { unref?: () => void; ref?: () => void };

/**
 * Receives until stopped. Held by the socket from `listening` to `close`.
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
  #referenced = true;
  #abort: AbortController | null = null;
  #poll: ReturnType<typeof setTimeout> | null = null;

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
    if (this.#referenced || this.#connUnref()) void this.#loop();
    else this.#schedulePoll();
  }

  /** Stops the loop; the connection is closed by the socket. */
  stop(): void {
    this.#running = false;
    this.#abort?.abort();
    if (this.#poll !== null) clearTimeout(this.#poll);
    this.#poll = null;
  }

  /** Whether the loop holds the process open while it waits. */
  set referenced(on: boolean) {
    if (on === this.#referenced) return;
    this.#referenced = on;
    const c = this.#conn as unknown as Unrefable;
    if (typeof c.unref === "function" && typeof c.ref === "function") {
      if (on) c.ref();
      else c.unref();
      return;
    }
    if (!this.#running) return;
    // DatagramConn has no unref yet: an unref'd socket drops its waiting receive (which holds the
    // process) and looks for datagrams on a timer that does not hold it.
    if (on) {
      if (this.#poll !== null) clearTimeout(this.#poll);
      this.#poll = null;
      void this.#loop();
    } else {
      this.#abort?.abort();
      this.#schedulePoll();
    }
  }

  #connUnref(): boolean {
    const c = this.#conn as unknown as Unrefable;
    if (typeof c.unref !== "function") return false;
    c.unref();
    return true;
  }

  async #loop(): Promise<void> {
    const abort = new AbortController();
    this.#abort = abort;
    while (this.#running && !abort.signal.aborted) {
      let m: DatagramMessage | null;
      try {
        m = await this.#conn.receiveMsg({ signal: abort.signal });
        while (m !== null && this.#running) {
          this.#deliver(m);
          m = this.#running ? this.#conn.tryReceiveMsg() : null;
        }
      } catch (e) {
        if (abort.signal.aborted || !this.#running) return;
        if (e instanceof SocketClosedError) return;
        this.#events.error(e);
      }
    }
  }

  #schedulePoll(): void {
    if (this.#poll !== null || !this.#running) return;
    this.#poll = setTimeout(() => {
      this.#poll = null;
      try {
        for (let m = this.#conn.tryReceiveMsg(); m !== null && this.#running; m = this.#conn.tryReceiveMsg()) {
          this.#deliver(m);
        }
      } catch (e) {
        if (!this.#running || e instanceof SocketClosedError) return;
        this.#events.error(e);
      }
      if (!this.#referenced) this.#schedulePoll();
    }, 5);
    unrefTimer(this.#poll);
  }

  #deliver(m: DatagramMessage): void {
    const remote = m.remoteAddr.hostname;
    const v6 = remote.includes(":");
    const local = m.localAddr;
    const rinfo: RemoteInfo = {
      address: v6 ? namedScope(remote) : this.#mapV4 ? `::ffff:${remote}` : remote,
      family: v6 || this.#mapV4 ? "IPv6" : "IPv4",
      port: m.remoteAddr.port,
      size: m.data.length,
      localAddress: local ? namedScope(local.hostname) : undefined,
      interfaceIndex: local?.interfaceIndex,
      interface: local ? interfaceName(local.interfaceIndex) : undefined,
      hopLimit: m.hopLimit,
      truncated: m.truncated,
      broadcast: m.broadcast,
      multicast: m.multicast,
    };
    this.#events.message(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength), rinfo);
  }
}

/** A timer that does not hold the process: `unref()` on Node and Bun, `Deno.unrefTimer` on Deno. */
function unrefTimer(t: ReturnType<typeof setTimeout>): void {
  if (typeof t === "object" && t !== null && "unref" in t) (t as { unref(): void }).unref();
  else {
    const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
    deno?.unrefTimer?.(t as unknown as number);
  }
}
