/**
 * The control messages of a send that picks its source address, hop limit and traffic class:
 * IP_PKTINFO / IPV6_PKTINFO, IP_TTL / IPV6_HOPLIMIT, and IP_TOS / IPV6_TCLASS (Windows: IP_ECN /
 * IPV6_ECN), laid out for Windows' WSASendMsg or Linux's and macOS's sendmsg; on Linux also
 * UDP_SEGMENT, which has the kernel cut one buffer into many datagrams (segmentation offload).
 *
 * @module
 */
import { CMSG_DARWIN, CMSG_LP64, type CmsgFormat, cmsgLen, cmsgSpace } from "./cmsg.ts";
import { DARWIN, DRW } from "./darwin.ts";
import {
  IP_ECN,
  IP_PKTINFO,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_ECN,
  IPV6_HOPLIMIT,
  IPV6_PKTINFO,
} from "./constants.ts";
import { ipv4Bits, parseIPv6Into } from "./ip.ts";
import { LINUX, LNX } from "./linux.ts";
import { stripBrackets } from "./sockaddr.ts";
import { WIN } from "./windows.ts";

/** Where a send should come from: an address of this host, an interface, or both. */
export interface SendSource {
  /** The source address to send from. */
  readonly hostname?: string;
  /** The interface to send out of. */
  readonly interfaceIndex?: number;
}

const PLATFORMS = {
  darwin: {
    // As on Linux, the source goes in ipi_spec_dst; RFC 3542 numbering for IPv6.
    cmsg: CMSG_DARWIN,
    ip: {
      level: DARWIN.IPPROTO_IP,
      type: DARWIN.IP_PKTINFO,
      size: DRW.in_pktinfo.size,
      source: DRW.in_pktinfo.fields.ipi_spec_dst.offset,
      ifindex: DRW.in_pktinfo.fields.ipi_ifindex.offset,
    },
    ip6: {
      level: DARWIN.IPPROTO_IPV6,
      type: DARWIN.IPV6_PKTINFO,
      size: DRW.in6_pktinfo.size,
      source: 0,
      ifindex: DRW.in6_pktinfo.fields.ipi6_ifindex.offset,
    },
    ttl: { level: DARWIN.IPPROTO_IP, type: DARWIN.IP_TTL },
    hop6: { level: DARWIN.IPPROTO_IPV6, type: DARWIN.IPV6_HOPLIMIT },
    tos: { level: DARWIN.IPPROTO_IP, type: DARWIN.IP_TOS, ecnOnly: false },
    tclass6: { level: DARWIN.IPPROTO_IPV6, type: DARWIN.IPV6_TCLASS, ecnOnly: false },
    segment: null,
  },
  windows: {
    cmsg: CMSG_LP64,
    ip: {
      level: IPPROTO_IP,
      type: IP_PKTINFO,
      size: WIN.IN_PKTINFO.size,
      source: WIN.IN_PKTINFO.fields.ipi_addr.offset,
      ifindex: WIN.IN_PKTINFO.fields.ipi_ifindex.offset,
    },
    ip6: {
      level: IPPROTO_IPV6,
      type: IPV6_PKTINFO,
      size: WIN.IN6_PKTINFO.size,
      source: 0,
      ifindex: WIN.IN6_PKTINFO.fields.ipi6_ifindex.offset,
    },
    ttl: { level: IPPROTO_IP, type: IP_TTL },
    hop6: { level: IPPROTO_IPV6, type: IPV6_HOPLIMIT },
    // Windows takes only the ECN codepoint per datagram (DSCP goes through its QoS API).
    tos: { level: IPPROTO_IP, type: IP_ECN, ecnOnly: true },
    tclass6: { level: IPPROTO_IPV6, type: IPV6_ECN, ecnOnly: true },
    // UDP_SEND_MSG_SIZE is not written: Wine drops a send's control data, so it could never be tested here.
    segment: null,
  },
  linux: {
    cmsg: CMSG_LP64,
    // The source goes in ipi_spec_dst; ipi_addr is ignored on send.
    ip: {
      level: LINUX.IPPROTO_IP,
      type: LINUX.IP_PKTINFO,
      size: LNX.in_pktinfo.size,
      source: LNX.in_pktinfo.fields.ipi_spec_dst.offset,
      ifindex: LNX.in_pktinfo.fields.ipi_ifindex.offset,
    },
    ip6: {
      level: LINUX.IPPROTO_IPV6,
      type: LINUX.IPV6_PKTINFO,
      size: LNX.in6_pktinfo.size,
      source: 0,
      ifindex: LNX.in6_pktinfo.fields.ipi6_ifindex.offset,
    },
    ttl: { level: LINUX.IPPROTO_IP, type: LINUX.IP_TTL },
    hop6: { level: LINUX.IPPROTO_IPV6, type: LINUX.IPV6_HOPLIMIT },
    tos: { level: LINUX.IPPROTO_IP, type: LINUX.IP_TOS, ecnOnly: false },
    tclass6: { level: LINUX.IPPROTO_IPV6, type: LINUX.IPV6_TCLASS, ecnOnly: false },
    // UDP_SEGMENT (SOL_UDP, which is IPPROTO_UDP): a u16, the size of each datagram the buffer is cut into.
    segment: { level: LINUX.IPPROTO_UDP, type: LINUX.UDP_SEGMENT },
  },
} as const;

