/**
 * Multicast membership and the options a sender sets, as data per platform: what setsockopt each
 * call makes, at which level, with which struct. The structs come from the layout tables proven
 * against the C compilers (WIN, LNX, DRW); a backend only makes the call (`BackendSocket.setRawOption`).
 *
 * Membership requests:
 * - Linux: IPv4 any-source by `ip_mreqn` (interface by address and/or index); everything else by the
 *   protocol-independent `group_req` / `group_source_req` (MCAST_JOIN_GROUP, MCAST_JOIN_SOURCE_GROUP).
 * - Windows: the classic requests, which Wine implements too: `IP_MREQ` / `IP_MREQ_SOURCE` (the interface
 *   as an address, or as an index written in 0.0.0.0/8), `IPV6_MREQ`, and `GROUP_SOURCE_REQ` for IPv6 SSM.
 * - macOS: `group_req` / `group_source_req` (packed to 4 there) by interface index for both families.
 *
 * @module
 */
import * as W from "../../structs/constants.ts";
import { DARWIN, DRW } from "../../structs/darwin.ts";
import { LINUX, LNX } from "../../structs/linux.ts";
import type { Layout } from "../../structs/layout.ts";
import { encodeSockaddr, type Families, WINDOWS_FAMILIES } from "../../structs/sockaddr.ts";
import { WIN } from "../../structs/windows.ts";

/** The options a sender (or any socket) may set after it is open. */
export type SettableOption =
  | "multicastInterface"
  | "multicastLoopback"
  | "multicastHopLimit"
  | "broadcast"
  | "hopLimit"
  | "dontFragment"
  | "sendBufferSize"
  | "receiveBufferSize";

/** How an option's value is written. */
type Encoding =
  | "int" // a C int, host order
  | "byte" // an unsigned char
  | "mreqn" // Linux: struct ip_mreqn with only the index set
  | "indexBE32" // Windows IPv4: an index in 0.0.0.0/8, in network order
  | "pmtuProbe"; // Linux: IP(V6)_PMTUDISC_PROBE when on, IP(V6)_PMTUDISC_DONT when off

/** One setsockopt of a settable option. */
export interface SetRow {
  /** Which sockets it applies to: IPv4 (and dual-stack), IPv6, or every one. */
  readonly family: "v4" | "v6" | "any";
  /** setsockopt's level. */
  readonly level: number;
  /** setsockopt's option name. */
  readonly name: number;
  /** The option's name in errors. */
  readonly label: string;
  /** How the value is written. */
  readonly encoding: Encoding;
}

/** One setsockopt call, ready to make. */
export interface RawOption {
  /** setsockopt's level. */
  readonly level: number;
  /** setsockopt's option name. */
  readonly name: number;
  /** The option's name in errors. */
  readonly label: string;
  /** The option value. */
  readonly bytes: Uint8Array;
}

/** A membership as the caller asked for it, its addresses already parsed. */
export interface MembershipSpec {
  /** The group's 4 or 16 bytes. */
  readonly group: Uint8Array;
  /** The interface index, 0 for the system's choice. */
  readonly interfaceIndex: number;
  /** IPv4: the interface's address, when the caller named it so (else null). */
  readonly interfaceAddress: Uint8Array | null;
  /** The one source to receive from (SSM), or null for any source. */
  readonly source: Uint8Array | null;
}

/** What differs between platforms. */
interface Platform {
  readonly families: Families;
  readonly set: Readonly<Record<SettableOption, readonly SetRow[]>>;
  request(join: boolean, m: MembershipSpec): RawOption;
}

const row = (
  family: SetRow["family"],
  level: number,
  name: number,
  label: string,
  encoding: Encoding = "int",
): SetRow => ({ family, level, name, label, encoding });

/** A group_req / group_source_req of `layout` (field names `gr_*` or `gsr_*`), sockaddrs of `families`. */
function groupRequest(l: Layout, families: Families, m: MembershipSpec): Uint8Array {
  const bytes = new Uint8Array(l.size);
  const dv = new DataView(bytes.buffer);
  const ssm = m.source !== null;
  const f = l.fields;
  dv.setUint32(f[ssm ? "gsr_interface" : "gr_interface"].offset, m.interfaceIndex, true);
  encodeSockaddr(dv, f[ssm ? "gsr_group" : "gr_group"].offset, { hostname: text(m.group), port: 0 }, families);
  if (m.source) encodeSockaddr(dv, f.gsr_source.offset, { hostname: text(m.source), port: 0 }, families);
  return bytes;
}

/** Address text of 4 or 16 bytes, for the sockaddr encoder. */
function text(b: Uint8Array): string {
  if (b.length === 4) return b.join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
  return groups.join(":");
}

