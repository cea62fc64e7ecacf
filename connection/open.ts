/**
 * Opening connections: `listenDatagram`, `connectDatagram` and `wrapSocket` check their options, fill
 * in the defaults, open (or adopt) the socket through this system's backend (ffi/select.ts) and make
 * the {@link DatagramConn} over it, with this machine's interface lookup passed explicitly.
 *
 * @module
 */
import type { OpenOptions } from "../ffi/common/backend.ts";
import { platform } from "../ffi/select.ts";
import { bindFailure, SocketError } from "../errors.ts";
import type { ListenOptions } from "../message.ts";
import { describeValue } from "../structs/describe.ts";
import { ipv4Bits, isV4Mapped, parseIPv4, parseIPv6 } from "../structs/ip.ts";
import { stripBrackets } from "../structs/sockaddr.ts";
import { refuseUnknownKeys } from "./checks.ts";
import { hostName, lookupHost } from "./resolve.ts";
import { DatagramConn, ownsHandle } from "./conn.ts";

const BOOLEAN_OPTIONS = [
  "ipv6Only",
  "packetInfo",
  "hopLimit",
  "ecn",
  "reuseAddress",
  "reportUnreachable",
  "reusePort",
  "broadcast",
  "coalesce",
  "multicastLoopback",
  "dontFragment",
  "timestamps",
  "loopback",
  "receiveErrors",
  "batchSends",
] as const;

/**
 * Every option `listenDatagram` takes, as a record of ListenOptions' keys so that the compiler says when
 * one is added there and not here: any other key is refused with a TypeError naming it.
 */
const LISTEN_OPTIONS: Record<keyof ListenOptions, true> = {
  transport: true,
  loopback: true,
  hostname: true,
  port: true,
  ipv6Only: true,
  packetInfo: true,
  hopLimit: true,
  reuseAddress: true,
  reportUnreachable: true,
  reusePort: true,
  dontFragment: true,
  sendBufferSize: true,
  multicastInterface: true,
  multicastLoopback: true,
  multicastHopLimit: true,
  broadcast: true,
  receiveBufferSize: true,
  timestamps: true,
  ecn: true,
  coalesce: true,
  readAhead: true,
  receiveErrors: true,
  batchSends: true,
  protocol: true,
  raw: true,
};
const LISTEN_KEYS: ReadonlySet<string> = new Set(Object.keys(LISTEN_OPTIONS));
/** `connectDatagram`'s: the peer (hostname, port), where to bind (localAddr), and every listen option. */
const CONNECT_KEYS: ReadonlySet<string> = new Set([...LISTEN_KEYS, "localAddr"]);
/** `wrapSocket`'s: the listen options but the address (the socket has its own), and `family`. */
const WRAP_KEYS: ReadonlySet<string> = new Set(
  [...LISTEN_KEYS, "family"].filter((k) => k !== "hostname" && k !== "port"),
);

/**
 * Opens a UDP socket bound to `hostname:port` that reports each datagram's ancillary data.
 * Throws a `TypeError`/`RangeError` naming the option for bad input (before any system call), and a
 * {@link SocketError} when the system refuses (for example `WSAEADDRINUSE`).
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "::", port: 0, hopLimit: true }); // dual-stack
 * console.log(conn.addr); // { transport: "udp", hostname: "::", port: 49152 }
 * ```
 */
export function listenDatagram(options: ListenOptions = {}): DatagramConn {
  const o = validateOptions(options, "listenDatagram", LISTEN_KEYS);
  let socket;
  try {
    socket = platform.backend.open(o);
  } catch (e) {
    // Node users read `bind EADDRINUSE 127.0.0.1:53`, and a hint what to try.
    throw e instanceof SocketError && e.syscall === "bind" ? bindFailure(e, o.hostname, o.port) : e;
  }
  return configure(new DatagramConn(socket, platform.interfaces, options.batchSends === true), options);
}

/** The sender options of `listenDatagram`, set once the socket is open (closed again if one fails). */
function configure(conn: DatagramConn, options: ListenOptions): DatagramConn {
  try {
    if (options.multicastInterface !== undefined) conn.setMulticastInterface(options.multicastInterface);
    // Deno's `loopback` is the same switch (checked to agree with multicastLoopback before the socket opened).
    const loopback = options.multicastLoopback ?? options.loopback;
    if (loopback !== undefined) conn.setMulticastLoopback(loopback);
    if (options.multicastHopLimit !== undefined) conn.setMulticastHopLimit(options.multicastHopLimit);
    if (options.dontFragment !== undefined) conn.setDontFragment(options.dontFragment);
    if (options.sendBufferSize !== undefined) conn.setSendBufferSize(options.sendBufferSize);
  } catch (e) {
    conn.close();
    throw e;
  }
  return conn;
}

