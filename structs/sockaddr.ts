/**
 * Socket addresses and packet-info records ⇄ plain objects, over a `DataView` so that the same code
 * reads a buffer the kernel filled and writes one the kernel will read. Windows layouts; the address
 * family numbers are passed in so that other platforms can reuse the codecs.
 *
 * @module
 */
import { AF_INET, AF_INET6 } from "./constants.ts";
import { formatIPv4, formatIPv6, formatIPv6Scoped, ipv4Bits, isV4Mapped, parseIPv6Into } from "./ip.ts";
import { WIN } from "./windows.ts";
import { describeValue } from "./describe.ts";

/** A decoded socket address. `flowinfo` and `scopeId` are 0 for IPv4. */
export interface SocketAddress {
  /** `"IPv4"` or `"IPv6"`. */
  readonly family: "IPv4" | "IPv6";
  /** The numeric address, with `%zone` for a scoped IPv6 address. */
  readonly hostname: string;
  /** The port. */
  readonly port: number;
  /** sin6_flowinfo (0 for IPv4). */
  readonly flowinfo: number;
  /** sin6_scope_id (0 for IPv4). */
  readonly scopeId: number;
}

/** A decoded `IN_PKTINFO` / `IN6_PKTINFO`: the address a datagram was sent to and the interface it came in on. */
export interface PacketInfo {
  /** The numeric address. */
  readonly address: string;
  /** The interface index. */
  readonly interfaceIndex: number;
}

/** The address family numbers of a platform (Windows: 2 and 23). */
export interface Families {
  /** The first two bytes of an IPv4 sockaddr, as a little-endian u16. */
  readonly inet: number;
  /** The first two bytes of an IPv6 sockaddr, as a little-endian u16. */
  readonly inet6: number;
}

/** Windows' address family numbers. */
export const WINDOWS_FAMILIES: Families = { inet: AF_INET, inet6: AF_INET6 };

const IN = WIN.SOCKADDR_IN.fields;
const IN6 = WIN.SOCKADDR_IN6.fields;

