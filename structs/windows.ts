/**
 * Winsock structures as declared in the Windows SDK (`ws2def.h`, `winsock2.h`, `ws2ipdef.h`,
 * `mswsock.h`, `minwinbase.h`), laid out for 64-bit Windows. Field names are the C names, so the
 * generated compiler checks can name them directly.
 *
 * @module
 */
import { type Layout, layout, type StructDecl, WINDOWS_LLP64 } from "./layout.ts";

/** `WSABUF`: one buffer, `ULONG len` then `CHAR *buf`. */
export const WSABUF: StructDecl = { c: "WSABUF", fields: [["len", "ulong"], ["buf", "ptr"]] };

/** `WSAMSG`: the `msghdr` of Winsock, passed to WSARecvMsg and WSASendMsg. */
export const WSAMSG: StructDecl = {
  c: "WSAMSG",
  fields: [
    ["name", "ptr"],
    ["namelen", "i32"],
    ["lpBuffers", "ptr"],
    ["dwBufferCount", "u32"],
    ["Control", WSABUF],
    ["dwFlags", "u32"],
  ],
};

/** `WSACMSGHDR`: the header in front of each control message. */
export const WSACMSGHDR: StructDecl = {
  c: "WSACMSGHDR",
  fields: [["cmsg_len", "size"], ["cmsg_level", "i32"], ["cmsg_type", "i32"]],
};

/**
 * `IN_ADDR`: four address bytes in network order. In C a union whose widest member is a `u_long`,
 * which makes it 4-aligned (and so every struct holding one).
 */
export const IN_ADDR: StructDecl = { c: "IN_ADDR", fields: [["S_un", "u32"]] };

/** `IN6_ADDR`: sixteen address bytes; a union of bytes and `u_short` words in C, so 2-aligned. */
export const IN6_ADDR: StructDecl = { c: "IN6_ADDR", fields: [["u", { array: "u16", count: 8 }]] };

/** `SOCKADDR_IN`: `sin_port` and `sin_addr` are in network byte order. */
export const SOCKADDR_IN: StructDecl = {
  c: "SOCKADDR_IN",
  fields: [
    ["sin_family", "u16"],
    ["sin_port", "u16"],
    ["sin_addr", IN_ADDR],
    ["sin_zero", { array: "u8", count: 8 }],
  ],
};

/** `SOCKADDR_IN6`: `sin6_scope_id` shares its place with `sin6_scope_struct` in a union. */
export const SOCKADDR_IN6: StructDecl = {
  c: "SOCKADDR_IN6",
  fields: [
    ["sin6_family", "u16"],
    ["sin6_port", "u16"],
    ["sin6_flowinfo", "ulong"],
    ["sin6_addr", IN6_ADDR],
    ["sin6_scope_id", "ulong"],
  ],
};

/** `SOCKADDR_STORAGE`: room for any address; what WSAMSG.name points to on receive. */
export const SOCKADDR_STORAGE: StructDecl = {
  c: "SOCKADDR_STORAGE",
  fields: [
    ["ss_family", "u16"],
    ["__ss_pad1", { array: "u8", count: 6 }],
    ["__ss_align", "i64"],
    ["__ss_pad2", { array: "u8", count: 112 }],
  ],
};

/** `IN_PKTINFO`: the data of an `IP_PKTINFO` control message. */
export const IN_PKTINFO: StructDecl = {
  c: "IN_PKTINFO",
  fields: [["ipi_addr", IN_ADDR], ["ipi_ifindex", "ulong"]],
};

/** `IN6_PKTINFO`: the data of an `IPV6_PKTINFO` control message. */
export const IN6_PKTINFO: StructDecl = {
  c: "IN6_PKTINFO",
  fields: [["ipi6_addr", IN6_ADDR], ["ipi6_ifindex", "ulong"]],
};

/**
 * `WSAOVERLAPPED` (the same as `OVERLAPPED` on 64-bit Windows). `Offset`/`OffsetHigh` share a union
 * with `Pointer`; they are unused for sockets.
 */
export const WSAOVERLAPPED: StructDecl = {
  c: "WSAOVERLAPPED",
  fields: [
    ["Internal", "size"],
    ["InternalHigh", "size"],
    ["Offset", "u32"],
    ["OffsetHigh", "u32"],
    ["hEvent", "ptr"],
  ],
};

/** `WSADATA` as `WSAStartup` fills it on 64-bit Windows (the field order differs on 32-bit). */
export const WSADATA: StructDecl = {
  c: "WSADATA",
  fields: [
    ["wVersion", "u16"],
    ["wHighVersion", "u16"],
    ["iMaxSockets", "u16"],
    ["iMaxUdpDg", "u16"],
    ["lpVendorInfo", "ptr"],
    ["szDescription", { array: "u8", count: 257 }],
    ["szSystemStatus", { array: "u8", count: 129 }],
  ],
};

/** `GUID`: used to ask `WSAIoctl` for an extension function such as WSARecvMsg. */
export const GUID: StructDecl = {
  c: "GUID",
  fields: [["Data1", "u32"], ["Data2", "u16"], ["Data3", "u16"], ["Data4", { array: "u8", count: 8 }]],
};

