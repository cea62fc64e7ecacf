/**
 * macOS (Darwin, arm64 and x86_64) structures and constants, from Apple's XNU headers:
 * `bsd/sys/socket.h`, `bsd/netinet/in.h`, `bsd/netinet6/in6.h` (RFC 3542 numbering, which
 * `__APPLE_USE_RFC_3542` selects) and `bsd/sys/errno.h`. No compiler for macOS is available where this
 * project is tested, so tests/pure/darwin.test.ts checks the tables against values copied from those
 * headers, and says so.
 *
 * Differences from Linux that matter here: `sockaddr_in` starts with a length byte (`sin_len`), `cmsg_len`
 * and `msg_controllen` are 32-bit `socklen_t`, control messages are 4-aligned, `in_pktinfo` has the
 * same field order as Linux's, and IPv6 is family 30.
 *
 * @module
 */
import { type Layout, layout, type StructDecl, UNIX_LP64 } from "./layout.ts";
import type { WinsockErrorInfo } from "./winsock_errors.ts";

const IN_ADDR: StructDecl = { c: "struct in_addr", fields: [["s_addr", "u32"]] };
const IN6_ADDR: StructDecl = { c: "struct in6_addr", fields: [["__u6_addr", { array: "u32", count: 4 }]] };

/** Darwin's declarations. */
export const DARWIN_STRUCTS: readonly StructDecl[] = [
  {
    c: "struct msghdr",
    fields: [
      ["msg_name", "ptr"],
      ["msg_namelen", "u32"],
      ["msg_iov", "ptr"],
      ["msg_iovlen", "i32"],
      ["msg_control", "ptr"],
      ["msg_controllen", "u32"],
      ["msg_flags", "i32"],
    ],
  },
  { c: "struct iovec", fields: [["iov_base", "ptr"], ["iov_len", "size"]] },
  { c: "struct cmsghdr", fields: [["cmsg_len", "u32"], ["cmsg_level", "i32"], ["cmsg_type", "i32"]] },
  {
    c: "struct sockaddr_in",
    fields: [["sin_len", "u8"], ["sin_family", "u8"], ["sin_port", "u16"], ["sin_addr", IN_ADDR], ["sin_zero", {
      array: "u8",
      count: 8,
    }]],
  },
  {
    c: "struct sockaddr_in6",
    fields: [["sin6_len", "u8"], ["sin6_family", "u8"], ["sin6_port", "u16"], ["sin6_flowinfo", "u32"], [
      "sin6_addr",
      IN6_ADDR,
    ], ["sin6_scope_id", "u32"]],
  },
  { c: "struct in_pktinfo", fields: [["ipi_ifindex", "u32"], ["ipi_spec_dst", IN_ADDR], ["ipi_addr", IN_ADDR]] },
  { c: "struct in6_pktinfo", fields: [["ipi6_addr", IN6_ADDR], ["ipi6_ifindex", "u32"]] },
  { c: "struct pollfd", fields: [["fd", "i32"], ["events", "i16"], ["revents", "i16"]] },
  // netinet/in.h declares these under `#pragma pack(4)`: the sockaddr_storage follows at offset 4. As
  // bytes (alignment 1) the layout engine places them exactly there.
  { c: "struct group_req", fields: [["gr_interface", "u32"], ["gr_group", { array: "u8", count: 128 }]] },
  {
    c: "struct group_source_req",
    fields: [["gsr_interface", "u32"], ["gsr_group", { array: "u8", count: 128 }], ["gsr_source", {
      array: "u8",
      count: 128,
    }]],
  },
  {
    c: "struct ifaddrs",
    fields: [
      ["ifa_next", "ptr"],
      ["ifa_name", "ptr"],
      ["ifa_flags", "u32"],
      ["ifa_addr", "ptr"],
      ["ifa_netmask", "ptr"],
      ["ifa_dstaddr", "ptr"],
      ["ifa_data", "ptr"],
    ],
  },
  {
    // Darwin (as BSD and Windows) puts ai_canonname before ai_addr; glibc the other way round.
    c: "struct addrinfo",
    fields: [
      ["ai_flags", "i32"],
      ["ai_family", "i32"],
      ["ai_socktype", "i32"],
      ["ai_protocol", "i32"],
      ["ai_addrlen", "u32"],
      ["ai_canonname", "ptr"],
      ["ai_addr", "ptr"],
      ["ai_next", "ptr"],
    ],
  },
];