function bytesOf(view: DataView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * Decodes a `SOCKADDR_IN` or `SOCKADDR_IN6` at `offset`, reading no more than `length` bytes (the
 * `namelen` the call reported). Returns null for another family or a length too short for the family.
 *
 * @example
 * ```ts
 * import { decodeSockaddr, encodeSockaddr } from "@recvmsg/recvmsg/structs";
 * const v = new DataView(new ArrayBuffer(28));
 * const n = encodeSockaddr(v, 0, { hostname: "::1", port: 53 });
 * console.log(decodeSockaddr(v, 0, n)); // { family: "IPv6", hostname: "::1", port: 53, flowinfo: 0, scopeId: 0 }
 * ```
 */
export function decodeSockaddr(
  view: DataView,
  offset: number,
  length: number,
  families: Families = WINDOWS_FAMILIES,
): SocketAddress | null {
  if (length < 2 || offset < 0 || offset + Math.min(length, 2) > view.byteLength) return null;
  const family = view.getUint16(offset, true);
  if (family === families.inet && length >= WIN.SOCKADDR_IN.size && offset + WIN.SOCKADDR_IN.size <= view.byteLength) {
    return {
      family: "IPv4",
      hostname: formatIPv4(bytesOf(view), offset + IN.sin_addr.offset),
      port: view.getUint16(offset + IN.sin_port.offset, false),
      flowinfo: 0,
      scopeId: 0,
    };
  }
  if (
    family === families.inet6 && length >= WIN.SOCKADDR_IN6.size && offset + WIN.SOCKADDR_IN6.size <= view.byteLength
  ) {
    const bytes = bytesOf(view);
    const at = offset + IN6.sin6_addr.offset;
    const scopeId = view.getUint32(offset + IN6.sin6_scope_id.offset, true);
    return {
      family: "IPv6",
      // The zone, as the system gave it (a link-local sender's interface): without it a reply leaves by another interface.
      hostname: formatIPv6Scoped(bytes, at, isV4Mapped(bytes, at) ? 0 : scopeId),
      port: view.getUint16(offset + IN6.sin6_port.offset, false),
      flowinfo: view.getUint32(offset + IN6.sin6_flowinfo.offset, false),
      scopeId,
    };
  }
  return null;
}

/** What {@link encodeSockaddr} takes: a numeric address, a port, and for IPv6 optional flow and scope. */
export interface SockaddrInput {
  /** The numeric address (an IPv6 one may carry `%zone`). */
  readonly hostname: string;
  /** The port, 0 to 65535. */
  readonly port: number;
  /** sin6_flowinfo. */
  readonly flowinfo?: number;
  /** sin6_scope_id (overrides a `%zone` in hostname). */
  readonly scopeId?: number;
}

/**
 * Writes a `SOCKADDR_IN` (for dotted-quad text) or `SOCKADDR_IN6` (for IPv6 text) at `offset` and
 * returns its length, the `namelen` to pass. Throws a `TypeError` naming `hostname` when the text is
 * not a numeric address, and a `RangeError` naming `port` when it is not 0 to 65535.
 *
 * @example
 * ```ts
 * import { encodeSockaddr } from "@recvmsg/recvmsg/structs";
 * const v = new DataView(new ArrayBuffer(16));
 * console.log(encodeSockaddr(v, 0, { hostname: "127.0.0.1", port: 5353 })); // 16
 * ```
 */
export function encodeSockaddr(
  view: DataView,
  offset: number,
  addr: SockaddrInput,
  families: Families = WINDOWS_FAMILIES,
): number {
  const { hostname, port } = addr;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${describeValue(port)}`);
  }
  const v4 = ipv4Bits(hostname);
  const bytes = bytesOf(view);
  if (v4 >= 0) {
    bytes.fill(0, offset, offset + WIN.SOCKADDR_IN.size);
    view.setUint16(offset, families.inet, true);
    view.setUint16(offset + IN.sin_port.offset, port, false);
    view.setUint32(offset + IN.sin_addr.offset, v4, false);
    return WIN.SOCKADDR_IN.size;
  }
  // Parsed straight into the name: nothing is allocated per send.
  const zone = parseIPv6Into(stripBrackets(hostname), bytes, offset + IN6.sin6_addr.offset);
  if (zone < 0) {
    throw new TypeError(
      `hostname must be a numeric IPv4 or IPv6 address (structs never look names up), got ${JSON.stringify(hostname)}`,
    );
  }
  bytes.fill(0, offset, offset + IN6.sin6_addr.offset);
  view.setUint16(offset, families.inet6, true);
  view.setUint16(offset + IN6.sin6_port.offset, port, false);
  view.setUint32(offset + IN6.sin6_flowinfo.offset, addr.flowinfo ?? 0, false);
  view.setUint32(offset + IN6.sin6_scope_id.offset, addr.scopeId ?? zone, true);
  return WIN.SOCKADDR_IN6.size;
}

/**
 * Drops the brackets of a URL-style IPv6 literal (`[::1]` → `::1`).
 *
 * @example
 * ```ts
 * import { stripBrackets } from "@recvmsg/recvmsg/structs";
 * console.log(stripBrackets("[::1]")); // "::1"
 * ```
 */
export function stripBrackets(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

/**
 * Decodes an `IN_PKTINFO` (8 bytes) at `offset`.
 *
 * @example
 * ```ts
 * import { decodeInPktinfo, encodeInPktinfo } from "@recvmsg/recvmsg/structs";
 * const v = new DataView(new ArrayBuffer(8));
 * encodeInPktinfo(v, 0, { address: "127.0.0.2", interfaceIndex: 1 });
 * console.log(decodeInPktinfo(v, 0)); // { address: "127.0.0.2", interfaceIndex: 1 }
 * ```
 */
export function decodeInPktinfo(view: DataView, offset: number): PacketInfo {
  const f = WIN.IN_PKTINFO.fields;
  return {
    address: formatIPv4(bytesOf(view), offset + f.ipi_addr.offset),
    interfaceIndex: view.getUint32(offset + f.ipi_ifindex.offset, true),
  };
}

/**
 * Encodes an `IN_PKTINFO` at `offset` (for WSASendMsg's source selection and for tests) and returns its size.
 *
 * @example
 * ```ts
 * import { encodeInPktinfo } from "@recvmsg/recvmsg/structs";
 * console.log(encodeInPktinfo(new DataView(new ArrayBuffer(8)), 0, { address: "10.0.0.1", interfaceIndex: 0 })); // 8
 * ```
 */
export function encodeInPktinfo(view: DataView, offset: number, info: PacketInfo): number {
  const f = WIN.IN_PKTINFO.fields;
  const a = ipv4Bits(info.address);
  if (a < 0) throw new TypeError(`address must be a numeric IPv4 address, got ${JSON.stringify(info.address)}`);
  view.setUint32(offset + f.ipi_addr.offset, a, false);
  view.setUint32(offset + f.ipi_ifindex.offset, info.interfaceIndex >>> 0, true);
  return WIN.IN_PKTINFO.size;
}

/**
 * Decodes an `IN6_PKTINFO` (20 bytes) at `offset`.
 *
 * @example
 * ```ts
 * import { decodeIn6Pktinfo, encodeIn6Pktinfo } from "@recvmsg/recvmsg/structs";
 * const v = new DataView(new ArrayBuffer(20));
 * encodeIn6Pktinfo(v, 0, { address: "::1", interfaceIndex: 1 });
 * console.log(decodeIn6Pktinfo(v, 0)); // { address: "::1", interfaceIndex: 1 }
 * ```
 */
export function decodeIn6Pktinfo(view: DataView, offset: number): PacketInfo {
  const f = WIN.IN6_PKTINFO.fields;
  return {
    address: formatIPv6(bytesOf(view), offset + f.ipi6_addr.offset),
    interfaceIndex: view.getUint32(offset + f.ipi6_ifindex.offset, true),
  };
}

/**
 * Encodes an `IN6_PKTINFO` at `offset` and returns its size.
 *
 * @example
 * ```ts
 * import { encodeIn6Pktinfo } from "@recvmsg/recvmsg/structs";
 * console.log(encodeIn6Pktinfo(new DataView(new ArrayBuffer(20)), 0, { address: "::1", interfaceIndex: 1 })); // 20
 * ```
 */
export function encodeIn6Pktinfo(view: DataView, offset: number, info: PacketInfo): number {
  const f = WIN.IN6_PKTINFO.fields;
  if (parseIPv6Into(stripBrackets(info.address), bytesOf(view), offset + f.ipi6_addr.offset) < 0) {
    throw new TypeError(`address must be a numeric IPv6 address, got ${JSON.stringify(info.address)}`);
  }
  view.setUint32(offset + f.ipi6_ifindex.offset, info.interfaceIndex >>> 0, true);
  return WIN.IN6_PKTINFO.size;
}
