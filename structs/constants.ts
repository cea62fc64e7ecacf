/**
 * Winsock constants with their Windows SDK values. Each one is checked against mingw-w64's headers
 * by tests/layout_c.test.ts, except those listed in {@link NOT_IN_MINGW}, whose values come from the
 * Windows SDK headers named there.
 *
 * @module
 */

// Address families, socket types, protocols (ws2def.h / winsock2.h).
/** IPv4 address family. */
export const AF_INET = 2;
/** IPv6 address family. Windows' value is 23 (Linux uses 10, macOS 30). */
export const AF_INET6 = 23;
/** Stream socket type. */
export const SOCK_STREAM = 1;
/** Datagram socket type: the kind WSARecvMsg serves. */
export const SOCK_DGRAM = 2;
/** Raw socket type: also served by WSARecvMsg. */
export const SOCK_RAW = 3;
/** Protocol level for IPv4 options and control messages. */
export const IPPROTO_IP = 0;
/** ICMP (raw sockets). */
export const IPPROTO_ICMP = 1;
/** TCP. */
export const IPPROTO_TCP = 6;
/** ICMPv6 (raw sockets). */
export const IPPROTO_ICMPV6 = 58;
/** UDP; also the level of `UDP_*` options. */
export const IPPROTO_UDP = 17;
/** Protocol level for IPv6 options and control messages. */
export const IPPROTO_IPV6 = 41;
/** Socket-level options. */
export const SOL_SOCKET = 0xffff;

// Socket options.
/** Allow binding an address already in use. */
export const SO_REUSEADDR = 0x0004;
/** Allow sending to broadcast addresses. */
export const SO_BROADCAST = 0x0020;
/**
 * Windows: no other socket may bind this address and port, even with SO_REUSEADDR (`~SO_REUSEADDR`).
 * Microsoft's advice for server sockets; this module sets it unless `reuseAddress` is asked for.
 */