/**
 * Options of {@link connectDatagram}: the peer, where to bind, and any listen option.
 *
 * @example
 * ```ts
 * import { connectDatagram } from "@recvmsg/recvmsg";
 * using conn = connectDatagram({ hostname: "127.0.0.1", port: 53, localAddr: { hostname: "127.0.0.1" }, hopLimit: true });
 * ```
 */
export interface ConnectOptions extends Omit<ListenOptions, "hostname" | "port"> {
  /** The peer: a numeric address, or a host name looked up at once (the resolver's first address). */
  hostname: string;
  /** The peer's port. */
  port: number;
  /** Where to bind: default the wildcard of the peer's family and a port the system picks. */
  localAddr?: { hostname?: string; port?: number };
}

/**
 * Opens a UDP socket connected to one peer, for clients (DNS, QUIC, syslog): `send(data)` without an
 * address, datagrams only from that peer, `remoteAddr`, and an ICMP error from the peer surfaced as
 * the system names it (`ECONNREFUSED` on Linux and macOS, `WSAECONNRESET` on Windows, where
 * `reportUnreachable` defaults to true here).
 *
 * @example
 * ```ts
 * import { connectDatagram } from "@recvmsg/recvmsg";
 * using conn = connectDatagram({ hostname: "127.0.0.1", port: 53 });
 * await conn.send(new Uint8Array(12));
 * const reply = await conn.receiveMsg({ signal: AbortSignal.timeout(2000) });
 * console.log(reply.localAddr?.hostname);
 * ```
 */
export function connectDatagram(options: ConnectOptions): DatagramConn {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("connectDatagram: options must be an object with hostname and port");
  }
  refuseUnknownKeys(options, CONNECT_KEYS, "connectDatagram", "option");
  if (typeof options.hostname !== "string") {
    throw new TypeError(
      `connectDatagram: hostname must be a string (an IPv4 or IPv6 address or a host name), got ${
        describeValue(options.hostname)
      }`,
    );
  }
  const local = options.localAddr ?? {};
  if (typeof local !== "object" || local === null) {
    throw new TypeError("connectDatagram: localAddr must be an object with hostname and/or port");
  }
  refuseUnknownKeys(local, LOCAL_KEYS, "connectDatagram: localAddr", "key");
  const name = hostName(options.hostname);
  // The peer is checked before the socket is made: a bad one costs no system call (and no busy local port
  // can hide its error).
  if (name === "") {
    throw new TypeError(
      `connectDatagram: hostname must be a numeric IPv4 or IPv6 address or a host name, got ${
        JSON.stringify(options.hostname)
      }`,
    );
  }
  const port = options.port;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`connectDatagram: port must be an integer from 1 to 65535, got ${describeValue(port)}`);
  }
  const { hostname: _h, port: _p, localAddr: _l, ...rest } = options;
  const bindOptions = { ...rest, port: local.port ?? 0, reportUnreachable: options.reportUnreachable ?? true };
  // A localAddr hostname of null or undefined is left out: the wildcard of the peer's family is bound.
  const localHost = local.hostname ?? undefined;
  // Every option is checked before any name is looked up. The wildcard stands in for a bind address left
  // out: of a numeric peer's family (as it is bound then), or of the family the options need for a named
  // peer. A named localAddr is only checked for its form here.
  const v6Wanted = name === null
    ? ipv4Bits(stripBrackets(options.hostname)) < 0
    : options.ipv6Only === true || options.protocol === "icmpv6" || options.protocol === 58;
  const checked = asConnectError(() =>
    validateOptions(
      { ...bindOptions, hostname: localHost ?? (v6Wanted ? "::" : "0.0.0.0") },
      "listenDatagram",
      LISTEN_KEYS,
      undefined,
      false,
    )
  );
  // Then the names: the local one first, and the peer's of the family the options or the bind address need
  // (ICMP IPv4; ICMPv6 and ipv6Only IPv6; a specific local address its own; else the resolver's first).
  let family: 0 | 4 | 6 = checked.protocol === 1 ? 4 : checked.protocol === 58 || checked.ipv6Only ? 6 : 0;
  const localName = typeof localHost === "string" ? hostName(localHost) : null;
  const bind = localName ? lookupHost(platform.backend, localName, family) : localHost;
  if (family === 0 && bind !== undefined) family = familyOfBind(stripBrackets(bind));
  const peer = name === null ? stripBrackets(options.hostname) : lookupHost(platform.backend, name, family);
  const v4 = parseIPv4(peer) !== null;
  const v6 = !v4 && parseIPv6(peer) !== null;
  if (!v4 && !v6) {
    throw new TypeError(
      `connectDatagram: hostname must be a numeric IPv4 or IPv6 address or a host name, got ${
        JSON.stringify(options.hostname)
      }`,
    );
  }
  const conn = asConnectError(() => listenDatagram({ ...bindOptions, hostname: bind ?? (v6 ? "::" : "0.0.0.0") }));
  try {
    conn.connect({ hostname: peer, port: options.port });
  } catch (e) {
    conn.close();
    if (e instanceof RangeError || e instanceof TypeError) {
      throw new (e.constructor as RangeErrorConstructor)(
        e.message.replace(/^connect: remoteAddr\./, "connectDatagram: ").replace(
          /^connect: remoteAddr/,
          "connectDatagram: options",
        ),
      );
    }
    throw e;
  }
  return conn;
}

