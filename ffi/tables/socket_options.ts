/**
 * The receive-side socket options as data: for each `listenDatagram` flag, per platform, the
 * setsockopt calls it makes and the control records it makes datagrams carry. A backend walks its
 * table; a new option is a row here, not code in each backend. The numbers come from the constant
 * tables that the C compilers prove (structs/constants.ts against mingw, structs/linux.ts against
 * glibc; structs/darwin.ts from XNU's headers).
 *
 * @module
 */
import { cmsgSpace, WSA_CMSG_SPACE } from "../../structs/cmsg.ts";
import {
  IP_ECN,
  IP_HOPLIMIT,
  IP_PKTINFO,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_UDP,
  IPV6_ECN,
  IPV6_HOPLIMIT,
  IPV6_PKTINFO,
  IPV6_V6ONLY,
  SO_BROADCAST,
  SO_EXCLUSIVEADDRUSE,
  SO_RCVBUF,
  SO_REUSEADDR,
  SOL_SOCKET,
  UDP_RECV_MAX_COALESCED_SIZE,
} from "../../structs/constants.ts";
import { DARWIN, DRW } from "../../structs/darwin.ts";
import { LINUX, LNX } from "../../structs/linux.ts";
import { WIN } from "../../structs/windows.ts";
import { CMSG_DARWIN, CMSG_LP64 } from "../../structs/cmsg.ts";

/** The `listenDatagram` flags that ask for control records (or, `receiveErrors`, for the error queue). */
export type ReceiveFlag = "packetInfo" | "hopLimit" | "ecn" | "coalesce" | "timestamps" | "receiveErrors";

/** One setsockopt a flag makes, and what it adds to each datagram's control data. */
export interface OptionRow {
  /** The flag that asks for it. */
  readonly flag: ReceiveFlag;
  /** Which sockets it applies to: IPv4 ones (and dual-stack), IPv6 ones, or every one. */
  readonly family: "v4" | "v6" | "any";
  /** setsockopt's level. */
  readonly level: number;
  /** setsockopt's option name. */
  readonly name: number;
  /** The option's name in errors. */
  readonly label: string;
  /** The int value to set. */
  readonly value: number;
  /** Control bytes it can add to one datagram (the CMSG_SPACE of its records). */
  readonly control: number;
  /** The CMSG_SPACE of its largest single record: the least a control buffer must hold. */
  readonly record: number;
  /** Set where offered: a stack that refuses it (Wine, an older system) just sends no record. */
  readonly optional: boolean;
}

function row(
  flag: ReceiveFlag,
  family: OptionRow["family"],
  level: number,
  name: number,
  label: string,
  space: number,
  more: Partial<OptionRow> = {},
): OptionRow {
  return Object.freeze({
    flag,
    family,
    level,
    name,
    label,
    value: 1,
    control: space,
    record: space,
    optional: false,
    ...more,
  });
}

const W4 = WSA_CMSG_SPACE(4);
/** The largest coalesced message Windows may build (the most a UDP datagram's data can be). */
const MAX_COALESCED = 65527;

/**
 * Windows. Hop limit: room for Windows' IP_HOPLIMIT record and for Wine's IP_TTL plus IP_TOS. ECN:
 * IP_RECVECN / IPV6_RECVECN (the option numbers of IP_ECN / IPV6_ECN), offered since Windows 10 2004.
 *
 * @example
 * ```ts
 * import { WINDOWS_OPTIONS } from "./socket_options.ts";
 * console.log(WINDOWS_OPTIONS.filter((r) => r.flag === "ecn").map((r) => r.label)); // ["IP_RECVECN", "IPV6_RECVECN"]
 * ```
 */
export const WINDOWS_OPTIONS: readonly OptionRow[] = [
  row("packetInfo", "v4", IPPROTO_IP, IP_PKTINFO, "IP_PKTINFO", WSA_CMSG_SPACE(WIN.IN_PKTINFO.size)),
  row("packetInfo", "v6", IPPROTO_IPV6, IPV6_PKTINFO, "IPV6_PKTINFO", WSA_CMSG_SPACE(WIN.IN6_PKTINFO.size)),
  row("hopLimit", "v4", IPPROTO_IP, IP_HOPLIMIT, "IP_HOPLIMIT", 2 * W4, { record: W4 }),
  row("hopLimit", "v6", IPPROTO_IPV6, IPV6_HOPLIMIT, "IPV6_HOPLIMIT", W4),
  row("ecn", "v4", IPPROTO_IP, IP_ECN, "IP_RECVECN", W4, { optional: true }),
  row("ecn", "v6", IPPROTO_IPV6, IPV6_ECN, "IPV6_RECVECN", W4, { optional: true }),
  row("coalesce", "any", IPPROTO_UDP, UDP_RECV_MAX_COALESCED_SIZE, "UDP_RECV_MAX_COALESCED_SIZE", W4, {
    value: MAX_COALESCED,
    optional: true,
  }),
];

