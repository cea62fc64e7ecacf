/**
 * `Socket`: node:dgram's socket over this module's {@link DatagramConn}: the same events, calls, options
 * and errors, and each datagram's arrival address and interface in `rinfo`.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import { Buffer } from "node:buffer";
import { isIP } from "node:net";
import dns from "node:dns";
import process from "node:process";
import { type DatagramConn, listenDatagram, wrapSocket } from "../mod.ts";
import { bufferSize } from "./buffer_size.ts";
import { Memberships } from "./memberships.ts";
import { ERR, errnoException, fromSocketError } from "./errors.ts";
import { namedScope, numericScope, parseInterfaceArgument } from "./interface_names.ts";
import { Receiver, type RemoteInfo } from "./receiver.ts";
import { parseSendArgs, type SendExtras, type SendRequest } from "./send_args.ts";
import { sendDatagram } from "./send_datagram.ts";
import type { AddressInfo, BindOptions, Message, Part, SendCallback, SocketOptions, SocketType } from "./types.ts";

export type {
  AddressInfo,
  BindOptions,
  LookupFunction,
  Message,
  Part,
  SendCallback,
  SocketOptions,
  SocketType,
} from "./types.ts";
import {
  validateAbortSignal,
  validateBufferSize,
  validateNumber,
  validatePort,
  validateSocketOptions,
  validateString,
} from "./validate.ts";

const UNBOUND = 0, BINDING = 1, BOUND = 2;
const DISCONNECTED = 0, CONNECTING = 1, CONNECTED = 2;

/**
 * A UDP socket with node:dgram's API. Events: `listening`, `message (msg, rinfo)`, `connect`, `error`,
 * `close`. `rinfo` also says where the datagram arrived (`localAddress`, `interfaceIndex`, `interface`,
 * `hopLimit`), and `send(msg, port, address, { source: rinfo })` answers from there.
 *
 * @example
 * ```ts
 * import dgram from "@recvmsg/recvmsg/dgram";
 * const server = dgram.createSocket("udp4");
 * server.on("message", (msg, rinfo) => {
 *   console.log(`${rinfo.address} -> ${rinfo.localAddress} on ${rinfo.interface}`);
 *   server.send(msg, rinfo.port, rinfo.address, { source: rinfo });
 * });
 * server.bind(41234);
 * ```
 */
export class Socket extends EventEmitter {
  /** `"udp4"` or `"udp6"`. */
  readonly type: SocketType;
  #open = true;
  #conn: DatagramConn | null = null;
  /** bind(2) refused the last bind: node:dgram keeps the socket it made, unbound, so address() answers. */
  #bindRefused = false;
  #receiver: Receiver | null = null;
  #bindState = UNBOUND;
  #connectState = DISCONNECTED;
  #queue: Array<() => void> | undefined;
  #referenced = true;
  #sendQueue = { count: 0, size: 0 };
  readonly #options: Omit<SocketOptions, "type" | "signal">;
  readonly #memberships = new Memberships();

  /** Prefer {@link createSocket}. */
  constructor(type: SocketType | SocketOptions, listener?: (msg: Buffer, rinfo: RemoteInfo) => void) {
    super();
    const options = validateSocketOptions(typeof type === "object" && type !== null ? type : { type });
    this.type = options.type;
    this.#options = { ...options };
    if (typeof listener === "function") this.on("message", listener);
    const signal = options.signal;
    if (signal !== undefined) {
      validateAbortSignal(signal, "options.signal");
      const onAbort = () => void (this.#open && this.close());
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener("abort", onAbort);
        this.once("close", () => signal.removeEventListener("abort", onAbort));
      }
    }
  }

