/**
 * Decodes the control messages of one received datagram into the fields a receiver wants: the
 * local address and interface, hop limit, ECN, and the UDP coalescing segment size. Every message is
 * also kept raw. Reusable: one decoder per socket, no allocation beyond what it returns.
 *
 * @module
 */
import { type ControlMessage, ControlMessageError, visitControlMessages } from "./cmsg.ts";
import { IP_ECN, IP_HOPLIMIT, IP_PKTINFO, IP_TOS, IP_TTL, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_UDP, IPV6_ECN, IPV6_HOPLIMIT, IPV6_PKTINFO, UDP_COALESCED_INFO } from "./constants.ts";
import { formatIPv4, formatIPv6, isV4Mapped } from "./ip.ts";
import { LINUX, LNX } from "./linux.ts";
import { WIN } from "./windows.ts";

/** A local address from IP_PKTINFO / IPV6_PKTINFO. */
export interface DecodedLocal {
  readonly hostname: string;
  readonly interfaceIndex: number;
}

/**
 * What {@link AncillaryDecoder.decode} found. IPv4-mapped IPv6 packet info (a dual-stack socket's
 * view of an IPv4 datagram) is given in plain IPv4 form.
 */
export interface Ancillary {
  /** From IP_PKTINFO. */
  readonly local4: DecodedLocal | null;
  /** From IPV6_PKTINFO. */
  readonly local6: DecodedLocal | null;
  /** From IP_HOPLIMIT / IPV6_HOPLIMIT (Windows), or IP_TTL (what Wine reports instead). */
  readonly hopLimit: number | undefined;
  /** The two ECN bits, from IP_ECN / IPV6_ECN, or from an IP_TOS byte. */
  readonly ecn: number | undefined;
  /** From UDP_COALESCED_INFO: the size of each datagram in a coalesced receive. */
  readonly coalescedSegmentSize: number | undefined;
  /** Every message, data copied out of the buffer. */
  readonly control: ControlMessage[];
  /** Set when the buffer was malformed; the messages before the bad header are kept. */
  readonly error: ControlMessageError | null;
}

/**
 * Where a platform puts what the decoder reads: levels, types and the packet-info layouts.
 * `-1` marks a record the platform does not have.
 */
export interface AncillaryDialect {
  readonly name: string;
  readonly ipLevel: number;
  readonly ipv6Level: number;
  readonly udpLevel: number;
  /** IP_PKTINFO's type, its size, and where the destination address and the interface index sit. */
  readonly ipPktinfo: { readonly type: number; readonly size: number; readonly addr: number; readonly ifindex: number };
  readonly ipv6Pktinfo: { readonly type: number; readonly size: number; readonly addr: number; readonly ifindex: number };
  /** A record holding the hop limit as an int (Windows' IP_HOPLIMIT). */
  readonly ipHopInt: number;
  /** A record whose first byte is the TTL (Linux's IP_TTL, an int; Wine's IP_TTL, one byte in four). */
  readonly ipTtlByte: number;
  readonly ipv6HopInt: number;
  /** A record whose int value's low two bits are the ECN codepoint. */
  readonly ipEcnInt: number;
  readonly ipv6EcnInt: number;
  /** A record whose first byte is the TOS / traffic class, ECN in its low two bits. */
  readonly ipTosByte: number;
  readonly ipv6TclassInt: number;
  readonly udpCoalesced: number;
}

/** Windows, and what Wine reports in Windows' place. */
export const WINDOWS_DIALECT: AncillaryDialect = {
  name: "windows",
  ipLevel: IPPROTO_IP,
  ipv6Level: IPPROTO_IPV6,
  udpLevel: IPPROTO_UDP,
  ipPktinfo: { type: IP_PKTINFO, size: WIN.IN_PKTINFO.size, addr: WIN.IN_PKTINFO.fields.ipi_addr.offset, ifindex: WIN.IN_PKTINFO.fields.ipi_ifindex.offset },
  ipv6Pktinfo: { type: IPV6_PKTINFO, size: WIN.IN6_PKTINFO.size, addr: WIN.IN6_PKTINFO.fields.ipi6_addr.offset, ifindex: WIN.IN6_PKTINFO.fields.ipi6_ifindex.offset },
  ipHopInt: IP_HOPLIMIT,
  ipTtlByte: IP_TTL,
  ipv6HopInt: IPV6_HOPLIMIT,
  ipEcnInt: IP_ECN,
  ipv6EcnInt: IPV6_ECN,
  ipTosByte: IP_TOS,
  ipv6TclassInt: -1,
  udpCoalesced: UDP_COALESCED_INFO,
};