const byName = (c: string) => layout(DARWIN_STRUCTS.find((d) => d.c === c)!, UNIX_LP64);

/**
 * The Darwin structs laid out (LP64), computed once.
 *
 * @example
 * ```ts
 * import { DRW } from "@recvmsg/recvmsg/structs";
 * console.log(DRW.msghdr.size, DRW.cmsghdr.size); // 48 12
 * ```
 */
export const DRW: {
  readonly msghdr: Layout;
  readonly iovec: Layout;
  readonly cmsghdr: Layout;
  readonly sockaddr_in: Layout;
  readonly sockaddr_in6: Layout;
  readonly in_pktinfo: Layout;
  readonly in6_pktinfo: Layout;
  readonly group_req: Layout;
  readonly group_source_req: Layout;
  readonly ifaddrs: Layout;
  readonly addrinfo: Layout;
} = {
  msghdr: byName("struct msghdr"),
  iovec: byName("struct iovec"),
  cmsghdr: byName("struct cmsghdr"),
  sockaddr_in: byName("struct sockaddr_in"),
  sockaddr_in6: byName("struct sockaddr_in6"),
  in_pktinfo: byName("struct in_pktinfo"),
  in6_pktinfo: byName("struct in6_pktinfo"),
  group_req: byName("struct group_req"),
  group_source_req: byName("struct group_source_req"),
  ifaddrs: byName("struct ifaddrs"),
  addrinfo: byName("struct addrinfo"),
};

/**
 * Darwin constant values, by their C names (RFC 3542 numbering for IPv6).
 *
 * @example
 * ```ts
 * import { DARWIN } from "@recvmsg/recvmsg/structs";
 * console.log(DARWIN.AF_INET6, DARWIN.IP_PKTINFO, DARWIN.IPV6_RECVPKTINFO); // 30 26 61
 * ```
 */
export const DARWIN = {
  AF_INET: 2,
  AF_INET6: 30,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_RAW: 3,
  IPPROTO_IP: 0,
  IPPROTO_ICMP: 1,
  IPPROTO_TCP: 6,
  IPPROTO_UDP: 17,
  IPPROTO_IPV6: 41,
  IPPROTO_ICMPV6: 58,
  SOL_SOCKET: 0xffff,
  SO_REUSEADDR: 0x4,
  SO_BROADCAST: 0x20,
  SO_SNDBUF: 0x1001,
  SO_RCVBUF: 0x1002,
  SO_REUSEPORT: 0x200,
  SO_TIMESTAMP: 0x400,
  SCM_TIMESTAMP: 2,
  IP_TOS: 3,
  IP_TTL: 4,
  IP_MULTICAST_IF: 9,
  IP_MULTICAST_TTL: 10,
  IP_MULTICAST_LOOP: 11,
  IP_ADD_MEMBERSHIP: 12,
  IP_DROP_MEMBERSHIP: 13,
  IP_MULTICAST_IFINDEX: 66,
  IP_DONTFRAG: 28,
  IPV6_DONTFRAG: 62,
  MCAST_JOIN_GROUP: 80,
  MCAST_LEAVE_GROUP: 81,
  MCAST_JOIN_SOURCE_GROUP: 82,
  MCAST_LEAVE_SOURCE_GROUP: 83,
  IFF_UP: 0x1,
  IFF_LOOPBACK: 0x8,
  IFF_MULTICAST: 0x8000,
  AF_LINK: 18,
  IP_RECVTTL: 24,
  IP_PKTINFO: 26,
  IP_RECVTOS: 27,
  IPV6_UNICAST_HOPS: 4,
  IPV6_MULTICAST_IF: 9,
  IPV6_MULTICAST_HOPS: 10,
  IPV6_MULTICAST_LOOP: 11,
  IPV6_JOIN_GROUP: 12,
  IPV6_LEAVE_GROUP: 13,
  IPV6_V6ONLY: 27,
  IPV6_RECVTCLASS: 35,
  IPV6_TCLASS: 36,
  IPV6_RECVHOPLIMIT: 37,
  IPV6_PKTINFO: 46,
  IPV6_HOPLIMIT: 47,
  IPV6_RECVPKTINFO: 61,
  MSG_PEEK: 0x2,
  MSG_TRUNC: 0x10,
  MSG_CTRUNC: 0x20,
  MSG_DONTWAIT: 0x80,
  POLLIN: 0x1,
  F_SETFD: 2,
  F_GETFL: 3,
  F_SETFL: 4,
  FD_CLOEXEC: 1,
  O_NONBLOCK: 0x4,
} as const;

