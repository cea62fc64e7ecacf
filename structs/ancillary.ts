/**
 * Decodes the control messages of one received datagram into the fields a receiver wants: the
 * local address and interface, hop limit, ECN, and the UDP coalescing segment size. Every message is
 * also kept raw. Reusable: one decoder per socket, no allocation beyond what it returns.
 *
 * @module
 */
import {
  CMSG_DARWIN,
  CMSG_LP64,
  type CmsgFormat,
  type ControlMessage,
  ControlMessageError,
  visitControlMessages,
} from "./cmsg.ts";
import { DARWIN, DRW } from "./darwin.ts";
import {
  IP_ECN,
  IP_HOPLIMIT,
  IP_PKTINFO,
  IP_TOS,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_UDP,
  IPV6_ECN,
  IPV6_HOPLIMIT,
  IPV6_PKTINFO,
  UDP_COALESCED_INFO,
} from "./constants.ts";
import { formatIPv4, formatIPv6Scoped, isV4Mapped, needsZone } from "./ip.ts";
import { LINUX, LNX } from "./linux.ts";
import { WIN } from "./windows.ts";

/** A local address from IP_PKTINFO / IPV6_PKTINFO. */
export interface DecodedLocal {
  /** The local address a datagram was sent to. */
  readonly hostname: string;
  /** The index of the interface it arrived on. */
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
  /** Whether `local4` is a multicast group (224.0.0.0/4): the datagram was sent to a group. */
  readonly local4Multicast: boolean;
  /** Whether `local6` is a multicast group (ff00::/8, or a v4-mapped IPv4 group). */
  readonly local6Multicast: boolean;
  /**
   * Whether `local4` is not the address a reply comes from (Linux's ipi_spec_dst differs from ipi_addr):
   * the datagram was sent to a broadcast address (or a group). Always false where the record has no such field.
   */
  readonly local4Broadcast: boolean;
  /** From IP_HOPLIMIT / IPV6_HOPLIMIT (Windows), or IP_TTL (what Wine reports instead). */
  readonly hopLimit: number | undefined;
  /** The two ECN bits, from IP_ECN / IPV6_ECN, or from an IP_TOS byte. */
  readonly ecn: number | undefined;
  /** From UDP_COALESCED_INFO (Windows) or UDP_GRO (Linux): the size of each datagram in a coalesced receive. */
  readonly coalescedSegmentSize: number | undefined;
  /** From SO_TIMESTAMPNS (Linux) or SO_TIMESTAMP (macOS): when the kernel received it, in ns since the epoch. */
  readonly timestamp: bigint | undefined;
  /** Every message, data copied out of the buffer (built when first read). */
  readonly control: ControlMessage[];
  /** Set when the buffer was malformed; the messages before the bad header are kept. */
  readonly error: ControlMessageError | null;
}

/**
 * Where a platform puts what the decoder reads: levels, types and the packet-info layouts.
 * `-1` marks a record the platform does not have.
 */
export interface AncillaryDialect {
  /** A name for messages and tests: `"windows"`, `"linux"`, `"darwin"`. */
  readonly name: string;
  /** The control-message header layout. */
  readonly cmsg: CmsgFormat;
  /** The level of IPv4 records (IPPROTO_IP). */
  readonly ipLevel: number;
  /** The level of IPv6 records (IPPROTO_IPV6). */
  readonly ipv6Level: number;
  /** The level of UDP records (IPPROTO_UDP). */
  readonly udpLevel: number;
  /**
   * IP_PKTINFO's type, its size, and where the destination address and the interface index sit; `specDst`
   * where the local address a reply would come from sits (-1 where the record has none).
   */
  readonly ipPktinfo: {
    readonly type: number;
    readonly size: number;
    readonly addr: number;
    readonly ifindex: number;
    readonly specDst: number;
  };
  /** The IPv6 packet-info record: its type, size, and the offsets of address and interface index. */
  readonly ipv6Pktinfo: {
    readonly type: number;
    readonly size: number;
    readonly addr: number;
    readonly ifindex: number;
  };
  /** A record holding the hop limit as an int (Windows' IP_HOPLIMIT). */
  readonly ipHopInt: number;
  /** A record whose first byte is the TTL (Linux's IP_TTL, an int; Wine's IP_TTL, one byte in four). */
  readonly ipTtlByte: number;
  /** The type of the IPv6 hop-limit record (an int). */
  readonly ipv6HopInt: number;
  /** A record whose int value's low two bits are the ECN codepoint. */
  readonly ipEcnInt: number;
  /** The type of the IPv6 ECN record (an int), or -1 where there is none. */
  readonly ipv6EcnInt: number;
  /** A record whose first byte is the TOS / traffic class, ECN in its low two bits. */
  readonly ipTosByte: number;
  /** The type of the IPv6 traffic-class record (an int). */
  readonly ipv6TclassInt: number;
  /** The type of the UDP coalesced-size record, or -1 where there is none. */
  readonly udpCoalesced: number;
  /** The level of socket records (SOL_SOCKET). */
  readonly socketLevel: number;
  /** The receive timestamp record: its type and unit (a timespec's nanoseconds or a timeval's microseconds), or type -1. */
  readonly timestamp: { readonly type: number; readonly fraction: "ns" | "us" };
}

