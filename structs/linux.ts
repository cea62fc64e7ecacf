/**
 * Linux structures and constants (glibc, x86_64 and aarch64: LP64), as `<sys/socket.h>`,
 * `<netinet/in.h>`, `<poll.h>` and `<linux/errqueue.h>` declare them. Proven against gcc by tests/pure/layout_linux_c.test.ts.
 *
 * @module
 */
import { type Layout, layout, type StructDecl, UNIX_LP64 } from "./layout.ts";

/** `struct in_addr`: one 32-bit address in network order. */
export const IN_ADDR_LINUX: StructDecl = { c: "struct in_addr", fields: [["s_addr", "u32"]] };
/** `struct in6_addr`: a union whose widest member is `uint32_t[4]`, so 4-aligned. */
export const IN6_ADDR_LINUX: StructDecl = { c: "struct in6_addr", fields: [["__in6_u", { array: "u32", count: 4 }]] };

/** `struct msghdr`. `msg_iovlen` and `msg_controllen` are `size_t` in glibc. */
export const MSGHDR: StructDecl = {
  c: "struct msghdr",
  fields: [
    ["msg_name", "ptr"],
    ["msg_namelen", "u32"],
    ["msg_iov", "ptr"],
    ["msg_iovlen", "size"],
    ["msg_control", "ptr"],
    ["msg_controllen", "size"],
    ["msg_flags", "i32"],
  ],
};

/** `struct mmsghdr`: one entry of recvmmsg's vector, the msghdr and the byte count the call sets. */
export const MMSGHDR: StructDecl = { c: "struct mmsghdr", fields: [["msg_hdr", MSGHDR], ["msg_len", "u32"]] };

/** `struct iovec`. */
export const IOVEC: StructDecl = { c: "struct iovec", fields: [["iov_base", "ptr"], ["iov_len", "size"]] };

/** `struct cmsghdr`: the same 16 bytes as WSACMSGHDR on 64-bit Linux. */
export const CMSGHDR: StructDecl = {
  c: "struct cmsghdr",
  fields: [["cmsg_len", "size"], ["cmsg_level", "i32"], ["cmsg_type", "i32"]],
};

/** `struct sockaddr_in`. */
export const SOCKADDR_IN_LINUX: StructDecl = {
  c: "struct sockaddr_in",
  fields: [["sin_family", "u16"], ["sin_port", "u16"], ["sin_addr", IN_ADDR_LINUX], ["sin_zero", {
    array: "u8",
    count: 8,
  }]],
};

/** `struct sockaddr_in6`. */
export const SOCKADDR_IN6_LINUX: StructDecl = {
  c: "struct sockaddr_in6",
  fields: [["sin6_family", "u16"], ["sin6_port", "u16"], ["sin6_flowinfo", "u32"], ["sin6_addr", IN6_ADDR_LINUX], [
    "sin6_scope_id",
    "u32",
  ]],
};

/** `struct sockaddr_storage`. */
export const SOCKADDR_STORAGE_LINUX: StructDecl = {
  c: "struct sockaddr_storage",
  fields: [["ss_family", "u16"], ["__ss_padding", { array: "u8", count: 118 }], ["__ss_align", "ulong"]],
};

/** `struct in_pktinfo`: unlike Windows' IN_PKTINFO, the interface comes first and the destination last. */
export const IN_PKTINFO_LINUX: StructDecl = {
  c: "struct in_pktinfo",
  fields: [["ipi_ifindex", "i32"], ["ipi_spec_dst", IN_ADDR_LINUX], ["ipi_addr", IN_ADDR_LINUX]],
};

/** `struct in6_pktinfo`. */
export const IN6_PKTINFO_LINUX: StructDecl = {
  c: "struct in6_pktinfo",
  fields: [["ipi6_addr", IN6_ADDR_LINUX], ["ipi6_ifindex", "u32"]],
};

/** `struct pollfd`. */
export const POLLFD: StructDecl = {
  c: "struct pollfd",
  fields: [["fd", "i32"], ["events", "i16"], ["revents", "i16"]],
};

/** `struct ip_mreqn`: an IPv4 group, and the interface by address and/or index (IP_ADD_MEMBERSHIP, IP_MULTICAST_IF). */
export const IP_MREQN: StructDecl = {
  c: "struct ip_mreqn",
  fields: [["imr_multiaddr", IN_ADDR_LINUX], ["imr_address", IN_ADDR_LINUX], ["imr_ifindex", "i32"]],
};

/** `struct group_req`: a group of either family, by interface index (MCAST_JOIN_GROUP). */
export const GROUP_REQ_LINUX: StructDecl = {
  c: "struct group_req",
  fields: [["gr_interface", "u32"], ["gr_group", SOCKADDR_STORAGE_LINUX]],
};