const L4 = cmsgSpace(4, CMSG_LP64);
/**
 * Linux. ECN comes in the TOS byte (IP_RECVTOS) and the traffic class (IPV6_RECVTCLASS): the low two bits.
 * `receiveErrors` is IP_RECVERR / IPV6_RECVERR (both on a dual-stack socket: IPv4 errors are IP_RECVERR's).
 *
 * @example
 * ```ts
 * import { LINUX_OPTIONS } from "./socket_options.ts";
 * console.log(LINUX_OPTIONS.find((r) => r.flag === "coalesce")?.label); // "UDP_GRO"
 * ```
 */
export const LINUX_OPTIONS: readonly OptionRow[] = [
  row("packetInfo", "v4", LINUX.IPPROTO_IP, LINUX.IP_PKTINFO, "IP_PKTINFO", cmsgSpace(LNX.in_pktinfo.size, CMSG_LP64)),
  // The receive-side IPv6 option is IPV6_RECVPKTINFO; IPV6_PKTINFO is the send side.
  row(
    "packetInfo",
    "v6",
    LINUX.IPPROTO_IPV6,
    LINUX.IPV6_RECVPKTINFO,
    "IPV6_RECVPKTINFO",
    cmsgSpace(LNX.in6_pktinfo.size, CMSG_LP64),
  ),
  row("hopLimit", "v4", LINUX.IPPROTO_IP, LINUX.IP_RECVTTL, "IP_RECVTTL", L4),
  row("hopLimit", "v6", LINUX.IPPROTO_IPV6, LINUX.IPV6_RECVHOPLIMIT, "IPV6_RECVHOPLIMIT", L4),
  row("ecn", "v4", LINUX.IPPROTO_IP, LINUX.IP_RECVTOS, "IP_RECVTOS", L4),
  row("ecn", "v6", LINUX.IPPROTO_IPV6, LINUX.IPV6_RECVTCLASS, "IPV6_RECVTCLASS", L4),
  row("coalesce", "any", LINUX.IPPROTO_UDP, LINUX.UDP_GRO, "UDP_GRO", L4),
  row("timestamps", "any", LINUX.SOL_SOCKET, LINUX.SO_TIMESTAMPNS, "SO_TIMESTAMPNS", cmsgSpace(16, CMSG_LP64)),
  // The error queue: its records are read apart (MSG_ERRQUEUE), so datagrams carry nothing more.
  row("receiveErrors", "v4", LINUX.IPPROTO_IP, LINUX.IP_RECVERR, "IP_RECVERR", 0),
  row("receiveErrors", "v6", LINUX.IPPROTO_IPV6, LINUX.IPV6_RECVERR, "IPV6_RECVERR", 0),
];

const D4 = cmsgSpace(4, CMSG_DARWIN);
/**
 * Darwin (macOS): no receive coalescing, so `coalesce` sets nothing and datagrams come one by one.
 *
 * @example
 * ```ts
 * import { DARWIN_OPTIONS } from "./socket_options.ts";
 * console.log(DARWIN_OPTIONS.some((r) => r.flag === "coalesce")); // false
 * ```
 */
export const DARWIN_OPTIONS: readonly OptionRow[] = [
  row(
    "packetInfo",
    "v4",
    DARWIN.IPPROTO_IP,
    DARWIN.IP_PKTINFO,
    "IP_PKTINFO",
    cmsgSpace(DRW.in_pktinfo.size, CMSG_DARWIN),
  ),
  row(
    "packetInfo",
    "v6",
    DARWIN.IPPROTO_IPV6,
    DARWIN.IPV6_RECVPKTINFO,
    "IPV6_RECVPKTINFO",
    cmsgSpace(DRW.in6_pktinfo.size, CMSG_DARWIN),
  ),
  row("hopLimit", "v4", DARWIN.IPPROTO_IP, DARWIN.IP_RECVTTL, "IP_RECVTTL", D4),
  row("hopLimit", "v6", DARWIN.IPPROTO_IPV6, DARWIN.IPV6_RECVHOPLIMIT, "IPV6_RECVHOPLIMIT", D4),
  row("ecn", "v4", DARWIN.IPPROTO_IP, DARWIN.IP_RECVTOS, "IP_RECVTOS", D4),
  row("ecn", "v6", DARWIN.IPPROTO_IPV6, DARWIN.IPV6_RECVTCLASS, "IPV6_RECVTCLASS", D4),
  row("timestamps", "any", DARWIN.SOL_SOCKET, DARWIN.SO_TIMESTAMP, "SO_TIMESTAMP", cmsgSpace(16, CMSG_DARWIN)),
];

