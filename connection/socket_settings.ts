/**
 * What a connection says about its socket and sets on it: the bound address, the system's handle, the
 * group memberships (multicast.ts) and the socket-wide sender options (sender_options.ts).
 * {@link DatagramConn} extends it with receives and sends.
 *
 * @module
 */
import type { BackendSocket } from "../ffi/common/backend.ts";
import type { InterfaceLookup } from "../ffi/select.ts";
import type { SettableOption } from "../ffi/tables/settings.ts";
import type { NetAddr } from "../message.ts";
import {
  type JoinOptions,
  MembershipSet,
  type MulticastMembership,
  type MulticastV4Membership,
  type MulticastV6Membership,
} from "./multicast.ts";
import { SenderOptions } from "./sender_options.ts";
import { stripBrackets } from "../structs/sockaddr.ts";
import { describeValue as describe } from "../structs/describe.ts";

/**
 * The socket side of a connection: its address and handle, memberships and sender options.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "0.0.0.0", port: 5353, reusePort: true });
 * conn.setMulticastHopLimit(255);
 * using m = conn.joinMulticast("224.0.0.251");
 * console.log(conn.addr.port, m.active); // 5353 true
 * ```
 */
export class SocketSettings {
  readonly #socket: BackendSocket;
  readonly #memberships: MembershipSet;
  readonly #options: SenderOptions;
  #settingsClosed = false;
  /** The local address as last read: at open, and again after each connect() and disconnect(). */
  #addr: NetAddr;
  /** Settled when the socket closes; made on first use of {@link closed}. */
  #closedPromise: Promise<void> | null = null;
  #resolveClosed: (() => void) | null = null;
  /** @internal What the send checks know of the socket; `peer` changes with connect(). */
  protected readonly sendContext: { peer: NetAddr | null; readonly ipv6: boolean; readonly perDatagramDscp: boolean };