/** Linux. */
export const LINUX_DIALECT: AncillaryDialect = {
  name: "linux",
  ipLevel: LINUX.IPPROTO_IP,
  ipv6Level: LINUX.IPPROTO_IPV6,
  udpLevel: LINUX.IPPROTO_UDP,
  ipPktinfo: { type: LINUX.IP_PKTINFO, size: LNX.in_pktinfo.size, addr: LNX.in_pktinfo.fields.ipi_addr.offset, ifindex: LNX.in_pktinfo.fields.ipi_ifindex.offset },
  ipv6Pktinfo: { type: LINUX.IPV6_PKTINFO, size: LNX.in6_pktinfo.size, addr: LNX.in6_pktinfo.fields.ipi6_addr.offset, ifindex: LNX.in6_pktinfo.fields.ipi6_ifindex.offset },
  ipHopInt: -1,
  ipTtlByte: LINUX.IP_TTL,
  ipv6HopInt: LINUX.IPV6_HOPLIMIT,
  ipEcnInt: -1,
  ipv6EcnInt: -1,
  ipTosByte: LINUX.IP_TOS,
  ipv6TclassInt: LINUX.IPV6_TCLASS,
  udpCoalesced: -1,
};

/**
 * Decodes control buffers of one platform (Windows by default). Keep one per socket: it caches the last
 * local address object so that a steady stream to one address allocates no new one.
 *
 * @example
 * ```ts
 * import { AncillaryDecoder, buildControlMessages, IP_PKTINFO, IPPROTO_IP } from "@recvmsg/recvmsg/structs";
 * const buf = buildControlMessages([{ level: IPPROTO_IP, type: IP_PKTINFO, data: new Uint8Array([127, 0, 0, 2, 1, 0, 0, 0]) }]);
 * console.log(new AncillaryDecoder().decode(buf, buf.length).local4); // { hostname: "127.0.0.2", interfaceIndex: 1 }
 * ```
 */
export class AncillaryDecoder {
  readonly #d: AncillaryDialect;
  #buf: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(new ArrayBuffer(0));
  #local4: DecodedLocal | null = null;
  #local6: DecodedLocal | null = null;
  #hop: number | undefined;
  #ecn: number | undefined;
  #segment: number | undefined;
  #control: ControlMessage[] = [];
  #cache: DecodedLocal | null = null;

  constructor(dialect: AncillaryDialect = WINDOWS_DIALECT) {
    this.#d = dialect;
  }

  readonly #visit = (level: number, type: number, at: number, len: number): void => {
    const buf = this.#buf;
    const d = this.#d;
    this.#control.push({ level, type, data: buf.slice(at, at + len) });
    if (level === d.ipLevel) {
      if (type === d.ipPktinfo.type && len >= d.ipPktinfo.size) {
        this.#local4 = this.#local(formatIPv4(buf, at + d.ipPktinfo.addr), this.#view.getUint32(at + d.ipPktinfo.ifindex, true));
      } else if (type === d.ipHopInt && len >= 4) {
        this.#hop = this.#view.getInt32(at, true);
      } else if (type === d.ipTtlByte && len >= 1) {
        this.#hop ??= buf[at];
      } else if (type === d.ipEcnInt && len >= 4) {
        this.#ecn = this.#view.getInt32(at, true) & 3;
      } else if (type === d.ipTosByte && len >= 1) {
        this.#ecn ??= buf[at] & 3;
      }
    } else if (level === d.ipv6Level) {
      if (type === d.ipv6Pktinfo.type && len >= d.ipv6Pktinfo.size) {
        const a = at + d.ipv6Pktinfo.addr;
        const host = isV4Mapped(buf, a) ? formatIPv4(buf, a + 12) : formatIPv6(buf, a);
        this.#local6 = this.#local(host, this.#view.getUint32(at + d.ipv6Pktinfo.ifindex, true));
      } else if (type === d.ipv6HopInt && len >= 4) {
        this.#hop = this.#view.getInt32(at, true);
      } else if ((type === d.ipv6EcnInt || type === d.ipv6TclassInt) && len >= 4) {
        this.#ecn = this.#view.getInt32(at, true) & 3;
      }
    } else if (level === d.udpLevel && type === d.udpCoalesced && len >= 4) {
      this.#segment = this.#view.getUint32(at, true);
    }
  };

  #local(hostname: string, interfaceIndex: number): DecodedLocal {
    const c = this.#cache;
    if (c && c.hostname === hostname && c.interfaceIndex === interfaceIndex) return c;
    return (this.#cache = Object.freeze({ hostname, interfaceIndex }));
  }

  /**
   * Decodes the first `length` bytes of `buffer` (`Control.len` as the call updated it).
   *
   * @example
   * ```ts
   * import { AncillaryDecoder } from "@recvmsg/recvmsg/structs";
   * const d = new AncillaryDecoder();
   * console.log(d.decode(new Uint8Array(0), 0).control.length); // 0
   * ```
   */
  decode(buffer: Uint8Array, length: number): Ancillary {
    if (this.#buf !== buffer) {
      this.#buf = buffer;
      this.#view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    }
    this.#local4 = this.#local6 = null;
    this.#hop = this.#ecn = this.#segment = undefined;
    this.#control = [];
    const error = length > 0 ? visitControlMessages(this.#view, length, this.#visit) : null;
    return {
      local4: this.#local4,
      local6: this.#local6,
      hopLimit: this.#hop,
      ecn: this.#ecn,
      coalescedSegmentSize: this.#segment,
      control: this.#control,
      error,
    };
  }
}