/** Windows, and what Wine reports in Windows' place. */
export const WINDOWS_DIALECT: AncillaryDialect = {
  name: "windows",
  cmsg: CMSG_LP64,
  ipLevel: IPPROTO_IP,
  ipv6Level: IPPROTO_IPV6,
  udpLevel: IPPROTO_UDP,
  ipPktinfo: {
    type: IP_PKTINFO,
    size: WIN.IN_PKTINFO.size,
    addr: WIN.IN_PKTINFO.fields.ipi_addr.offset,
    ifindex: WIN.IN_PKTINFO.fields.ipi_ifindex.offset,
    specDst: -1,
  },
  ipv6Pktinfo: {
    type: IPV6_PKTINFO,
    size: WIN.IN6_PKTINFO.size,
    addr: WIN.IN6_PKTINFO.fields.ipi6_addr.offset,
    ifindex: WIN.IN6_PKTINFO.fields.ipi6_ifindex.offset,
  },
  ipHopInt: IP_HOPLIMIT,
  ipTtlByte: IP_TTL,
  ipv6HopInt: IPV6_HOPLIMIT,
  ipEcnInt: IP_ECN,
  ipv6EcnInt: IPV6_ECN,
  ipTosByte: IP_TOS,
  ipv6TclassInt: -1,
  // Windows' SO_TIMESTAMP counts QueryPerformanceCounter ticks, not time since the epoch: not decoded.
  socketLevel: 0xffff,
  timestamp: { type: -1, fraction: "ns" },
  udpCoalesced: UDP_COALESCED_INFO,
};

/** Linux. */
export const LINUX_DIALECT: AncillaryDialect = {
  name: "linux",
  cmsg: CMSG_LP64,
  ipLevel: LINUX.IPPROTO_IP,
  ipv6Level: LINUX.IPPROTO_IPV6,
  udpLevel: LINUX.IPPROTO_UDP,
  ipPktinfo: {
    type: LINUX.IP_PKTINFO,
    size: LNX.in_pktinfo.size,
    addr: LNX.in_pktinfo.fields.ipi_addr.offset,
    ifindex: LNX.in_pktinfo.fields.ipi_ifindex.offset,
    specDst: LNX.in_pktinfo.fields.ipi_spec_dst.offset,
  },
  ipv6Pktinfo: {
    type: LINUX.IPV6_PKTINFO,
    size: LNX.in6_pktinfo.size,
    addr: LNX.in6_pktinfo.fields.ipi6_addr.offset,
    ifindex: LNX.in6_pktinfo.fields.ipi6_ifindex.offset,
  },
  ipHopInt: -1,
  ipTtlByte: LINUX.IP_TTL,
  ipv6HopInt: LINUX.IPV6_HOPLIMIT,
  ipEcnInt: -1,
  ipv6EcnInt: -1,
  ipTosByte: LINUX.IP_TOS,
  ipv6TclassInt: LINUX.IPV6_TCLASS,
  udpCoalesced: LINUX.UDP_GRO,
  socketLevel: LINUX.SOL_SOCKET,
  timestamp: { type: LINUX.SO_TIMESTAMPNS, fraction: "ns" },
};