/**
 * Sets every row a socket's options ask for, through the backend's own `set` (which throws a named
 * SocketError, or returns false for an optional row the stack refused). Returns the control buffer
 * that holds every record asked for (with room to spare) and the least one that holds any record.
 *
 * @example
 * ```ts ignore
 * const { defaultControl, required } = applyOptions(LINUX_OPTIONS, options, { ipv4: true, ipv6: false }, set);
 * ```
 */
export function applyOptions(
  table: readonly OptionRow[],
  flags: Readonly<Record<ReceiveFlag, boolean>>,
  families: { readonly ipv4: boolean; readonly ipv6: boolean },
  set: (row: OptionRow) => boolean,
): { defaultControl: number; required: number } {
  let control = 0;
  let required = 0;
  for (const r of table) {
    if (!flags[r.flag]) continue;
    if ((r.family === "v4" && !families.ipv4) || (r.family === "v6" && !families.ipv6)) continue;
    if (!set(r)) continue;
    control += r.control;
    required = Math.max(required, r.record);
  }
  return { defaultControl: control === 0 ? 0 : control + 64, required };
}

/** One socket-level setsockopt a socket makes at open: where, and its name in errors. */
export interface OpenOption {
  readonly level: number;
  readonly name: number;
  readonly label: string;
}

/**
 * The options every socket may set at open, per platform, before the receive rows above. `reusePort`
 * null: the system has no SO_REUSEPORT and sharing a port is SO_REUSEADDR (Windows). `exclusive`: what
 * a UDP socket of ours sets when it shares nothing (Windows' SO_EXCLUSIVEADDRUSE), or null.
 */
export interface OpenOptionTable {
  readonly v6only: OpenOption;
  readonly reuseAddress: OpenOption;
  readonly reusePort: OpenOption | null;
  readonly exclusive: OpenOption | null;
  readonly broadcast: OpenOption;
  readonly receiveBuffer: OpenOption;
}

const opt = (level: number, name: number, label: string): OpenOption => Object.freeze({ level, name, label });

/**
 * Linux's open-time options.
 *
 * @example
 * ```ts
 * import { LINUX_OPEN } from "./socket_options.ts";
 * console.log(LINUX_OPEN.reusePort?.label); // "SO_REUSEPORT"
 * ```
 */
export const LINUX_OPEN: OpenOptionTable = {
  v6only: opt(LINUX.IPPROTO_IPV6, LINUX.IPV6_V6ONLY, "IPV6_V6ONLY"),
  reuseAddress: opt(LINUX.SOL_SOCKET, LINUX.SO_REUSEADDR, "SO_REUSEADDR"),
  reusePort: opt(LINUX.SOL_SOCKET, LINUX.SO_REUSEPORT, "SO_REUSEPORT"),
  exclusive: null,
  broadcast: opt(LINUX.SOL_SOCKET, LINUX.SO_BROADCAST, "SO_BROADCAST"),
  receiveBuffer: opt(LINUX.SOL_SOCKET, LINUX.SO_RCVBUF, "SO_RCVBUF"),
};

/**
 * Darwin's open-time options.
 *
 * @example
 * ```ts
 * import { DARWIN_OPEN } from "./socket_options.ts";
 * console.log(DARWIN_OPEN.v6only.name); // 27
 * ```
 */
export const DARWIN_OPEN: OpenOptionTable = {
  v6only: opt(DARWIN.IPPROTO_IPV6, DARWIN.IPV6_V6ONLY, "IPV6_V6ONLY"),
  reuseAddress: opt(DARWIN.SOL_SOCKET, DARWIN.SO_REUSEADDR, "SO_REUSEADDR"),
  reusePort: opt(DARWIN.SOL_SOCKET, DARWIN.SO_REUSEPORT, "SO_REUSEPORT"),
  exclusive: null,
  broadcast: opt(DARWIN.SOL_SOCKET, DARWIN.SO_BROADCAST, "SO_BROADCAST"),
  receiveBuffer: opt(DARWIN.SOL_SOCKET, DARWIN.SO_RCVBUF, "SO_RCVBUF"),
};

/**
 * Windows' open-time options: no SO_REUSEPORT; SO_EXCLUSIVEADDRUSE for a socket that shares nothing.
 *
 * @example
 * ```ts
 * import { WINDOWS_OPEN } from "./socket_options.ts";
 * console.log(WINDOWS_OPEN.exclusive?.label); // "SO_EXCLUSIVEADDRUSE"
 * ```
 */
export const WINDOWS_OPEN: OpenOptionTable = {
  v6only: opt(IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY"),
  reuseAddress: opt(SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR"),
  reusePort: null,
  exclusive: opt(SOL_SOCKET, SO_EXCLUSIVEADDRUSE, "SO_EXCLUSIVEADDRUSE"),
  broadcast: opt(SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST"),
  receiveBuffer: opt(SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF"),
};