/** `IP_MREQ`: an IPv4 group and the interface (an address, or an index in 0.0.0.0/8). */
export const IP_MREQ: StructDecl = { c: "IP_MREQ", fields: [["imr_multiaddr", IN_ADDR], ["imr_interface", IN_ADDR]] };

/** `IP_MREQ_SOURCE`: note the order, source before interface (Linux puts the interface second). */
export const IP_MREQ_SOURCE: StructDecl = {
  c: "IP_MREQ_SOURCE",
  fields: [["imr_multiaddr", IN_ADDR], ["imr_sourceaddr", IN_ADDR], ["imr_interface", IN_ADDR]],
};

/** `IPV6_MREQ`: an IPv6 group and the interface index. */
export const IPV6_MREQ: StructDecl = {
  c: "IPV6_MREQ",
  fields: [["ipv6mr_multiaddr", IN6_ADDR], ["ipv6mr_interface", "ulong"]],
};

/** `GROUP_REQ`: a group of either family, by interface index. */
export const GROUP_REQ: StructDecl = {
  c: "GROUP_REQ",
  fields: [["gr_interface", "ulong"], ["gr_group", SOCKADDR_STORAGE]],
};

/** `GROUP_SOURCE_REQ`: a source-specific membership of either family. */
export const GROUP_SOURCE_REQ: StructDecl = {
  c: "GROUP_SOURCE_REQ",
  fields: [["gsr_interface", "ulong"], ["gsr_group", SOCKADDR_STORAGE], ["gsr_source", SOCKADDR_STORAGE]],
};

/** `SOCKET_ADDRESS`: a pointer to a sockaddr and its length. */
export const SOCKET_ADDRESS: StructDecl = {
  c: "SOCKET_ADDRESS",
  fields: [["lpSockaddr", "ptr"], ["iSockaddrLength", "i32"]],
};

/** `IP_ADAPTER_UNICAST_ADDRESS_LH` (iptypes.h): one address of an adapter, in GetAdaptersAddresses' list. */
export const IP_ADAPTER_UNICAST_ADDRESS_LH: StructDecl = {
  c: "IP_ADAPTER_UNICAST_ADDRESS_LH",
  fields: [
    ["Length", "u32"],
    ["Flags", "u32"],
    ["Next", "ptr"],
    ["Address", SOCKET_ADDRESS],
    ["PrefixOrigin", "i32"],
    ["SuffixOrigin", "i32"],
    ["DadState", "i32"],
    ["ValidLifetime", "ulong"],
    ["PreferredLifetime", "ulong"],
    ["LeaseLifetime", "ulong"],
    ["OnLinkPrefixLength", "u8"],
  ],
};

/** `ADDRINFOA` (ws2def.h): getaddrinfo's list; `ai_addrlen` is a size_t here, and `ai_canonname` comes before `ai_addr`. */
export const ADDRINFOA: StructDecl = {
  c: "ADDRINFOA",
  fields: [
    ["ai_flags", "i32"],
    ["ai_family", "i32"],
    ["ai_socktype", "i32"],
    ["ai_protocol", "i32"],
    ["ai_addrlen", "size"],
    ["ai_canonname", "ptr"],
    ["ai_addr", "ptr"],
    ["ai_next", "ptr"],
  ],
};

/** `IP_ADAPTER_ADDRESSES_LH` (iptypes.h): one adapter, in GetAdaptersAddresses' list. */
export const IP_ADAPTER_ADDRESSES_LH: StructDecl = {
  c: "IP_ADAPTER_ADDRESSES_LH",
  fields: [
    ["Length", "u32"],
    ["IfIndex", "u32"],
    ["Next", "ptr"],
    ["AdapterName", "ptr"],
    ["FirstUnicastAddress", "ptr"],
    ["FirstAnycastAddress", "ptr"],
    ["FirstMulticastAddress", "ptr"],
    ["FirstDnsServerAddress", "ptr"],
    ["DnsSuffix", "ptr"],
    ["Description", "ptr"],
    ["FriendlyName", "ptr"],
    ["PhysicalAddress", { array: "u8", count: 8 }],
    ["PhysicalAddressLength", "ulong"],
    ["Flags", "ulong"],
    ["Mtu", "ulong"],
    ["IfType", "ulong"],
    ["OperStatus", "i32"],
    ["Ipv6IfIndex", "u32"],
    ["ZoneIndices", { array: "u32", count: 16 }],
    ["FirstPrefix", "ptr"],
    ["TransmitLinkSpeed", "u64"],
    ["ReceiveLinkSpeed", "u64"],
    ["FirstWinsServerAddress", "ptr"],
    ["FirstGatewayAddress", "ptr"],
    ["Ipv4Metric", "ulong"],
    ["Ipv6Metric", "ulong"],
    ["Luid", "u64"],
    ["Dhcpv4Server", SOCKET_ADDRESS],
    ["CompartmentId", "u32"],
    ["NetworkGuid", GUID],
    ["ConnectionType", "i32"],
    ["TunnelType", "i32"],
    ["Dhcpv6Server", SOCKET_ADDRESS],
    ["Dhcpv6ClientDuid", { array: "u8", count: 130 }],
    ["Dhcpv6ClientDuidLength", "ulong"],
    ["Dhcpv6Iaid", "ulong"],
    ["FirstDnsSuffix", "ptr"],
  ],
};