export const SO_EXCLUSIVEADDRUSE: number = -5;
/** Send buffer size. */
export const SO_SNDBUF = 0x1001;
/** Receive buffer size. */
export const SO_RCVBUF = 0x1002;
/** Receive timeout in milliseconds (blocking sockets only). */
export const SO_RCVTIMEO = 0x1006;
/** The socket's type (SOCK_DGRAM, ...). */
export const SO_TYPE = 0x1008;
/** Type of service / DSCP+ECN byte of IPv4. */
export const IP_TOS = 3;
/** IPv4 time to live. */
export const IP_TTL = 4;
/** Set the IPv4 don't-fragment bit: a datagram larger than the path MTU fails instead of being fragmented. */
export const IP_DONTFRAGMENT = 14;
/** Don't fragment IPv6 datagrams at the source. */
export const IPV6_DONTFRAG = 14;
/** Ask for an IN_PKTINFO control message with each IPv4 datagram (and the same type on send). */
export const IP_PKTINFO = 19;
/** The interface IPv4 multicast leaves by: an address, or an index in 0.0.0.0/8, in network order. */
export const IP_MULTICAST_IF = 9;
/** The TTL of IPv4 multicast sends. */
export const IP_MULTICAST_TTL = 10;
/** Whether IPv4 multicast sends loop back to this host's members. */
export const IP_MULTICAST_LOOP = 11;
/** Join an IPv4 group (IP_MREQ). */
export const IP_ADD_MEMBERSHIP = 12;
/** Leave an IPv4 group (IP_MREQ). */
export const IP_DROP_MEMBERSHIP = 13;
/** Join an IPv4 group for one source only (IP_MREQ_SOURCE). */
export const IP_ADD_SOURCE_MEMBERSHIP = 15;
/** Leave a source-specific IPv4 membership (IP_MREQ_SOURCE). */
export const IP_DROP_SOURCE_MEMBERSHIP = 16;
/** The interface (index) IPv6 multicast leaves by. */
export const IPV6_MULTICAST_IF = 9;
/** The hop limit of IPv6 multicast sends. */
export const IPV6_MULTICAST_HOPS = 10;
/** Whether IPv6 multicast sends loop back to this host's members. */
export const IPV6_MULTICAST_LOOP = 11;
/** Join an IPv6 group (IPV6_MREQ). */
export const IPV6_ADD_MEMBERSHIP = 12;
/** Leave an IPv6 group (IPV6_MREQ). */
export const IPV6_DROP_MEMBERSHIP = 13;
/** Join a group by interface index, either family (GROUP_REQ). */
export const MCAST_JOIN_GROUP = 41;
/** Leave a group joined with MCAST_JOIN_GROUP. */
export const MCAST_LEAVE_GROUP = 42;
/** Join a group for one source, either family (GROUP_SOURCE_REQ). */
export const MCAST_JOIN_SOURCE_GROUP = 45;
/** Leave a source-specific membership. */
export const MCAST_LEAVE_SOURCE_GROUP = 46;
/** Ask for the IPv4 TTL as a control message. */
export const IP_HOPLIMIT = 21;
/** Ask for the IPv4 TOS byte as a control message. */
export const IP_RECVTOS = 40;
/** Ask for the ECN bits of IPv4 datagrams as a control message (and its type). */
export const IP_ECN = 50;
/** IPv6 hop limit for unicast sends. */
export const IPV6_UNICAST_HOPS = 4;
/** Only IPv6 on an AF_INET6 socket (0 makes it dual-stack). */
export const IPV6_V6ONLY = 27;
/** Ask for an IN6_PKTINFO control message with each IPv6 datagram (and the same type on send). */
export const IPV6_PKTINFO = 19;
/** Ask for the IPv6 hop limit as a control message. */
export const IPV6_HOPLIMIT = 21;
/** IPv6 traffic class for sends. */
export const IPV6_TCLASS = 39;
/** Ask for the IPv6 traffic class as a control message. */
export const IPV6_RECVTCLASS = 40;
/** Ask for the ECN bits of IPv6 datagrams as a control message (and its type). */
export const IPV6_ECN = 50;
/** UDP receive coalescing: the largest coalesced message the caller accepts. */
export const UDP_RECV_MAX_COALESCED_SIZE = 3;
/** Control message type at IPPROTO_UDP carrying the segment size of a coalesced receive. */
export const UDP_COALESCED_INFO = 3;

// Message flags (winsock2.h, mswsock.h). Winsock's numbering: the MSG_* that mod.ts exports are the running
// system's own (structs/message_flags.ts, picked in ffi/select.ts), since a message's `flags` holds the system's bits.
/** Out-of-band data. Not accepted by WSARecvMsg. */
export const MSG_OOB = 0x1;
/** Read without removing the datagram from the queue: the only input flag WSARecvMsg accepts. */
export const MSG_PEEK = 0x2;
/** Output: the datagram was larger than the buffers and was cut. */
export const MSG_TRUNC = 0x0100;
/** Output: the control data did not fit the control buffer and was cut. */
export const MSG_CTRUNC = 0x0200;
/** Output: the datagram was received as a link-layer broadcast. */
export const MSG_BCAST = 0x0400;
/** Output: the datagram was received as a link-layer multicast. */
export const MSG_MCAST = 0x0800;

// Ioctls, flags, special values.
/** `WSAIoctl` code that returns an extension function's pointer for a GUID. */
export const SIO_GET_EXTENSION_FUNCTION_POINTER = 0xc8000006;
/** `ioctlsocket` code that sets a socket non-blocking (the value 1) or blocking (0). */
export const FIONBIO = 0x8004667e;
/** `ioctlsocket` code: bytes queued for reading. */
export const FIONREAD = 0x4004667f;
/** `WSAIoctl` code: ignore ICMP port unreachable on UDP sockets instead of failing the next receive. */
export const SIO_UDP_CONNRESET = 0x9800000c;
/** WSAEventSelect network event: the socket can send again after a send failed with WSAEWOULDBLOCK. */
export const FD_WRITE = 0x02;
/** `WSASocketW` flag: the socket supports overlapped I/O. */
export const WSA_FLAG_OVERLAPPED = 0x01;
/** `WSASocketW` flag: the handle is not inherited by child processes. */
export const WSA_FLAG_NO_HANDLE_INHERIT = 0x80;
/** What socket functions return on failure. */
export const SOCKET_ERROR: -1 = -1;
/** Winsock 2.2, as `WSAStartup` wants it (`MAKEWORD(2, 2)`). */
export const WINSOCK_VERSION_2_2 = 0x0202;