const errnoTable: readonly (readonly [number, string, string])[] = [
  [1, "EPERM", "The operation is not permitted."],
  [2, "ENOENT", "No such file or entry."],
  [4, "EINTR", "The call was interrupted by a signal."],
  [5, "EIO", "An input/output error."],
  [6, "ENXIO", "No such device or address."],
  [9, "EBADF", "The file descriptor is not open (the socket was closed)."],
  [12, "ENOMEM", "There is not enough memory."],
  [13, "EACCES", "Permission denied: a port below 1024 without privilege, or broadcast without SO_BROADCAST."],
  [14, "EFAULT", "A pointer given to the call is outside the process's memory."],
  [16, "EBUSY", "The device or resource is busy."],
  [19, "ENODEV", "No such device: the interface index or name does not exist."],
  [22, "EINVAL", "An argument is invalid."],
  [23, "ENFILE", "Too many files are open in the whole system."],
  [24, "EMFILE", "Too many files are open in this process."],
  [32, "EPIPE", "The connection is closed for sending."],
  [35, "EAGAIN", "The call would block: no datagram is queued (a receive), or the send buffer is full (a send)."],
  [36, "EINPROGRESS", "The operation is now in progress."],
  [37, "EALREADY", "An operation is already in progress."],
  [38, "ENOTSOCK", "The file descriptor is not a socket."],
  [39, "EDESTADDRREQ", "A destination address is required: the socket is not connected."],
  [40, "EMSGSIZE", "The datagram is too large."],
  [41, "EPROTOTYPE", "The protocol is of the wrong type for this socket."],
  [42, "ENOPROTOOPT", "The option or level is unknown or not supported by this socket."],
  [43, "EPROTONOSUPPORT", "The protocol is not supported."],
  [44, "ESOCKTNOSUPPORT", "The socket type is not supported."],
  [45, "ENOTSUP", "The operation is not supported."],
  [46, "EPFNOSUPPORT", "The protocol family is not supported."],
  [47, "EAFNOSUPPORT", "The address family is not supported."],
  [48, "EADDRINUSE", "The address and port are already in use by another socket."],
  [49, "EADDRNOTAVAIL", "The address is not an address of this machine."],
  [50, "ENETDOWN", "The network (interface) is down."],
  [51, "ENETUNREACH", "The network cannot be reached from this host."],
  [52, "ENETRESET", "The network dropped the connection on reset."],
  [53, "ECONNABORTED", "The connection was aborted."],
  [54, "ECONNRESET", "The connection was reset by the peer."],
  [55, "ENOBUFS", "No buffer space is available."],
  [56, "EISCONN", "The socket is already connected."],
  [57, "ENOTCONN", "The socket is not connected."],
  [60, "ETIMEDOUT", "The operation timed out."],
  [61, "ECONNREFUSED", "An earlier send drew an ICMP port-unreachable reply (the peer's port is closed)."],
  [64, "EHOSTDOWN", "The host is down."],
  [65, "EHOSTUNREACH", "The host cannot be reached."],
  [78, "ENOSYS", "The system does not implement this call."],
  [100, "EPROTO", "A protocol error."],
  [102, "EOPNOTSUPP", "The operation is not supported on this socket."],
];

/**
 * Darwin errno values by number.
 *
 * @example
 * ```ts
 * import { DARWIN_ERRNO } from "@recvmsg/recvmsg/structs";
 * console.log(DARWIN_ERRNO.get(35)?.name); // "EAGAIN"
 * ```
 */
export const DARWIN_ERRNO: ReadonlyMap<number, WinsockErrorInfo> = new Map(
  errnoTable.map(([code, name, message]) => [code, { code, name, message }]),
);