/** `struct group_source_req`: a source-specific membership (MCAST_JOIN_SOURCE_GROUP). */
export const GROUP_SOURCE_REQ_LINUX: StructDecl = {
  c: "struct group_source_req",
  fields: [["gsr_interface", "u32"], ["gsr_group", SOCKADDR_STORAGE_LINUX], ["gsr_source", SOCKADDR_STORAGE_LINUX]],
};

/** `struct ifaddrs` (getifaddrs): a linked list the C library allocates. */
export const IFADDRS: StructDecl = {
  c: "struct ifaddrs",
  fields: [
    ["ifa_next", "ptr"],
    ["ifa_name", "ptr"],
    ["ifa_flags", "u32"],
    ["ifa_addr", "ptr"],
    ["ifa_netmask", "ptr"],
    ["ifa_ifu", "ptr"],
    ["ifa_data", "ptr"],
  ],
};

/** `struct addrinfo` (getaddrinfo): a linked list the C library allocates; glibc puts `ai_addr` before `ai_canonname`. */
export const ADDRINFO_LINUX: StructDecl = {
  c: "struct addrinfo",
  fields: [
    ["ai_flags", "i32"],
    ["ai_family", "i32"],
    ["ai_socktype", "i32"],
    ["ai_protocol", "i32"],
    ["ai_addrlen", "u32"],
    ["ai_addr", "ptr"],
    ["ai_canonname", "ptr"],
    ["ai_next", "ptr"],
  ],
};

/**
 * `struct sock_extended_err` (<linux/errqueue.h>): one record of a socket's error queue, read with
 * `recvmsg(MSG_ERRQUEUE)` in an IP_RECVERR / IPV6_RECVERR control message, followed there by the
 * offender's address (SO_EE_OFFENDER: the sockaddr right after the struct).
 */
export const SOCK_EXTENDED_ERR: StructDecl = {
  c: "struct sock_extended_err",
  fields: [
    ["ee_errno", "u32"],
    ["ee_origin", "u8"],
    ["ee_type", "u8"],
    ["ee_code", "u8"],
    ["ee_pad", "u8"],
    ["ee_info", "u32"],
    ["ee_data", "u32"],
  ],
};

/** Every Linux declaration, for the compiler checks. */
export const LINUX_STRUCTS: readonly StructDecl[] = [
  IN_ADDR_LINUX,
  IN6_ADDR_LINUX,
  MSGHDR,
  MMSGHDR,
  IOVEC,
  CMSGHDR,
  SOCKADDR_IN_LINUX,
  SOCKADDR_IN6_LINUX,
  SOCKADDR_STORAGE_LINUX,
  IN_PKTINFO_LINUX,
  IN6_PKTINFO_LINUX,
  POLLFD,
  IP_MREQN,
  GROUP_REQ_LINUX,
  GROUP_SOURCE_REQ_LINUX,
  IFADDRS,
  SOCK_EXTENDED_ERR,
  ADDRINFO_LINUX,
];

/**
 * The Linux structs laid out for LP64, computed once.
 *
 * @example
 * ```ts
 * import { LNX } from "@recvmsg/recvmsg/structs";
 * console.log(LNX.msghdr.size, LNX.in_pktinfo.fields.ipi_addr.offset); // 56 8
 * ```
 */
export const LNX: {
  readonly msghdr: Layout;
  readonly mmsghdr: Layout;
  readonly iovec: Layout;
  readonly cmsghdr: Layout;
  readonly sockaddr_in: Layout;
  readonly sockaddr_in6: Layout;
  readonly sockaddr_storage: Layout;
  readonly in_pktinfo: Layout;
  readonly in6_pktinfo: Layout;
  readonly pollfd: Layout;
  readonly ip_mreqn: Layout;
  readonly group_req: Layout;
  readonly group_source_req: Layout;
  readonly ifaddrs: Layout;
  readonly sock_extended_err: Layout;
  readonly addrinfo: Layout;
} = {
  msghdr: layout(MSGHDR, UNIX_LP64),
  mmsghdr: layout(MMSGHDR, UNIX_LP64),
  iovec: layout(IOVEC, UNIX_LP64),
  cmsghdr: layout(CMSGHDR, UNIX_LP64),
  sockaddr_in: layout(SOCKADDR_IN_LINUX, UNIX_LP64),
  sockaddr_in6: layout(SOCKADDR_IN6_LINUX, UNIX_LP64),
  sockaddr_storage: layout(SOCKADDR_STORAGE_LINUX, UNIX_LP64),
  in_pktinfo: layout(IN_PKTINFO_LINUX, UNIX_LP64),
  in6_pktinfo: layout(IN6_PKTINFO_LINUX, UNIX_LP64),
  pollfd: layout(POLLFD, UNIX_LP64),
  ip_mreqn: layout(IP_MREQN, UNIX_LP64),
  group_req: layout(GROUP_REQ_LINUX, UNIX_LP64),
  group_source_req: layout(GROUP_SOURCE_REQ_LINUX, UNIX_LP64),
  ifaddrs: layout(IFADDRS, UNIX_LP64),
  sock_extended_err: layout(SOCK_EXTENDED_ERR, UNIX_LP64),
  addrinfo: layout(ADDRINFO_LINUX, UNIX_LP64),
};