/**
 * Writes the control messages for a send to an IPv4 (`toIPv4`) or IPv6 destination into `target` and
 * returns their length (0 when nothing is asked). Throws a TypeError naming `localAddr.hostname` when
 * the source is not a numeric address of the destination's family.
 *
 * @example
 * ```ts
 * import { writeSendControl } from "@recvmsg/recvmsg/structs";
 * const control = new Uint8Array(128);
 * console.log(writeSendControl(control, "linux", true, { hostname: "127.0.0.2" }, undefined)); // 32
 * ```
 */
export function writeSendControl(
  target: Uint8Array,
  platform: "windows" | "linux" | "darwin",
  toIPv4: boolean,
  source: SendSource | undefined,
  hopLimit: number | undefined,
  trafficClass?: number,
  segmentSize?: number,
): number {
  const p = PLATFORMS[platform];
  const f = p.cmsg;
  // Written in place, record by record: a send allocates nothing here (on Deno every new typed array
  // costs over a microsecond).
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  let at = 0;
  if (source && (source.hostname !== undefined || source.interfaceIndex !== undefined)) {
    const rec = toIPv4 ? p.ip : p.ip6;
    const data = begin(target, view, at, rec.size, rec.level, rec.type, f);
    let zone = 0;
    if (source.hostname !== undefined) {
      const host = stripBrackets(source.hostname);
      // A v4-mapped source for an IPv4 destination is the same address.
      let ok: boolean;
      if (toIPv4) {
        const bits = ipv4Bits(host.startsWith("::ffff:") ? host.slice(7) : host);
        ok = bits >= 0;
        if (ok) view.setUint32(data + rec.source, bits, false);
      } else {
        zone = parseIPv6Into(host, target, data + rec.source);
        ok = zone >= 0;
      }
      if (!ok) {
        throw new TypeError(
          `localAddr.hostname must be a numeric ${toIPv4 ? "IPv4" : "IPv6"} address for a ${
            toIPv4 ? "IPv4" : "IPv6"
          } destination, got ${JSON.stringify(source.hostname)}`,
        );
      }
    }
    // A zone in the source address names the interface too; given both, they must agree.
    if (
      zone !== 0 && source.interfaceIndex !== undefined && source.interfaceIndex !== 0 && source.interfaceIndex !== zone
    ) {
      throw new RangeError(
        `localAddr: the zone of ${
          JSON.stringify(source.hostname)
        } names interface ${zone}, but interfaceIndex is ${source.interfaceIndex}`,
      );
    }
    view.setUint32(data + rec.ifindex, source.interfaceIndex || zone, true);
    at += cmsgSpace(rec.size, f);
  }
  if (hopLimit !== undefined) {
    const rec = toIPv4 ? p.ttl : p.hop6;
    view.setInt32(begin(target, view, at, 4, rec.level, rec.type, f), hopLimit, true);
    at += cmsgSpace(4, f);
  }
  if (trafficClass !== undefined) {
    // The IPv4 TOS byte or IPv6 traffic class: DSCP in the high six bits, ECN in the low two.
    const rec = toIPv4 ? p.tos : p.tclass6;
    view.setInt32(
      begin(target, view, at, 4, rec.level, rec.type, f),
      rec.ecnOnly ? trafficClass & 3 : trafficClass,
      true,
    );
    at += cmsgSpace(4, f);
  }
  if (segmentSize !== undefined) {
    if (p.segment === null) {
      throw new TypeError(
        `segmentSize: ${platform} sends are not segmented by the system here; send the segments one by one`,
      );
    }
    view.setUint16(begin(target, view, at, 2, p.segment.level, p.segment.type, f), segmentSize, true);
    at += cmsgSpace(2, f);
  }
  return at;
}

/**
 * Starts a control record of `length` data bytes at `at`: zeroes its space, writes its header, and
 * returns where its data goes. Throws a RangeError when `target` cannot hold it.
 */
function begin(
  target: Uint8Array,
  view: DataView,
  at: number,
  length: number,
  level: number,
  type: number,
  f: CmsgFormat,
): number {
  const space = cmsgSpace(length, f);
  if (at + space > target.length) {
    throw new RangeError(
      `target is too small for the control messages: ${at + space} bytes needed, ${target.length} available`,
    );
  }
  target.fill(0, at, at + space);
  // cmsg_len: a size_t (LP64) or 32 bits (macOS), little-endian; the high half of a size_t is the zero just written.
  view.setUint32(at, cmsgLen(length, f), true);
  view.setInt32(at + f.lenSize, level, true);
  view.setInt32(at + f.lenSize + 4, type, true);
  return at + cmsgLen(0, f); // the header, aligned
}