const LOCAL_KEYS: ReadonlySet<string> = new Set(["hostname", "port"]);

/**
 * The family a peer must have to be reached from a socket bound to `address`: IPv4 for an IPv4 address
 * or an IPv4-mapped one (such a socket reaches IPv4 peers only), none in particular for a wildcard
 * (`0.0.0.0` binds IPv4: 4; `::` in any spelling is dual-stack: 0), IPv6 for any other IPv6 address.
 */
function familyOfBind(address: string): 0 | 4 | 6 {
  if (ipv4Bits(address) >= 0) return 4;
  const v6 = parseIPv6(address);
  if (v6 === null) return 0;
  if (isV4Mapped(v6.bytes)) return 4;
  return v6.bytes.every((b) => b === 0) ? 0 : 6;
}

/** `fn()`, with its argument errors naming what connectDatagram's caller wrote: localAddr's hostname and port are the bind's. */
function asConnectError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof RangeError || e instanceof TypeError) || !e.message.startsWith("listenDatagram: ")) throw e;
    const message = e.message.replace(/^listenDatagram: (hostname|port)\b/, "connectDatagram: localAddr.$1")
      .replace(/^listenDatagram: /, "connectDatagram: ");
    throw new (e.constructor as RangeErrorConstructor)(message);
  }
}

/**
 * Options of {@link wrapSocket}.
 *
 * @example
 * ```ts
 * import { wrapSocket } from "@recvmsg/recvmsg";
 * declare const fd: bigint; // an AF_INET6 UDP socket made elsewhere
 * using conn = wrapSocket(fd, { family: "IPv6", packetInfo: true });
 * ```
 */
export interface WrapOptions extends Omit<ListenOptions, "hostname" | "port"> {
  /** The socket's address family: `"IPv6"` for an AF_INET6 socket. Default `"IPv4"`. */
  family?: "IPv4" | "IPv6";
}

/**
 * Adopts a socket made elsewhere — a file descriptor on Linux and macOS, a Winsock `SOCKET` handle on
 * Windows, as a number or a bigint: sets the options asked for and makes it non-blocking. It is closed when the connection is. A socket that is not bound yet
 * reports `WSAEINVAL` on receive, as Winsock does.
 *
 * @example
 * ```ts
 * import { wrapSocket } from "@recvmsg/recvmsg";
 * declare const handle: bigint; // from another library's WSASocketW
 * using conn = wrapSocket(handle, { family: "IPv4", packetInfo: true });
 * const msg = await conn.receiveMsg();
 * ```
 */