/**
 * Linux constant values, by their C names. Note where they differ from Windows: IPv6 is family 10,
 * `IP_PKTINFO` is 8, and the receive-side IPv6 option is `IPV6_RECVPKTINFO` (49) while `IPV6_PKTINFO`
 * (50) is the control message type and the send-side option.
 *
 * @example
 * ```ts
 * import { LINUX } from "@recvmsg/recvmsg/structs";
 * console.log(LINUX.AF_INET6, LINUX.IP_PKTINFO, LINUX.IPV6_RECVPKTINFO); // 10 8 49
 * ```
 */
export const LINUX = {
  AF_INET: 2,
  AF_INET6: 10,
  SOCK_DGRAM: 2,
  SOCK_RAW: 3,
  SOCK_STREAM: 1,
  SOCK_NONBLOCK: 0x800,
  SOCK_CLOEXEC: 0x80000,
  IPPROTO_IP: 0,
  IPPROTO_ICMP: 1,
  IPPROTO_ICMPV6: 58,
  IPPROTO_TCP: 6,
  IPPROTO_UDP: 17,
  IPPROTO_IPV6: 41,
  SOL_SOCKET: 1,
  SO_REUSEADDR: 2,
  SO_BROADCAST: 6,
  SO_SNDBUF: 7,
  SO_RCVBUF: 8,
  SO_REUSEPORT: 15,
  SO_TIMESTAMPNS: 35,
  IP_TOS: 1,
  IP_TTL: 2,
  IP_PKTINFO: 8,
  IP_RECVTTL: 12,
  IP_RECVTOS: 13,
  IP_MTU_DISCOVER: 10,
  IP_RECVERR: 11,
  IP_MTU: 14,
  IP_PMTUDISC_PROBE: 3,
  IP_MULTICAST_IF: 32,
  IP_MULTICAST_TTL: 33,
  IP_MULTICAST_LOOP: 34,
  IP_ADD_MEMBERSHIP: 35,
  IP_DROP_MEMBERSHIP: 36,
  MCAST_JOIN_GROUP: 42,
  MCAST_LEAVE_GROUP: 45,
  MCAST_JOIN_SOURCE_GROUP: 46,
  MCAST_LEAVE_SOURCE_GROUP: 47,
  IPV6_UNICAST_HOPS: 16,
  IPV6_MULTICAST_IF: 17,
  IPV6_MULTICAST_HOPS: 18,
  IPV6_MULTICAST_LOOP: 19,
  IPV6_ADD_MEMBERSHIP: 20,
  IPV6_DROP_MEMBERSHIP: 21,
  IPV6_V6ONLY: 26,
  IPV6_MTU_DISCOVER: 23,
  IPV6_MTU: 24,
  IPV6_RECVERR: 25,
  IPV6_PMTUDISC_PROBE: 3,
  IPV6_DONTFRAG: 62,
  IPV6_RECVPKTINFO: 49,
  IPV6_PKTINFO: 50,
  IPV6_RECVHOPLIMIT: 51,
  IPV6_HOPLIMIT: 52,
  IPV6_RECVTCLASS: 66,
  IPV6_TCLASS: 67,
  UDP_SEGMENT: 103,
  UDP_GRO: 104,
  MSG_PEEK: 0x2,
  MSG_CTRUNC: 0x8,
  MSG_TRUNC: 0x20,
  MSG_DONTWAIT: 0x40,
  MSG_ERRQUEUE: 0x2000,
  SO_EE_ORIGIN_NONE: 0,
  SO_EE_ORIGIN_LOCAL: 1,
  SO_EE_ORIGIN_ICMP: 2,
  SO_EE_ORIGIN_ICMP6: 3,
  SO_EE_ORIGIN_TXSTATUS: 4,
  SO_EE_ORIGIN_ZEROCOPY: 5,
  SO_EE_ORIGIN_TXTIME: 6,
  POLLIN: 0x1,
  EFD_CLOEXEC: 0x80000,
  EFD_NONBLOCK: 0x800,
  AF_PACKET: 17,
  IFF_UP: 0x1,
  IFF_LOOPBACK: 0x8,
  IFF_MULTICAST: 0x1000,
} as const;