/** macOS (RFC 3542 records; the TTL and TOS come as one byte each). */
export const DARWIN_DIALECT: AncillaryDialect = {
  name: "darwin",
  cmsg: CMSG_DARWIN,
  ipLevel: DARWIN.IPPROTO_IP,
  ipv6Level: DARWIN.IPPROTO_IPV6,
  udpLevel: DARWIN.IPPROTO_UDP,
  ipPktinfo: {
    type: DARWIN.IP_PKTINFO,
    size: DRW.in_pktinfo.size,
    addr: DRW.in_pktinfo.fields.ipi_addr.offset,
    ifindex: DRW.in_pktinfo.fields.ipi_ifindex.offset,
    // XNU leaves ipi_spec_dst zero on receive: it says nothing there.
    specDst: -1,
  },
  ipv6Pktinfo: {
    type: DARWIN.IPV6_PKTINFO,
    size: DRW.in6_pktinfo.size,
    addr: DRW.in6_pktinfo.fields.ipi6_addr.offset,
    ifindex: DRW.in6_pktinfo.fields.ipi6_ifindex.offset,
  },
  ipHopInt: -1,
  ipTtlByte: DARWIN.IP_RECVTTL,
  ipv6HopInt: DARWIN.IPV6_HOPLIMIT,
  ipEcnInt: -1,
  ipv6EcnInt: -1,
  ipTosByte: DARWIN.IP_RECVTOS,
  ipv6TclassInt: DARWIN.IPV6_TCLASS,
  udpCoalesced: -1,
  socketLevel: DARWIN.SOL_SOCKET,
  timestamp: { type: DARWIN.SCM_TIMESTAMP, fraction: "us" },
};

/** The most control bytes a decoder remembers to recognise a repeat: packet info, hop limit and ECN fit. */
const LAST_WORDS = 32;

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
export class AncillaryDecoder implements Ancillary {
  readonly #d: AncillaryDialect;
  #buf: Uint8Array = new Uint8Array(0);
  #len = 0;
  #offset = 0;
  #view: DataView = new DataView(new ArrayBuffer(0));
  #control: ControlMessage[] | null = null;
  // The last local address and the bytes it was decoded from (address, then interface index):
  // a stream of datagrams to one address reuses one frozen object and formats no string.
  #cache: DecodedLocal | null = null;
  readonly #cacheKey = new Uint8Array(new ArrayBuffer(20));
  readonly #cacheKeyView = new DataView(this.#cacheKey.buffer);
  #cacheLen = -1;
  /** Whether the cached local address is a group. */
  #cacheMulticast = false;
  /** The buffer as 32-bit words (null when its start is not 4-aligned or it can resize), for {@link #repeats}. */
  #words: Int32Array | null = null;
  /**
   * The bytes of the last buffer decoded, as words, `#lastLength` bytes (-1: none kept): datagrams to one
   * address carry the same control bytes, and the same bytes decode to the same fields, so those are kept.
   */
  readonly #last = new Int32Array(LAST_WORDS);
  #lastLength = -1;

  /** The IPv4 packet info of the last buffer decoded, or null. */
  local4: DecodedLocal | null = null;
  /** The IPv6 packet info of the last buffer decoded, or null. */
  local6: DecodedLocal | null = null;
  /** Whether the last buffer's IPv4 packet info names a group. */
  local4Multicast = false;
  /** Whether the last buffer's IPv6 packet info names a group. */
  local6Multicast = false;
  /** Whether the last buffer's IPv4 packet info names an address no reply comes from (a broadcast). */
  local4Broadcast = false;
  /** The hop limit (TTL) of the last buffer decoded, if it had one. */
  hopLimit: number | undefined = undefined;
  /** The ECN codepoint (0 to 3) of the last buffer decoded, if it had one. */
  ecn: number | undefined = undefined;
  /** The segment size of a coalesced datagram, if the buffer said so. */
  coalescedSegmentSize: number | undefined = undefined;
  /** The kernel's receive time of the last buffer's datagram, in nanoseconds since the epoch. */
  timestamp: bigint | undefined = undefined;
  /** The first malformed record met, or null. */
  error: ControlMessageError | null = null;

  /** A decoder for one system's control-message dialect. */
  constructor(dialect: AncillaryDialect = WINDOWS_DIALECT) {
    this.#d = dialect;
  }