export function wrapSocket(handle: bigint | number, options: WrapOptions = {}): DatagramConn {
  if (typeof handle === "number") {
    if (!Number.isSafeInteger(handle)) {
      throw new RangeError(`wrapSocket: handle must be an integer, got ${describeValue(handle)}`);
    }
    handle = BigInt(handle);
  } else if (typeof handle !== "bigint") {
    throw new TypeError(`wrapSocket: handle must be a number or a bigint, got ${describeValue(handle)}`);
  }
  // A file descriptor is a C int; a Winsock SOCKET is pointer-sized, and INVALID_SOCKET (~0) is none.
  const { max, description } = platform.backend.handles;
  if (handle < 0n || handle > max) throw new RangeError(`wrapSocket: handle must be ${description}, got ${handle}`);
  if (ownsHandle(handle)) {
    throw new TypeError(
      `wrapSocket: handle ${handle} is the socket of an open connection of this module; adopting it would close it under that connection (use that connection, or close it first)`,
    );
  }
  const family = options.family ?? "IPv4";
  if (family !== "IPv4" && family !== "IPv6") {
    throw new TypeError(`wrapSocket: family must be "IPv4" or "IPv6", got ${describeValue(family)}`);
  }
  const o = validateOptions(options, "wrapSocket", WRAP_KEYS, family === "IPv6" ? "::" : "0.0.0.0");
  return new DatagramConn(
    platform.backend.wrap(handle, family === "IPv6", o),
    platform.interfaces,
    options.batchSends === true,
  );
}

/**
 * The checked options with their defaults. `wrapped`: the address of an adopted socket's family (a
 * wrapped socket has its own address; this only decides the family checks).
 */
