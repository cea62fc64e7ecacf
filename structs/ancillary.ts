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
 * Decodes Windows control buffers. Keep one per socket: it caches the last local address object so
 * that a steady stream to one address allocates no new one.
 *
 * @example
 * ```ts
 * import { AncillaryDecoder, buildControlMessages, IP_PKTINFO, IPPROTO_IP } from "@recvmsg/recvmsg/structs";
 * const buf = buildControlMessages([{ level: IPPROTO_IP, type: IP_PKTINFO, data: new Uint8Array([127, 0, 0, 2, 1, 0, 0, 0]) }]);
 * console.log(new AncillaryDecoder().decode(buf, buf.length).local4); // { hostname: "127.0.0.2", interfaceIndex: 1 }
 * ```
 */
export class AncillaryDecoder {
  #buf: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(new ArrayBuffer(0));
  #local4: DecodedLocal | null = null;
  #local6: DecodedLocal | null = null;
  #hop: number | undefined;
  #ecn: number | undefined;
  #segment: number | undefined;
  #control: ControlMessage[] = [];
  #cache: DecodedLocal | null = null;

  readonly #visit = (level: number, type: number, at: number, len: number): void => {
    const buf = this.#buf;
    this.#control.push({ level, type, data: buf.slice(at, at + len) });
    if (level === IPPROTO_IP) {
      if (type === IP_PKTINFO && len >= WIN.IN_PKTINFO.size) {
        this.#local4 = this.#local(formatIPv4(buf, at), this.#view.getUint32(at + WIN.IN_PKTINFO.fields.ipi_ifindex.offset, true));
      } else if (type === IP_HOPLIMIT && len >= 4) {
        this.#hop = this.#view.getInt32(at, true);
      } else if (type === IP_TTL && len >= 1) {
        this.#hop ??= buf[at];
      } else if (type === IP_ECN && len >= 4) {
        this.#ecn = this.#view.getInt32(at, true) & 3;
      } else if (type === IP_TOS && len >= 1) {
        this.#ecn ??= buf[at] & 3;
      }
    } else if (level === IPPROTO_IPV6) {
      if (type === IPV6_PKTINFO && len >= WIN.IN6_PKTINFO.size) {
        const host = isV4Mapped(buf, at) ? formatIPv4(buf, at + 12) : formatIPv6(buf, at);
        this.#local6 = this.#local(host, this.#view.getUint32(at + WIN.IN6_PKTINFO.fields.ipi6_ifindex.offset, true));
      } else if (type === IPV6_HOPLIMIT && len >= 4) {
        this.#hop = this.#view.getInt32(at, true);
      } else if (type === IPV6_ECN && len >= 4) {
        this.#ecn = this.#view.getInt32(at, true) & 3;
      }
    } else if (level === IPPROTO_UDP && type === UDP_COALESCED_INFO && len >= 4) {
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