/**
 * `WSAID_WSARECVMSG`, the GUID that names WSARecvMsg to `WSAIoctl`, as its 16 bytes in memory order.
 *
 * @example
 * ```ts
 * import { WSAID_WSARECVMSG } from "@recvmsg/recvmsg/structs";
 * console.log(WSAID_WSARECVMSG.length); // 16
 * ```
 */
export const WSAID_WSARECVMSG: Uint8Array = guidBytes(0xf689d7c8, 0x6f1f, 0x436b, [
  0x8a,
  0x53,
  0xe5,
  0x4f,
  0xe3,
  0x51,
  0xc3,
  0x22,
]);

/**
 * `WSAID_WSASENDMSG`, the GUID of WSASendMsg (which ws2_32 also exports directly since Vista).
 *
 * @example
 * ```ts
 * import { WSAID_WSASENDMSG } from "@recvmsg/recvmsg/structs";
 * console.log(WSAID_WSASENDMSG[0]); // 0x12
 * ```
 */
export const WSAID_WSASENDMSG: Uint8Array = guidBytes(0xa441e712, 0x754f, 0x43ca, [
  0x84,
  0xa7,
  0x0d,
  0xee,
  0x44,
  0xcf,
  0x60,
  0x6d,
]);

/**
 * The memory image of a GUID (`Data1` to `Data3` little-endian, `Data4` as bytes).
 *
 * @example
 * ```ts
 * import { guidBytes } from "@recvmsg/recvmsg/structs";
 * const g = guidBytes(0x01020304, 0x0506, 0x0708, [9, 10, 11, 12, 13, 14, 15, 16]);
 * console.log(g[0], g[15]); // 4 16
 * ```
 */
export function guidBytes(d1: number, d2: number, d3: number, d4: readonly number[]): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, d1, true);
  v.setUint16(4, d2, true);
  v.setUint16(6, d3, true);
  b.set(d4, 8);
  return b;
}

/**
 * Constants whose values the test suite cannot check against mingw-w64 10's headers because they are
 * not declared there; the value and the header that declares it in Microsoft's Windows SDK.
 *
 * @example
 * ```ts
 * import { NOT_IN_MINGW } from "@recvmsg/recvmsg/structs";
 * console.log(NOT_IN_MINGW.UDP_COALESCED_INFO); // "ws2ipdef.h (Windows SDK 10.0.19041)"
 * ```
 */
export const NOT_IN_MINGW: Readonly<Record<string, string>> = {
  UDP_RECV_MAX_COALESCED_SIZE: "ws2ipdef.h (Windows SDK 10.0.19041)",
  UDP_COALESCED_INFO: "ws2ipdef.h (Windows SDK 10.0.19041)",
  WINSOCK_VERSION_2_2: "MAKEWORD(2, 2) by definition",
};

/** VirtualAlloc: commit the pages. */
export const MEM_COMMIT = 0x1000;
/** VirtualAlloc: reserve the address range. */
export const MEM_RESERVE = 0x2000;
/** Pages that may be read, written and run (the thunks Node's FFI needs on Windows). */
export const PAGE_EXECUTE_READWRITE = 0x40;
/** Pages that may be read and written, not run: the thunks' page while it is written, and their data. */
export const PAGE_READWRITE = 0x04;
/** Pages that may be read and run, not written: the thunks' page once written. */
export const PAGE_EXECUTE_READ = 0x20;