/** An IPv4 interface written in an in_addr: its address, or Windows' index in 0.0.0.0/8 (network order). */
function ipv4Interface(m: MembershipSpec): Uint8Array {
  if (m.interfaceAddress) return m.interfaceAddress;
  const i = m.interfaceIndex;
  return new Uint8Array([0, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff]);
}

const LINUX_PLATFORM: Platform = {
  families: { inet: LINUX.AF_INET, inet6: LINUX.AF_INET6 },
  set: {
    multicastInterface: [
      row("v4", LINUX.IPPROTO_IP, LINUX.IP_MULTICAST_IF, "IP_MULTICAST_IF", "mreqn"),
      row("v6", LINUX.IPPROTO_IPV6, LINUX.IPV6_MULTICAST_IF, "IPV6_MULTICAST_IF"),
    ],
    multicastLoopback: [
      row("v4", LINUX.IPPROTO_IP, LINUX.IP_MULTICAST_LOOP, "IP_MULTICAST_LOOP"),
      row("v6", LINUX.IPPROTO_IPV6, LINUX.IPV6_MULTICAST_LOOP, "IPV6_MULTICAST_LOOP"),
    ],
    multicastHopLimit: [
      row("v4", LINUX.IPPROTO_IP, LINUX.IP_MULTICAST_TTL, "IP_MULTICAST_TTL"),
      row("v6", LINUX.IPPROTO_IPV6, LINUX.IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS"),
    ],
    broadcast: [row("any", 1, LINUX.SO_BROADCAST, "SO_BROADCAST")],
    hopLimit: [
      row("v4", LINUX.IPPROTO_IP, LINUX.IP_TTL, "IP_TTL"),
      row("v6", LINUX.IPPROTO_IPV6, LINUX.IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS"),
    ],
    // PROBE: the DF bit set and the kernel's path-MTU guesses ignored, as QUIC wants (it probes itself).
    dontFragment: [
      row("v4", LINUX.IPPROTO_IP, LINUX.IP_MTU_DISCOVER, "IP_MTU_DISCOVER", "pmtuProbe"),
      row("v6", LINUX.IPPROTO_IPV6, LINUX.IPV6_MTU_DISCOVER, "IPV6_MTU_DISCOVER", "pmtuProbe"),
      row("v6", LINUX.IPPROTO_IPV6, LINUX.IPV6_DONTFRAG, "IPV6_DONTFRAG"),
    ],
    sendBufferSize: [row("any", 1, LINUX.SO_SNDBUF, "SO_SNDBUF")],
    receiveBufferSize: [row("any", 1, LINUX.SO_RCVBUF, "SO_RCVBUF")],
  },
  request(join, m) {
    const v6 = m.group.length === 16;
    if (!v6 && m.source === null) {
      const l = LNX.ip_mreqn;
      const bytes = new Uint8Array(l.size);
      bytes.set(m.group, l.fields.imr_multiaddr.offset);
      if (m.interfaceAddress) bytes.set(m.interfaceAddress, l.fields.imr_address.offset);
      new DataView(bytes.buffer).setInt32(l.fields.imr_ifindex.offset, m.interfaceIndex, true);
      return {
        level: LINUX.IPPROTO_IP,
        name: join ? LINUX.IP_ADD_MEMBERSHIP : LINUX.IP_DROP_MEMBERSHIP,
        label: join ? "IP_ADD_MEMBERSHIP" : "IP_DROP_MEMBERSHIP",
        bytes,
      };
    }
    const ssm = m.source !== null;
    const name = ssm
      ? (join ? LINUX.MCAST_JOIN_SOURCE_GROUP : LINUX.MCAST_LEAVE_SOURCE_GROUP)
      : (join ? LINUX.MCAST_JOIN_GROUP : LINUX.MCAST_LEAVE_GROUP);
    const label = ssm
      ? (join ? "MCAST_JOIN_SOURCE_GROUP" : "MCAST_LEAVE_SOURCE_GROUP")
      : (join ? "MCAST_JOIN_GROUP" : "MCAST_LEAVE_GROUP");
    return {
      level: v6 ? LINUX.IPPROTO_IPV6 : LINUX.IPPROTO_IP,
      name,
      label,
      bytes: groupRequest(ssm ? LNX.group_source_req : LNX.group_req, this.families, m),
    };
  },
};

const WINDOWS_PLATFORM: Platform = {
  families: WINDOWS_FAMILIES,
  set: {
    multicastInterface: [
      row("v4", W.IPPROTO_IP, W.IP_MULTICAST_IF, "IP_MULTICAST_IF", "indexBE32"),
      row("v6", W.IPPROTO_IPV6, W.IPV6_MULTICAST_IF, "IPV6_MULTICAST_IF"),
    ],
    multicastLoopback: [
      row("v4", W.IPPROTO_IP, W.IP_MULTICAST_LOOP, "IP_MULTICAST_LOOP"),
      row("v6", W.IPPROTO_IPV6, W.IPV6_MULTICAST_LOOP, "IPV6_MULTICAST_LOOP"),
    ],
    multicastHopLimit: [
      row("v4", W.IPPROTO_IP, W.IP_MULTICAST_TTL, "IP_MULTICAST_TTL"),
      row("v6", W.IPPROTO_IPV6, W.IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS"),
    ],
    broadcast: [row("any", W.SOL_SOCKET, W.SO_BROADCAST, "SO_BROADCAST")],
    hopLimit: [
      row("v4", W.IPPROTO_IP, W.IP_TTL, "IP_TTL"),
      row("v6", W.IPPROTO_IPV6, W.IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS"),
    ],
    dontFragment: [
      row("v4", W.IPPROTO_IP, W.IP_DONTFRAGMENT, "IP_DONTFRAGMENT"),
      row("v6", W.IPPROTO_IPV6, W.IPV6_DONTFRAG, "IPV6_DONTFRAG"),
    ],
    sendBufferSize: [row("any", W.SOL_SOCKET, W.SO_SNDBUF, "SO_SNDBUF")],
    receiveBufferSize: [row("any", W.SOL_SOCKET, W.SO_RCVBUF, "SO_RCVBUF")],
  },
  request(join, m) {
    const v6 = m.group.length === 16;
    if (v6 && m.source) {
      return {
        level: W.IPPROTO_IPV6,
        name: join ? W.MCAST_JOIN_SOURCE_GROUP : W.MCAST_LEAVE_SOURCE_GROUP,
        label: join ? "MCAST_JOIN_SOURCE_GROUP" : "MCAST_LEAVE_SOURCE_GROUP",
        bytes: groupRequest(WIN.GROUP_SOURCE_REQ, this.families, m),
      };
    }
    if (v6) {
      const l = WIN.IPV6_MREQ;
      const bytes = new Uint8Array(l.size);
      bytes.set(m.group, l.fields.ipv6mr_multiaddr.offset);
      new DataView(bytes.buffer).setUint32(l.fields.ipv6mr_interface.offset, m.interfaceIndex, true);
      return {
        level: W.IPPROTO_IPV6,
        name: join ? W.IPV6_ADD_MEMBERSHIP : W.IPV6_DROP_MEMBERSHIP,
        label: join ? "IPV6_ADD_MEMBERSHIP" : "IPV6_DROP_MEMBERSHIP",
        bytes,
      };
    }
    if (m.source) {
      const l = WIN.IP_MREQ_SOURCE;
      const bytes = new Uint8Array(l.size);
      bytes.set(m.group, l.fields.imr_multiaddr.offset);
      bytes.set(m.source, l.fields.imr_sourceaddr.offset);
      bytes.set(ipv4Interface(m), l.fields.imr_interface.offset);
      return {
        level: W.IPPROTO_IP,
        name: join ? W.IP_ADD_SOURCE_MEMBERSHIP : W.IP_DROP_SOURCE_MEMBERSHIP,
        label: join ? "IP_ADD_SOURCE_MEMBERSHIP" : "IP_DROP_SOURCE_MEMBERSHIP",
        bytes,
      };
    }
    const l = WIN.IP_MREQ;
    const bytes = new Uint8Array(l.size);
    bytes.set(m.group, l.fields.imr_multiaddr.offset);
    bytes.set(ipv4Interface(m), l.fields.imr_interface.offset);
    return {
      level: W.IPPROTO_IP,
      name: join ? W.IP_ADD_MEMBERSHIP : W.IP_DROP_MEMBERSHIP,
      label: join ? "IP_ADD_MEMBERSHIP" : "IP_DROP_MEMBERSHIP",
      bytes,
    };
  },
};

const DARWIN_PLATFORM: Platform = {
  families: {
    inet: (DARWIN.AF_INET << 8) | DRW.sockaddr_in.size,
    inet6: (DARWIN.AF_INET6 << 8) | DRW.sockaddr_in6.size,
  },
  set: {
    multicastInterface: [
      row("v4", DARWIN.IPPROTO_IP, DARWIN.IP_MULTICAST_IFINDEX, "IP_MULTICAST_IFINDEX"),
      row("v6", DARWIN.IPPROTO_IPV6, DARWIN.IPV6_MULTICAST_IF, "IPV6_MULTICAST_IF"),
    ],
    multicastLoopback: [
      row("v4", DARWIN.IPPROTO_IP, DARWIN.IP_MULTICAST_LOOP, "IP_MULTICAST_LOOP", "byte"),
      row("v6", DARWIN.IPPROTO_IPV6, DARWIN.IPV6_MULTICAST_LOOP, "IPV6_MULTICAST_LOOP"),
    ],
    multicastHopLimit: [
      row("v4", DARWIN.IPPROTO_IP, DARWIN.IP_MULTICAST_TTL, "IP_MULTICAST_TTL", "byte"),
      row("v6", DARWIN.IPPROTO_IPV6, DARWIN.IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS"),
    ],
    broadcast: [row("any", DARWIN.SOL_SOCKET, DARWIN.SO_BROADCAST, "SO_BROADCAST")],
    hopLimit: [
      row("v4", DARWIN.IPPROTO_IP, DARWIN.IP_TTL, "IP_TTL"),
      row("v6", DARWIN.IPPROTO_IPV6, DARWIN.IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS"),
    ],
    dontFragment: [
      row("v4", DARWIN.IPPROTO_IP, DARWIN.IP_DONTFRAG, "IP_DONTFRAG"),
      row("v6", DARWIN.IPPROTO_IPV6, DARWIN.IPV6_DONTFRAG, "IPV6_DONTFRAG"),
    ],
    sendBufferSize: [row("any", DARWIN.SOL_SOCKET, DARWIN.SO_SNDBUF, "SO_SNDBUF")],
    receiveBufferSize: [row("any", DARWIN.SOL_SOCKET, DARWIN.SO_RCVBUF, "SO_RCVBUF")],
  },
  request(join, m) {
    const ssm = m.source !== null;
    const name = ssm
      ? (join ? DARWIN.MCAST_JOIN_SOURCE_GROUP : DARWIN.MCAST_LEAVE_SOURCE_GROUP)
      : (join ? DARWIN.MCAST_JOIN_GROUP : DARWIN.MCAST_LEAVE_GROUP);
    const label = ssm
      ? (join ? "MCAST_JOIN_SOURCE_GROUP" : "MCAST_LEAVE_SOURCE_GROUP")
      : (join ? "MCAST_JOIN_GROUP" : "MCAST_LEAVE_GROUP");
    return {
      level: m.group.length === 16 ? DARWIN.IPPROTO_IPV6 : DARWIN.IPPROTO_IP,
      name,
      label,
      bytes: groupRequest(ssm ? DRW.group_source_req : DRW.group_req, this.families, m),
    };
  },
};

const PLATFORMS: Record<string, Platform> = {
  linux: LINUX_PLATFORM,
  windows: WINDOWS_PLATFORM,
  darwin: DARWIN_PLATFORM,
};

/**
 * The setsockopt calls that set `option` to `value` on a socket of the given families.
 *
 * @example
 * ```ts
 * import { settings } from "./settings.ts";
 * console.log(settings("linux", "multicastHopLimit", 1, { ipv4: true, ipv6: false }).map((o) => o.label)); // ["IP_MULTICAST_TTL"]
 * ```
 */
export function settings(
  os: string,
  option: SettableOption,
  value: number,
  families: { ipv4: boolean; ipv6: boolean },
  v4Address: Uint8Array | null = null,
): RawOption[] {
  const out: RawOption[] = [];
  for (const r of PLATFORMS[os].set[option]) {
    if ((r.family === "v4" && !families.ipv4) || (r.family === "v6" && !families.ipv6)) continue;
    let bytes: Uint8Array;
    if (r.encoding === "indexBE32" && v4Address) bytes = v4Address.slice();
    else if (r.encoding === "byte") bytes = new Uint8Array([value]);
    else if (r.encoding === "pmtuProbe") {
      bytes = new Uint8Array(new ArrayBuffer(4));
      new DataView(bytes.buffer).setInt32(0, value ? LINUX.IP_PMTUDISC_PROBE : 0, true);
    } else if (r.encoding === "mreqn") {
      bytes = new Uint8Array(LNX.ip_mreqn.size);
      new DataView(bytes.buffer).setInt32(LNX.ip_mreqn.fields.imr_ifindex.offset, value, true);
    } else {
      bytes = new Uint8Array(new ArrayBuffer(4));
      new DataView(bytes.buffer).setUint32(0, value, r.encoding !== "indexBE32");
    }
    out.push({ level: r.level, name: r.name, label: r.label, bytes });
  }
  return out;
}

/**
 * The setsockopt call that joins (or leaves) a group on `os`.
 *
 * @example
 * ```ts
 * import { membershipRequest } from "./settings.ts";
 * const r = membershipRequest("linux", true, { group: new Uint8Array([224, 0, 0, 251]), interfaceIndex: 2, interfaceAddress: null, source: null });
 * console.log(r.label, r.bytes.length); // "IP_ADD_MEMBERSHIP" 12
 * ```
 */
export function membershipRequest(os: string, join: boolean, m: MembershipSpec): RawOption {
  return PLATFORMS[os].request(join, m);
}