/** `OVERLAPPED_ENTRY`: one completion GetQueuedCompletionStatusEx removed from a port. */
export const OVERLAPPED_ENTRY: StructDecl = {
  c: "OVERLAPPED_ENTRY",
  fields: [
    ["lpCompletionKey", "ptr"],
    ["lpOverlapped", "ptr"],
    ["Internal", "ptr"],
    ["dwNumberOfBytesTransferred", "ulong"],
  ],
};

/** Every Windows declaration, for the compiler checks and for tools. */
export const WINDOWS_STRUCTS: readonly StructDecl[] = [
  IN_ADDR,
  IN6_ADDR,
  WSABUF,
  WSAMSG,
  WSACMSGHDR,
  SOCKADDR_IN,
  SOCKADDR_IN6,
  SOCKADDR_STORAGE,
  IN_PKTINFO,
  IN6_PKTINFO,
  WSAOVERLAPPED,
  OVERLAPPED_ENTRY,
  WSADATA,
  GUID,
  IP_MREQ,
  IP_MREQ_SOURCE,
  IPV6_MREQ,
  GROUP_REQ,
  GROUP_SOURCE_REQ,
  SOCKET_ADDRESS,
  IP_ADAPTER_UNICAST_ADDRESS_LH,
  IP_ADAPTER_ADDRESSES_LH,
  ADDRINFOA,
];

/**
 * The Windows structs laid out for 64-bit Windows, computed once. Code that reads or writes them
 * uses these offsets rather than numbers of its own.
 *
 * @example
 * ```ts
 * import { WIN } from "@recvmsg/recvmsg/structs";
 * console.log(WIN.WSAMSG.size, WIN.WSAMSG.fields.dwFlags.offset); // 56 48
 * ```
 */
export const WIN: {
  readonly WSABUF: Layout;
  readonly WSAMSG: Layout;
  readonly WSACMSGHDR: Layout;
  readonly SOCKADDR_IN: Layout;
  readonly SOCKADDR_IN6: Layout;
  readonly SOCKADDR_STORAGE: Layout;
  readonly IN_PKTINFO: Layout;
  readonly IN6_PKTINFO: Layout;
  readonly WSAOVERLAPPED: Layout;
  readonly OVERLAPPED_ENTRY: Layout;
  readonly WSADATA: Layout;
  readonly GUID: Layout;
  readonly IP_MREQ: Layout;
  readonly IP_MREQ_SOURCE: Layout;
  readonly IPV6_MREQ: Layout;
  readonly GROUP_REQ: Layout;
  readonly GROUP_SOURCE_REQ: Layout;
  readonly IP_ADAPTER_UNICAST_ADDRESS_LH: Layout;
  readonly IP_ADAPTER_ADDRESSES_LH: Layout;
  readonly ADDRINFOA: Layout;
} = {
  WSABUF: layout(WSABUF, WINDOWS_LLP64),
  WSAMSG: layout(WSAMSG, WINDOWS_LLP64),
  WSACMSGHDR: layout(WSACMSGHDR, WINDOWS_LLP64),
  SOCKADDR_IN: layout(SOCKADDR_IN, WINDOWS_LLP64),
  SOCKADDR_IN6: layout(SOCKADDR_IN6, WINDOWS_LLP64),
  SOCKADDR_STORAGE: layout(SOCKADDR_STORAGE, WINDOWS_LLP64),
  IN_PKTINFO: layout(IN_PKTINFO, WINDOWS_LLP64),
  IN6_PKTINFO: layout(IN6_PKTINFO, WINDOWS_LLP64),
  WSAOVERLAPPED: layout(WSAOVERLAPPED, WINDOWS_LLP64),
  OVERLAPPED_ENTRY: layout(OVERLAPPED_ENTRY, WINDOWS_LLP64),
  WSADATA: layout(WSADATA, WINDOWS_LLP64),
  GUID: layout(GUID, WINDOWS_LLP64),
  IP_MREQ: layout(IP_MREQ, WINDOWS_LLP64),
  IP_MREQ_SOURCE: layout(IP_MREQ_SOURCE, WINDOWS_LLP64),
  IPV6_MREQ: layout(IPV6_MREQ, WINDOWS_LLP64),
  GROUP_REQ: layout(GROUP_REQ, WINDOWS_LLP64),
  GROUP_SOURCE_REQ: layout(GROUP_SOURCE_REQ, WINDOWS_LLP64),
  IP_ADAPTER_UNICAST_ADDRESS_LH: layout(IP_ADAPTER_UNICAST_ADDRESS_LH, WINDOWS_LLP64),
  IP_ADAPTER_ADDRESSES_LH: layout(IP_ADAPTER_ADDRESSES_LH, WINDOWS_LLP64),
  ADDRINFOA: layout(ADDRINFOA, WINDOWS_LLP64),
};