function validateOptions(
  options: ListenOptions,
  fn: string,
  known: ReadonlySet<string>,
  wrapped?: string,
  lookup = true,
): OpenOptions {
  if (typeof options !== "object" || options === null) throw new TypeError(`${fn}: options must be an object`);
  refuseUnknownKeys(options, known, fn, "option");
  if (options.transport !== undefined && options.transport !== "udp") {
    throw new TypeError(
      `${fn}: transport must be "udp" (other protocols go by the protocol option), got ${
        describeValue(options.transport)
      }`,
    );
  }
  let hostname = wrapped ?? options.hostname ??
    (options.protocol === "icmpv6" || options.protocol === 58 ? "::" : "0.0.0.0");
  if (typeof hostname !== "string") throw new TypeError(`${fn}: hostname must be a string`);
  // A host name is looked up (below, once every other option is checked); what is neither is refused now.
  const name = wrapped === undefined ? hostName(hostname) : null;
  if (name === "") {
    throw new TypeError(
      `${fn}: hostname must be a numeric IPv4 or IPv6 address such as "0.0.0.0" or "::", or a host name, got ${
        JSON.stringify(hostname)
      }`,
    );
  }
  const port = options.port === undefined ? 0 : options.port;
  if (typeof port !== "number") {
    throw new TypeError(`${fn}: port must be a number, an integer from 0 to 65535, got ${describeValue(port)}`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${fn}: port must be an integer from 0 to 65535, got ${describeValue(port)}`);
  }
  for (const name of BOOLEAN_OPTIONS) {
    if (options[name] !== undefined && typeof options[name] !== "boolean") {
      throw new TypeError(`${fn}: ${name} must be a boolean`);
    }
  }
  if (
    options.loopback !== undefined && options.multicastLoopback !== undefined &&
    options.loopback !== options.multicastLoopback
  ) {
    throw new TypeError(
      `${fn}: loopback (Deno's name) and multicastLoopback are the same switch; got ${options.loopback} and ${options.multicastLoopback}`,
    );
  }
  const rcvbuf = options.receiveBufferSize;
  if (rcvbuf !== undefined && (!Number.isInteger(rcvbuf) || rcvbuf < 1 || rcvbuf > 0x7fffffff)) {
    throw new RangeError(`${fn}: receiveBufferSize must be a positive integer, got ${describeValue(rcvbuf)}`);
  }
  const mif = options.multicastInterface;
  if (mif !== undefined && (typeof mif !== "number" || !Number.isInteger(mif) || mif < 0 || mif > 0xffffffff)) {
    throw new RangeError(
      `${fn}: multicastInterface must be an interface index from 0 to 4294967295, got ${describeValue(mif)}`,
    );
  }
  const sndbuf = options.sendBufferSize;
  if (
    sndbuf !== undefined &&
    (typeof sndbuf !== "number" || !Number.isInteger(sndbuf) || sndbuf < 1 || sndbuf > 0x7fffffff)
  ) {
    throw new RangeError(`${fn}: sendBufferSize must be a positive integer, got ${describeValue(sndbuf)}`);
  }
  const mhl = options.multicastHopLimit;
  if (mhl !== undefined && (typeof mhl !== "number" || !Number.isInteger(mhl) || mhl < 0 || mhl > 255)) {
    throw new RangeError(`${fn}: multicastHopLimit must be an integer from 0 to 255, got ${describeValue(mhl)}`);
  }
  const readAhead = options.readAhead === undefined ? 32 : options.readAhead;
  if (typeof readAhead !== "number" || !Number.isInteger(readAhead) || readAhead < 0 || readAhead > 64) {
    throw new RangeError(`${fn}: readAhead must be an integer from 0 to 64, got ${describeValue(readAhead)}`);
  }
  const protocol = options.protocol === undefined ? "udp" : options.protocol;
  const number = protocol === "udp" ? 17 : protocol === "icmp" ? 1 : protocol === "icmpv6" ? 58 : protocol;
  if (typeof number !== "number" || !Number.isInteger(number) || number < 0 || number > 255) {
    throw new TypeError(
      `${fn}: protocol must be "udp", "icmp", "icmpv6" or an IP protocol number from 0 to 255, got ${
        describeValue(protocol)
      }`,
    );
  }
  if (options.raw !== undefined && typeof options.raw !== "boolean") {
    throw new TypeError(`${fn}: raw must be a boolean`);
  }
  if (number === 17 && options.raw !== undefined && protocol === "udp") {
    throw new TypeError(`${fn}: raw applies to ICMP and other protocols, not to UDP`);
  }
  if (number !== 17) {
    if (options.raw === false && number !== 1 && number !== 58) {
      throw new TypeError(
        `${fn}: only ICMP and ICMPv6 have datagram sockets; protocol ${number} needs raw: true (or no raw option)`,
      );
    }
    for (const udpOnly of ["coalesce", "reusePort"] as const) {
      if (options[udpOnly] === true) throw new TypeError(`${fn}: ${udpOnly} applies to UDP sockets only`);
    }
  }
  if (options.receiveErrors === true && !platform.backend.errorQueue) {
    throw new TypeError(
      `${fn}: receiveErrors is not offered on this system: it keeps no per-socket queue of ICMP errors (Linux's IP_RECVERR); leave it out`,
    );
  }
  // Of the family the options need: ICMP IPv4, ICMPv6 and ipv6Only IPv6; else the resolver's first.
  // (Without `lookup`, a name is only checked for its form: the checks of its family wait for its address,
  // but ICMP over IPv4 with ipv6Only contradicts itself whatever the name gives, and is refused first.)
  if (name !== null && number === 1 && options.ipv6Only === true) {
    throw new TypeError(`${fn}: ipv6Only applies to an IPv6 socket; protocol ${JSON.stringify(protocol)} is IPv4's`);
  }
  if (name !== null && lookup) {
    hostname = lookupHost(
      platform.backend,
      name,
      number === 1 ? 4 : number === 58 || options.ipv6Only === true ? 6 : 0,
    );
  }
  if (name === null || lookup) {
    const family = parseIPv4(stripBrackets(hostname)) ? "IPv4" : "IPv6";
    if ((number === 1 && family !== "IPv4") || (number === 58 && family !== "IPv6")) {
      throw new TypeError(
        `${fn}: protocol ${JSON.stringify(protocol)} needs an ${number === 1 ? "IPv4" : "IPv6"} hostname (${
          number === 1 ? "0.0.0.0" : "::"
        } for any), got ${JSON.stringify(hostname)}`,
      );
    }
    if (options.ipv6Only === true && parseIPv6(stripBrackets(hostname)) === null) {
      throw new TypeError(
        `${fn}: ipv6Only applies to an IPv6 socket; ${JSON.stringify(hostname)} is an IPv4 address`,
      );
    }
  }
  return {
    hostname: stripBrackets(hostname),
    port,
    ipv6Only: options.ipv6Only ?? false,
    packetInfo: options.packetInfo ?? true,
    hopLimit: options.hopLimit ?? false,
    reuseAddress: options.reuseAddress ?? false,
    reportUnreachable: options.reportUnreachable ?? false,
    reusePort: options.reusePort ?? false,
    // On by default for a UDP socket this module opens, as Deno.listenDatagram has it (node:dgram's default,
    // off, is what recvmsg/dgram passes); an adopted socket keeps its own unless asked.
    broadcast: options.broadcast ?? (number === 17 && wrapped === undefined),
    ecn: options.ecn ?? false,
    timestamps: options.timestamps ?? false,
    coalesce: options.coalesce ?? false,
    readAhead,
    receiveErrors: options.receiveErrors ?? false,
    protocol: number,
    raw: options.raw,
    receiveBufferSize: rcvbuf,
  };
}