  /**
   * Binds: `bind([port][, address][, callback])` or `bind(options[, callback])`; emits `listening`
   * (or `error`, e.g. `bind EADDRINUSE 0.0.0.0:41234`). Returns the socket.
   */
  bind(port?: number | BindOptions | (() => void), address?: string | (() => void), callback?: () => void): this;
  bind(...args: unknown[]): this {
    const first = typeof args[0] === "function" ? null : args[0];
    this.#healthCheck();
    if (this.#bindState !== UNBOUND) throw ERR.alreadyBound();
    // Checked before anything changes: a bad port leaves the socket as it was (deliberately stricter than
    // Node 26, whose bind takes any value and binds a port of the system's choice for most of them).
    const given = first !== null && typeof first === "object" ? (first as BindOptions).port : first;
    const p = given === null || given === undefined ? 0 : validatePort(given, "Port", true);
    this.#bindState = BINDING;
    const cb = args.length > 0 ? args[args.length - 1] : undefined;
    if (typeof cb === "function") {
      // As Node 26: watched through errorMonitor, so an error nobody listens for still throws.
      const onListening = () => {
        this.removeListener(EventEmitter.errorMonitor, removeListeners);
        (cb as () => void).call(this);
      };
      const removeListeners = () => this.removeListener("listening", onListening);
      this.once(EventEmitter.errorMonitor, removeListeners);
      this.once("listening", onListening);
    }
    let address: unknown;
    if (first !== null && typeof first === "object") {
      const o = first as BindOptions;
      if (typeof o.fd === "number" && Number.isInteger(o.fd) && o.fd > 0) {
        try {
          this.#conn = wrapSocket(BigInt(o.fd), { family: this.type === "udp6" ? "IPv6" : "IPv4" });
        } catch (e) {
          this.#bindState = UNBOUND;
          throw fromSocketError(e, "open");
        }
        this.#startListening();
        return this;
      }
      address = o.address || "";
    } else {
      address = typeof args[1] === "function" ? "" : args[1];
    }
    const host = (address as string) || (this.type === "udp4" ? "0.0.0.0" : "::");
    resolveHost(this.type, this.#options.lookup, host, (err, ip, shown) => {
      if (!this.#open) return; // closed meanwhile: no error, no socket
      if (err) {
        this.#bindState = UNBOUND;
        this.emit("error", err);
        return;
      }
      if (otherFamily(this.type, ip)) {
        this.#bindState = UNBOUND;
        this.emit("error", errnoException("EINVAL", "bind", shown, p));
        return;
      }
      try {
        this.#conn = listenDatagram(listenOptions(this.type, this.#options, ip, p));
      } catch (e) {
        this.#bindState = UNBOUND;
        // libuv made the socket before bind(2) refused: node:dgram's address() then reports it unbound.
        this.#bindRefused = true;
        this.emit("error", fromSocketError(e, "bind", shown, p));
        return;
      }
      this.#startListening();
    });
    return this;
  }

  #startListening(): void {
    const conn = this.#conn!;
    this.#bindState = BOUND;
    this.#receiver = new Receiver(conn, this.type === "udp6", {
      message: (msg, rinfo) => {
        const blocked = this.#options.receiveBlockList;
        if (blocked?.check(rinfo.address, rinfo.family === "IPv4" ? "ipv4" : "ipv6")) return;
        this.emit("message", msg, rinfo);
      },
      error: (e) => this.emit("error", fromSocketError(e, "recvmsg")),
    });
    this.#receiver.referenced = this.#referenced;
    this.#receiver.start();
    this.emit("listening");
    if (this.#queue) {
      const queue = this.#queue;
      this.#queue = undefined;
      for (const f of queue) f();
    }
  }

  /** Runs `f` once bound (binding first to a port the system picks, as node:dgram does). */
  #whenBound(f: () => void): boolean {
    if (this.#bindState === UNBOUND) this.bind({ port: 0, exclusive: true });
    if (this.#bindState === BOUND) return true;
    if (this.#queue === undefined) {
      this.#queue = [];
      const onError = () => {
        this.removeListener("listening", onListening);
        this.#queue = undefined;
      };
      const onListening = () => this.removeListener(EventEmitter.errorMonitor, onError);
      this.once(EventEmitter.errorMonitor, onError);
      this.once("listening", onListening);
    }
    this.#queue.push(f);
    return false;
  }

  /**
   * Sends one datagram (the parts of an array joined): `send(msg[, offset, length][, port][, address][, extras][, callback])`.
   * `extras`: `{ source: rinfo }` sends from the address and interface a datagram reached, `{ hopLimit }` sets
   * its TTL. Unbound sockets bind first; errors go to the callback (`send EMSGSIZE 127.0.0.1:9`).
   */
  send(msg: Message, port?: number, address?: string | null, callback?: SendCallback): void;
  /** `send(msg, port, address, extras, callback)`: with `{ source: rinfo }` or `{ hopLimit }`. */
  send(msg: Message, port: number, address: string | null | undefined, extras: SendExtras, cb?: SendCallback): void;
  /** `send(msg, port, callback)`: to the port on the loopback address. */
  send(msg: Message, port?: number, callback?: SendCallback): void;
  /** `send(msg, callback)`: to the connected peer. */
  send(msg: Message, callback?: SendCallback): void;
  /** `send(buffer, offset, length, port, address, callback)`: a part of one buffer. */
  send(msg: Part, offset: number, length: number, port?: number, address?: string | null, cb?: SendCallback): void;
  /** `send(buffer, offset, length, port, address, extras, callback)`: a part of one buffer, with extras. */
  send(
    msg: Part,
    offset: number,
    length: number,
    port: number,
    address: string | null | undefined,
    extras: SendExtras,
    callback?: SendCallback,
  ): void;
  /** `send(buffer, offset, length, callback)`: a part of one buffer, to the connected peer. */
  send(msg: Part, offset: number, length: number, callback?: SendCallback): void;
  send(msg: unknown, ...rest: unknown[]): void {
    const req = parseSendArgs([msg, ...rest], this.#connectState === CONNECTED);
    this.#healthCheck();
    if (!this.#whenBound(() => this.#sendBound(req))) return;
    this.#sendBound(req);
  }

  #sendBound(req: SendRequest): void {
    if (this.#connectState === CONNECTED) return this.#doSend(null, "", req);
    resolveHost(
      this.type,
      this.#options.lookup,
      req.address || (this.type === "udp4" ? "127.0.0.1" : "::1"),
      (err, ip) => this.#doSend(err, ip, req),
    );
  }

  #doSend(err: Error | null, ip: string, req: SendRequest): void {
    const { callback, port } = req;
    const conn = this.#conn;
    if (!err && (!this.#open || conn === null)) return;
    // A failed lookup or a blocked address: the callback's error, else the socket's.
    const refused = err ?? (port && blockedBy(this.#options.sendBlockList, ip) ? ERR.ipBlocked(ip) : null);
    if (refused) return void process.nextTick(() => callback ? callback(refused) : this.emit("error", refused));
    if (port && otherFamily(this.type, ip)) {
      // As libuv refuses it: told to the callback only.
      if (callback) process.nextTick(callback, errnoException("EINVAL", "send", ip, port));
      return;
    }
    sendDatagram(conn!, req, ip, this.#sendQueue);
  }

  /** node:dgram's `sendto(buffer, offset, length, port, address[, callback])`. */
  sendto(buffer: Part, offset: number, length: number, port: number, address: string, callback?: SendCallback): void {
    validateNumber(offset, "offset");
    validateNumber(length, "length");
    validateNumber(port, "port");
    validateString(address, "address");
    this.send(buffer, offset, length, port, address, callback as SendCallback);
  }

  /** Associates the socket with one peer (`connect` event, or the callback); binds first when unbound. */
  connect(port: number, address?: string | ((err?: Error) => void), callback?: (err?: Error) => void): void {
    port = validatePort(port, "Port", false);
    if (typeof address === "function") {
      callback = address;
      address = "";
    } else if (address === undefined) address = "";
    validateString(address, "address");
    if (this.#connectState !== DISCONNECTED) throw ERR.isConnected();
    this.#connectState = CONNECTING;
    const host = address as string;
    const go = () => this.#connect(port, host, callback);
    if (this.#whenBound(go)) go();
  }

  #connect(port: number, address: string, callback: ((err?: Error) => void) | undefined): void {
    if (callback) this.once("connect", callback);
    resolveHost(this.type, this.#options.lookup, address || (this.type === "udp4" ? "127.0.0.1" : "::1"), (err, ip) => {
      if (!this.#open || this.#conn === null) return;
      let ex: unknown = err ?? (blockedBy(this.#options.sendBlockList, ip) ? ERR.ipBlocked(ip) : null);
      if (!ex && otherFamily(this.type, ip)) ex = errnoException("EINVAL", "connect", ip, port);
      if (!ex) {
        try {
          this.#conn.connect({ hostname: ip, port });
        } catch (e) {
          ex = fromSocketError(e, "connect", address, port);
        }
      }
      if (ex) {
        this.#connectState = DISCONNECTED;
        process.nextTick(() => {
          if (callback) {
            this.removeListener("connect", callback);
            callback(ex as Error);
          } else this.emit("error", ex);
        });
        return;
      }
      this.#connectState = CONNECTED;
      process.nextTick(() => this.emit("connect"));
    });
  }

  /** Dissolves the association made by {@link connect}. */
  disconnect(): void {
    if (this.#connectState !== CONNECTED) throw ERR.notConnected();
    try {
      this.#conn!.disconnect();
    } catch (e) {
      throw fromSocketError(e, "connect");
    }
    this.#connectState = DISCONNECTED;
  }

  /** The bound address: `{ address, family, port }`. */
  address(): AddressInfo {
    this.#healthCheck();
    if (this.#conn === null) {
      if (!this.#bindRefused) throw errnoException("EBADF", "getsockname");
      return {
        address: this.type === "udp4" ? "0.0.0.0" : "::",
        family: this.type === "udp4" ? "IPv4" : "IPv6",
        port: 0,
      };
    }
    return info(this.#conn.addr);
  }

  /** The connected peer: `{ address, family, port }`. */
  remoteAddress(): AddressInfo {
    this.#healthCheck();
    if (this.#connectState !== CONNECTED || this.#conn?.remoteAddr == null) throw ERR.notConnected();
    return info(this.#conn.remoteAddr);
  }

  /** Closes the socket; `close` is emitted on the next tick (and `callback` called then). */
  close(callback?: () => void): this {
    if (typeof callback === "function") this.on("close", callback);
    if (this.#queue !== undefined) {
      this.#queue.push(() => this.close());
      return this;
    }
    this.#healthCheck(); // a second close() throws ERR_SOCKET_DGRAM_NOT_RUNNING, as in Node
    this.#open = false;
    this.#receiver?.stop();
    this.#receiver = null;
    this.#conn?.close();
    this.#memberships.clear();
    process.nextTick(() => this.emit("close"));
    return this;
  }

  /** Closes the socket and resolves when `close` was emitted. */
  [Symbol.asyncDispose](): Promise<void> {
    if (!this.#open) return Promise.resolve();
    return new Promise((resolve) => this.close(() => resolve()));
  }

  /** SO_BROADCAST. */
  setBroadcast(flag: boolean): void {
    this.#option("setBroadcast", (c) => c.setBroadcast(!!flag));
  }

  /** The TTL of unicast sends, 1 to 255. */
  setTTL(ttl: number): number {
    validateNumber(ttl, "ttl");
    this.#option("setTTL", (c) => c.setHopLimit(ttl));
    return ttl;
  }

  /** The TTL of multicast sends, 0 to 255. */
  setMulticastTTL(ttl: number): number {
    validateNumber(ttl, "ttl");
    this.#option("setMulticastTTL", (c) => c.setMulticastHopLimit(ttl));
    return ttl;
  }

  /** Whether multicast sends loop back to this host. */
  setMulticastLoopback(flag: boolean): boolean {
    this.#option("setMulticastLoopback", (c) => c.setMulticastLoopback(!!flag));
    return flag;
  }

  /** The interface multicast sends leave by: an IPv4 address of it, or for udp6 `"::%eth0"` / `"::%2"`. */
  setMulticastInterface(interfaceAddress: string): void {
    this.#healthCheck();
    validateString(interfaceAddress, "interfaceAddress");
    this.#option(
      "setMulticastInterface",
      (c) => c.setMulticastInterface(multicastInterfaceIndex(interfaceAddress, this.type)),
    );
  }

  /** Joins a multicast group (on the interface with `interfaceAddress`, or the system's choice). */
  addMembership(multicastAddress: string, interfaceAddress?: string): void {
    this.#join("addMembership", undefined, multicastAddress, interfaceAddress, true);
  }

  /** Leaves a group joined with {@link addMembership}. */
  dropMembership(multicastAddress: string, interfaceAddress?: string): void {
    this.#join("dropMembership", undefined, multicastAddress, interfaceAddress, false);
  }

  /** Joins a source-specific group (RFC 4607): datagrams of `groupAddress` from `sourceAddress` only. */
  addSourceSpecificMembership(sourceAddress: string, groupAddress: string, interfaceAddress?: string): void {
    this.#healthCheck();
    validateString(sourceAddress, "sourceAddress");
    validateString(groupAddress, "groupAddress");
    this.#join("addSourceSpecificMembership", sourceAddress, groupAddress, interfaceAddress, true);
  }

  /** Leaves a source-specific group. */
  dropSourceSpecificMembership(sourceAddress: string, groupAddress: string, interfaceAddress?: string): void {
    this.#healthCheck();
    validateString(sourceAddress, "sourceAddress");
    validateString(groupAddress, "groupAddress");
    this.#join("dropSourceSpecificMembership", sourceAddress, groupAddress, interfaceAddress, false);
  }

  #join(syscall: string, source: string | undefined, group: string, iface: string | undefined, add: boolean): void {
    this.#healthCheck();
    if (!group) throw ERR.missingArgs("multicastAddress");
    const r = { syscall, source, group, iface };
    this.#memberships.check(r, add);
    // node:dgram's socket exists before bind, and libuv binds it for a join: so does this one.
    if (add && this.#conn === null && this.#bindState === UNBOUND) this.#bindNow();
    this.#option(syscall, (c) => add ? this.#memberships.join(c, r) : this.#memberships.leave(r));
  }

  /** A synchronous bind to the wildcard address and a port the system picks (numeric, no lookup). */
  #bindNow(): void {
    this.#conn = listenDatagram(listenOptions(this.type, this.#options, this.type === "udp4" ? "0.0.0.0" : "::", 0));
    this.#bindState = BINDING;
    process.nextTick(() => {
      if (this.#open && this.#bindState === BINDING) this.#startListening();
    });
  }

  /** SO_RCVBUF: what the system gives (Linux doubles what was asked). */
  setRecvBufferSize(size: number): void {
    bufferSize(this.#conn, validateBufferSize(size), "recv");
  }

  /** SO_SNDBUF. */
  setSendBufferSize(size: number): void {
    bufferSize(this.#conn, validateBufferSize(size), "send");
  }

  /** SO_RCVBUF as the system reports it. */
  getRecvBufferSize(): number {
    return bufferSize(this.#conn, 0, "recv");
  }

  /** SO_SNDBUF as the system reports it. */
  getSendBufferSize(): number {
    return bufferSize(this.#conn, 0, "send");
  }

  /** Bytes of datagrams handed to `send` and not yet sent. */
  getSendQueueSize(): number {
    return this.#sendQueue.size;
  }

  /** Datagrams handed to `send` and not yet sent. */
  getSendQueueCount(): number {
    return this.#sendQueue.count;
  }

  /** The socket holds the process open while it is bound (the default). */
  ref(): this {
    this.#referenced = true;
    if (this.#receiver) this.#receiver.referenced = true;
    return this;
  }

  /** The socket no longer holds the process open. */
  unref(): this {
    this.#referenced = false;
    if (this.#receiver) this.#receiver.referenced = false;
    return this;
  }

  /** A socket option through the connection, with node:dgram's errors (`EBADF` before bind). */
  #option(syscall: string, f: (conn: DatagramConn) => void): void {
    if (!this.#open) throw ERR.notRunning();
    if (this.#conn === null) throw errnoException("EBADF", syscall);
    try {
      f(this.#conn);
    } catch (e) {
      throw fromSocketError(e, syscall);
    }
  }

  #healthCheck(): void {
    if (!this.#open) throw ERR.notRunning();
  }
}

/** What `listenDatagram` is asked for a bind with these node:dgram options. */
function listenOptions(
  type: SocketType,
  o: SocketOptions | Omit<SocketOptions, "type">,
  hostname: string,
  port: number,
) {
  return {
    hostname,
    port,
    reuseAddress: o.reuseAddr === true,
    reusePort: o.reusePort === true,
    ipv6Only: type === "udp6" && o.ipv6Only === true,
    receiveBufferSize: o.recvBufferSize || undefined,
    sendBufferSize: o.sendBufferSize || undefined,
    hopLimit: true,
    broadcast: false, // node:dgram's default (Deno's is on): setBroadcast(true) turns it on
  };
}

function info(a: { hostname: string; port: number }): AddressInfo {
  return { address: namedScope(a.hostname), family: a.hostname.includes(":") ? "IPv6" : "IPv4", port: a.port };
}

/**
 * node:dgram's `createSocket(type | options[, listener])`.
 *
 * @example
 * ```ts
 * import { createSocket } from "@recvmsg/recvmsg/dgram";
 * const s = createSocket({ type: "udp6", reuseAddr: true }, (msg, rinfo) => console.log(msg, rinfo.interface));
 * s.bind(5353);
 * ```
 */
export function createSocket(
  type: SocketType | SocketOptions,
  listener?: (msg: Buffer, rinfo: RemoteInfo) => void,
): Socket {
  return new Socket(type, listener);
}

/**
 * Resolves `host` with the `lookup` option or `dns.lookup`, as node:dgram does: `ip` with a numeric scope
 * (`fe80::1%2`), for this module's API, and `shown` as the lookup gave it (`fe80::1%eth0`), for errors.
 */
function resolveHost(
  type: string,
  fn: SocketOptions["lookup"],
  host: string,
  cb: (err: Error | null, ip: string, shown: string) => void,
): void {
  const done = (err: Error | null, ip: string) => cb(err, err ? ip : numericScope(ip), ip);
  // dns.lookup is read at each call, as node:dgram does (it may be replaced); numeric addresses too.
  (fn ?? dns.lookup)(host, type === "udp4" ? 4 : 6, done);
}

/** Whether `ip` is of the other family than a socket of `type`, which node:dgram refuses with EINVAL. */
function otherFamily(type: string, ip: string): boolean {
  return isIP(ip.split("%")[0]) !== (type === "udp4" ? 4 : 6);
}

/** Whether a send block list refuses `ip`. */
function blockedBy(list: SocketOptions["sendBlockList"], ip: string): boolean {
  return list?.check(ip, ip.includes(":") ? "ipv6" : "ipv4") === true;
}

/** The interface `setMulticastInterface` names (an address, or a scope for udp6), with node:dgram's errors. */
function multicastInterfaceIndex(interfaceAddress: string, type: string): number {
  const family = isIP(interfaceAddress.split("%")[0]);
  if (family !== (type === "udp4" ? 4 : 6)) throw errnoException("EINVAL", "setMulticastInterface");
  const found = parseInterfaceArgument(interfaceAddress, type === "udp6");
  if (found === null) throw errnoException("EADDRNOTAVAIL", "setMulticastInterface");
  return found.index;
}