  /** One record: `len` data bytes at `at`. */
  #record(level: number, type: number, at: number, len: number): void {
    const buf = this.#buf;
    const d = this.#d;
    if (level === d.ipLevel) {
      if (type === d.ipPktinfo.type && len >= d.ipPktinfo.size) {
        this.local4 = this.#local(at + d.ipPktinfo.addr, 4, this.#view.getUint32(at + d.ipPktinfo.ifindex, true));
        this.local4Multicast = this.#cacheMulticast;
        const spec = d.ipPktinfo.specDst;
        this.local4Broadcast = spec >= 0 &&
          this.#view.getUint32(at + spec, true) !== this.#view.getUint32(at + d.ipPktinfo.addr, true);
      } else if (type === d.ipHopInt && len >= 4) {
        this.hopLimit = this.#view.getInt32(at, true);
      } else if (type === d.ipTtlByte && len >= 1) {
        this.hopLimit ??= buf[at];
      } else if (type === d.ipEcnInt && len >= 4) {
        this.ecn = this.#view.getInt32(at, true) & 3;
      } else if (type === d.ipTosByte && len >= 1) {
        this.ecn ??= buf[at] & 3;
      }
    } else if (level === d.ipv6Level) {
      if (type === d.ipv6Pktinfo.type && len >= d.ipv6Pktinfo.size) {
        this.local6 = this.#local(at + d.ipv6Pktinfo.addr, 16, this.#view.getUint32(at + d.ipv6Pktinfo.ifindex, true));
        this.local6Multicast = this.#cacheMulticast;
      } else if (type === d.ipv6HopInt && len >= 4) {
        this.hopLimit = this.#view.getInt32(at, true);
      } else if ((type === d.ipv6EcnInt || type === d.ipv6TclassInt) && len >= 4) {
        this.ecn = this.#view.getInt32(at, true) & 3;
      }
    } else if (level === d.udpLevel && type === d.udpCoalesced && len >= 4) {
      this.coalescedSegmentSize = this.#view.getUint32(at, true);
    } else if (level === d.socketLevel && type === d.timestamp.type && len >= 16) {
      // struct timespec / timeval: 64-bit seconds, then nanoseconds (or microseconds).
      const v = this.#view;
      const seconds = v.getUint32(at, true) + v.getInt32(at + 4, true) * 2 ** 32;
      const fraction = v.getUint32(at + 8, true);
      this.timestamp = BigInt(seconds) * 1_000_000_000n +
        BigInt(d.timestamp.fraction === "ns" ? fraction : fraction * 1000);
    }
  }

  /**
   * The walk of every receive, without a callback per record. It stops at the first header that is
   * not plainly well formed and returns false; {@link decode} then walks again with the checking walker,
   * which reports the error with the same records kept.
   */
  #walk(start: number, length: number): boolean {
    const view = this.#view;
    const { headerSize, lenSize, align } = this.#d.cmsg;
    const end = Math.min(start + length, view.byteLength);
    const dataAt = (headerSize + align - 1) & -align;
    let offset = start;
    while (offset + headerSize <= end) {
      const len = view.getUint32(offset, true);
      if (lenSize === 8 && view.getUint32(offset + 4, true) !== 0) return false;
      if (len < headerSize || len > end - offset) return false;
      this.#record(
        view.getInt32(offset + lenSize, true),
        view.getInt32(offset + lenSize + 4, true),
        offset + dataAt,
        len - dataAt,
      );
      offset += (len + align - 1) & -align;
    }
    return true;
  }

  /** The local address of `size` address bytes at `at` and an interface index; v4-mapped IPv6 in IPv4 form. */
  #local(at: number, size: 4 | 16, interfaceIndex: number): DecodedLocal {
    const buf = this.#buf;
    const key = this.#cacheKey;
    const keyView = this.#cacheKeyView;
    if (this.#cache && this.#cacheLen === size && keyView.getUint32(16, true) === interfaceIndex) {
      let same = true;
      for (let i = 0; i < size; i++) {
        if (buf[at + i] !== key[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.#cache;
    }
    // A link-local destination is written with its zone (the arrival interface), so that it can be sent from as it is.
    const hostname = size === 4
      ? formatIPv4(buf, at)
      : isV4Mapped(buf, at)
      ? formatIPv4(buf, at + 12)
      : formatIPv6Scoped(buf, at, needsZone(buf, at) ? interfaceIndex : 0);
    key.set(buf.subarray(at, at + size));
    keyView.setUint32(16, interfaceIndex, true);
    this.#cacheLen = size;
    const first = size === 4 ? buf[at] : isV4Mapped(buf, at) ? buf[at + 12] : -1;
    this.#cacheMulticast = first === -1 ? buf[at] === 0xff : (first & 0xf0) === 0xe0;
    return (this.#cache = Object.freeze({ hostname, interfaceIndex }));
  }

  /**
   * Every control message of the last decode, data copied; built when first read. It reads the buffer
   * given to {@link decode}, so read it before that buffer is reused.
   */
  get control(): ControlMessage[] {
    if (this.#control) return this.#control;
    const out: ControlMessage[] = [];
    const buf = this.#buf.subarray(this.#offset);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    visitControlMessages(
      view,
      this.#len,
      (level, type, at, len) => out.push({ level, type, data: buf.slice(at, at + len) }),
      this.#d.cmsg,
    );
    return (this.#control = out);
  }

  /** Whether the `length` bytes at `offset` are those of the last decode (whole words only). */
  #repeats(offset: number, length: number): boolean {
    const words = this.#words;
    if (words === null || (offset & 3) !== 0) return false;
    const last = this.#last;
    const at = offset >>> 2;
    const n = length >>> 2;
    // A word past the end of the buffer reads undefined: not the same.
    for (let i = 0; i < n; i++) if (words[at + i] !== last[i]) return false;
    return true;
  }

  /** Keeps the bytes just decoded, when they decoded without error and are whole words that fit. */
  #keepLast(offset: number, length: number): void {
    const words = this.#words;
    if (
      words === null || this.error !== null || length === 0 || ((offset | length) & 3) !== 0 ||
      length > LAST_WORDS * 4 || offset + length > words.length * 4
    ) return;
    const last = this.#last;
    const at = offset >>> 2;
    for (let i = 0; i < length >>> 2; i++) last[i] = words[at + i];
    this.#lastLength = length;
  }

  /**
   * Decodes the `length` bytes at `offset` in `buffer` (`Control.len` as the call updated it). Returns
   * the decoder itself, its fields set for this buffer until the next call: no allocation per datagram.
   * `offset` lets one buffer hold the control data of many receives (recvmmsg).
   *
   * @example
   * ```ts
   * import { AncillaryDecoder } from "@recvmsg/recvmsg/structs";
   * const d = new AncillaryDecoder();
   * console.log(d.decode(new Uint8Array(0), 0).control.length); // 0
   * ```
   */
  decode(buffer: Uint8Array, length: number, offset = 0): Ancillary {
    if (this.#buf !== buffer) {
      this.#buf = buffer;
      this.#view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      const backing = buffer.buffer as ArrayBuffer & { resizable?: boolean; growable?: boolean };
      this.#words = (buffer.byteOffset & 3) === 0 && backing.resizable !== true && backing.growable !== true
        ? new Int32Array(backing, buffer.byteOffset, buffer.byteLength >>> 2)
        : null;
    }
    this.#len = length;
    this.#offset = offset;
    this.#control = null;
    // The same bytes as the last decode: every field it set holds for these too.
    if (length === this.#lastLength && this.#repeats(offset, length)) return this;
    this.#lastLength = -1;
    this.local4 = this.local6 = null;
    this.local4Multicast = this.local6Multicast = this.local4Broadcast = false;
    this.hopLimit =
      this.ecn =
      this.coalescedSegmentSize =
      this.timestamp =
        undefined;
    this.error = null;
    if (length > 0 && !this.#walk(offset, length)) {
      this.local4 = this.local6 = null;
      this.local4Multicast = this.local6Multicast = this.local4Broadcast = false;
      this.hopLimit =
        this.ecn =
        this.coalescedSegmentSize =
        this.timestamp =
          undefined;
      // The checking walker reads from 0: give it a view that starts at `offset`, with records read
      // through a decoder-relative shift.
      const sub = new DataView(buffer.buffer, buffer.byteOffset + offset, Math.max(0, buffer.byteLength - offset));
      this.error = visitControlMessages(
        sub,
        length,
        (level, type, at, len) => this.#record(level, type, at + offset, len),
        this.#d.cmsg,
      );
    }
    this.#keepLast(offset, length);
    return this;
  }
}