  /** @internal Made by {@link DatagramConn}'s constructor. */
  constructor(socket: BackendSocket, interfaces: InterfaceLookup) {
    this.#socket = socket;
    this.#memberships = new MembershipSet(socket, interfaces);
    this.#options = new SenderOptions(socket, interfaces);
    this.#addr = socket.addr;
    this.sendContext = {
      peer: null,
      ipv6: socket.families.ipv6,
      perDatagramDscp: socket.capabilities.perDatagramDscp,
    };
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
    if (this.#settingsClosed) throw this.#socket.closedError("connect");
    const hostname = stripBrackets(remoteAddr.hostname);
    this.releaseHeld();
    this.#socket.connect({ hostname, port });
    this.sendContext.peer = Object.freeze({ transport: "udp" as const, hostname, port });
    this.#addrChanged();
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
    if (this.#settingsClosed) throw this.#socket.closedError("connect");
    if (this.sendContext.peer === null) return;
    this.releaseHeld();
    this.#socket.connect(null);
    this.sendContext.peer = null;
    this.#addrChanged();
  }

  /**
   * The socket keeps the process alive while a receive or a send waits (the default), as `node:dgram`'s
   * `ref()`. Returns the connection.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "127.0.0.1" });
   * conn.unref().ref();
   * ```
   */
  ref(): this {
    if (!this.#settingsClosed) this.#socket.ref(true);
    return this;
  }

  /**
   * The process may exit while a receive or a send of this socket waits, as after `node:dgram`'s
   * `unref()`: the waits go on (and complete if the process lives on for something else). Returns the connection.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * const conn = listenDatagram({ hostname: "127.0.0.1", port: 5353 }).unref();
   * conn.receiveMsg().then((m) => console.log(m.data.length)); // the program ends when nothing else is left
   * ```
   */
  unref(): this {
    if (!this.#settingsClosed) this.#socket.ref(false);
    return this;
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
    return this.sendContext.peer;
  }

  /**
   * Resolves when the socket is closed (by {@link close}, `using`, or `await using`); never rejects.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * const conn = listenDatagram({ hostname: "127.0.0.1" });
   * conn.closed.then(() => console.log("closed"));
   * conn.close();
   * ```
   */
  get closed(): Promise<void> {
    if (this.#closedPromise === null) {
      if (this.#settingsClosed) this.#closedPromise = Promise.resolve();
      else this.#closedPromise = new Promise<void>((resolve) => this.#resolveClosed = resolve);
    }
    return this.#closedPromise;
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
    if (this.#settingsClosed) throw this.#socket.closedError("setsockopt");
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
      if (this.#settingsClosed) throw this.#socket.closedError("setsockopt");
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
      if (this.#settingsClosed) throw this.#socket.closedError("setsockopt");
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
    this.releaseHeld();
    this.#options.set("multicastInterface", interfaceIndex, 0, 0xffffffff, "setMulticastInterface", "interfaceIndex");
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
    this.releaseHeld();
    this.#options.setFlag("multicastLoopback", on, "setMulticastLoopback");
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
    this.releaseHeld();
    this.#options.set("multicastHopLimit", hopLimit, 0, 255, "setMulticastHopLimit", "hopLimit");
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
    this.releaseHeld();
    this.#options.setFlag("broadcast", on, "setBroadcast");
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
    this.releaseHeld();
    this.#options.set("hopLimit", hopLimit, 1, 255, "setHopLimit", "hopLimit");
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
    this.releaseHeld();
    this.#options.setFlag("dontFragment", on, "setDontFragment");
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
    this.releaseHeld();
    this.#options.set("sendBufferSize", bytes, 1, 0x7fffffff, "setSendBufferSize", "bytes");
  }

  /**
   * SO_RCVBUF: the receive buffer's size in bytes (the system may round or double it: read it back with
   * {@link getReceiveBufferSize}). `listenDatagram`'s `receiveBufferSize` sets it at open.
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "0.0.0.0" });
   * conn.setReceiveBufferSize(1 << 20);
   * ```
   */
  setReceiveBufferSize(bytes: number): void {
    this.releaseHeld();
    this.#options.set("receiveBufferSize", bytes, 1, 0x7fffffff, "setReceiveBufferSize", "bytes");
  }

  /**
   * SO_RCVBUF as the system reports it (Linux reports twice what was set: its bookkeeping counts too).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "0.0.0.0", receiveBufferSize: 1 << 20 });
   * console.log(conn.getReceiveBufferSize()); // 2097152 on Linux
   * ```
   */
  getReceiveBufferSize(): number {
    return this.#getInt("receiveBufferSize");
  }

  /**
   * SO_SNDBUF as the system reports it (Linux reports twice what was set).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "0.0.0.0" });
   * console.log(conn.getSendBufferSize() > 0); // true
   * ```
   */
  getSendBufferSize(): number {
    return this.#getInt("sendBufferSize");
  }

  /** An int socket option read back where the option dialect sets it (its first row). */
  #getInt(option: SettableOption): number {
    if (this.#settingsClosed) throw this.#socket.closedError("getsockopt");
    const socket = this.#socket;
    const r = socket.optionDialect.settings(option, 0, socket.families, null)[0];
    return socket.getRawOption(r.level, r.name, r.label);
  }

  /**
   * The local address (with the port the system chose when 0 was asked for). After `connect()` it is the
   * address the system chose to send to that peer from (a socket bound to 0.0.0.0 or :: then says which).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "127.0.0.1" });
   * console.log(conn.addr.port > 0); // true
   * ```
   */
  get addr(): NetAddr {
    return this.#addr;
  }

  /** connect() or disconnect() changed the local address: the system chose (or dropped) one. */
  #addrChanged(): void {
    this.#addr = this.#socket.localAddr();
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
   * @internal Before the peer or a sender option changes: sends `batchSends` holds go first, as the
   * socket was when they were made (DatagramConn sends them).
   */
  protected releaseHeld(): void {}

  /** @internal The socket closed: every membership went with it, and nothing can be set any more. */
  protected settingsClosed(): void {
    this.#settingsClosed = true;
    // After close() has rejected every waiting receive and send.
    const resolve = this.#resolveClosed;
    if (resolve) queueMicrotask(resolve);
    this.#memberships.closed();
    this.#options.close();
  }
}
