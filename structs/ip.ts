/**
 * IP address text ⇄ bytes. Numeric addresses only: nothing here resolves names (the backends' getaddrinfo does).
 * IPv6 text is written in the canonical form of RFC 5952 (lower case, longest run of two or more
 * zero groups as `::`, the first such run on a tie), and v4-mapped addresses as `::ffff:a.b.c.d`.
 *
 * @module
 */

/**
 * The dotted-quad IPv4 address in `text` as an unsigned 32-bit number (`127.0.0.1` → 0x7f000001), or
 * -1 when the text is not one. Leading zeros are refused, since some parsers read them as octal. Every
 * send checks and writes its addresses with this: it allocates nothing (on Deno a new typed array costs
 * over a microsecond, more than the system call).
 *
 * @example
 * ```ts
 * import { ipv4Bits } from "@recvmsg/recvmsg/structs";
 * console.log(ipv4Bits("127.0.0.2").toString(16), ipv4Bits("localhost")); // "7f000002" -1
 * ```
 */
export function ipv4Bits(text: string): number {
  return ipv4At(text, 0, text.length);
}

/** {@link ipv4Bits} of `text[from, to)`. */
function ipv4At(text: string, from: number, to: number): number {
  // Character by character: no split, no regular expression, no allocation.
  if (to - from < 7 || to - from > 15) return -1;
  let bits = 0;
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = from; i <= to; i++) {
    const c = i < to ? text.charCodeAt(i) : 46;
    if (c === 46) {
      // A part is 1 to 3 digits, without a leading zero, at most 255.
      if (digits === 0 || value > 255 || part > 3) return -1;
      bits = bits * 256 + value;
      part++;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return -1;
      if (++digits > 3) return -1;
      value = value * 10 + (c - 48);
    } else {
      return -1;
    }
  }
  return part === 4 ? bits : -1;
}

/**
 * Parses a dotted-quad IPv4 address (`127.0.0.1`). Leading zeros are refused, since some parsers
 * read them as octal. Returns null when the text is not one.
 *
 * @example
 * ```ts
 * import { parseIPv4 } from "@recvmsg/recvmsg/structs";
 * console.log(parseIPv4("127.0.0.2")); // Uint8Array [127, 0, 0, 2]
 * console.log(parseIPv4("localhost")); // null
 * ```
 */
export function parseIPv4(text: string): Uint8Array | null {
  const bits = ipv4Bits(text);
  if (bits < 0) return null;
  return new Uint8Array([bits >>> 24, (bits >>> 16) & 0xff, (bits >>> 8) & 0xff, bits & 0xff]);
}

/** A parsed IPv6 address: its 16 bytes and the numeric zone (`%3`) if one was written. */
export interface ParsedIPv6 {
  /** The 16 address bytes. */
  readonly bytes: Uint8Array;
  /** The zone (RFC 4007 `%zone`) as an interface index, or 0. */
  readonly scopeId: number;
}

/**
 * Parses IPv6 text into `out[offset, offset + 16)` and returns its numeric zone (`fe80::1%3` → 3; 0
 * without one), or -1 when the text is not an IPv6 address (then `out` may be partly written). Takes
 * what {@link parseIPv6} takes and allocates nothing: every IPv6 send checks and writes its addresses
 * with it, straight into the socket address or control record.
 *
 * @example
 * ```ts
 * import { parseIPv6Into } from "@recvmsg/recvmsg/structs";
 * const out = new Uint8Array(16);
 * console.log(parseIPv6Into("fe80::1%4", out, 0), out[0].toString(16), out[15]); // 4 "fe" 1
 * console.log(parseIPv6Into("127.0.0.1", out, 0)); // -1
 * ```
 */
export function parseIPv6Into(text: string, out: Uint8Array, offset: number): number {
  let end = text.length;
  let scopeId = 0;
  const pct = text.indexOf("%");
  if (pct >= 0) {
    // A numeric zone of 1 to 10 digits, at most 2^32 - 1.
    if (end - pct - 1 < 1 || end - pct - 1 > 10) return -1;
    for (let i = pct + 1; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) return -1;
      scopeId = scopeId * 10 + (c - 48);
    }
    if (scopeId > 0xffffffff) return -1;
    end = pct;
  }
  // Groups before "::" are written from the front; those after it are written from the front too,
  // then moved to the back, with the zeros "::" stands for between.
  let groups = 0;
  let gap = -1; // the group index where "::" stood
  let i = 0;
  if (end >= 2 && text.charCodeAt(0) === 58 && text.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
    if (i === end) return fillGap(out, offset, groups, gap, scopeId, pct);
  } else if (end > 0 && text.charCodeAt(0) === 58) {
    return -1;
  }
  while (i < end) {
    if (groups === 8) return -1;
    // A group: 1 to 4 hex digits, or (last, at most 6 groups before it) a dotted IPv4 part.
    let value = 0;
    let digits = 0;
    let j = i;
    for (; j < end; j++) {
      const c = text.charCodeAt(j);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) break;
      value = value * 16 + d;
      digits++;
    }
    if (j < end && text.charCodeAt(j) === 46) {
      // The dotted part ends the address and fills two groups.
      if (groups > 6) return -1;
      const v4 = ipv4At(text, i, end);
      if (v4 < 0) return -1;
      out[offset + 2 * groups] = v4 >>> 24;
      out[offset + 2 * groups + 1] = (v4 >>> 16) & 0xff;
      out[offset + 2 * groups + 2] = (v4 >>> 8) & 0xff;
      out[offset + 2 * groups + 3] = v4 & 0xff;
      groups += 2;
      i = end;
      break;
    }
    if (digits === 0 || digits > 4) return -1;
    out[offset + 2 * groups] = value >> 8;
    out[offset + 2 * groups + 1] = value & 0xff;
    groups++;
    if (j === end) {
      i = end;
      break;
    }
    if (text.charCodeAt(j) !== 58) return -1;
    if (j + 1 < end && text.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return -1;
      gap = groups;
      i = j + 2;
    } else {
      if (j + 1 === end) return -1; // a trailing single ":"
      i = j + 1;
    }
  }
  return fillGap(out, offset, groups, gap, scopeId, pct);
}

/** Moves the groups after "::" to the back and zeros the gap; checks the count; refuses a zone on v4-mapped. */
function fillGap(out: Uint8Array, offset: number, groups: number, gap: number, scopeId: number, pct: number): number {
  if (gap < 0) {
    if (groups !== 8) return -1;
  } else {
    // "::" stands for at least one group of zeros.
    if (groups > 7) return -1;
    const after = groups - gap;
    const shift = 8 - groups;
    for (let k = after - 1; k >= 0; k--) {
      const from = offset + 2 * (gap + k);
      const to = offset + 2 * (gap + shift + k);
      out[to] = out[from];
      out[to + 1] = out[from + 1];
    }
    out.fill(0, offset + 2 * gap, offset + 2 * (gap + shift));
  }
  // A zone belongs to scoped IPv6 addresses; an IPv4 address (v4-mapped) has none.
  if (pct >= 0 && isV4Mapped(out, offset)) return -1;
  return scopeId;
}

/**
 * Parses IPv6 text: full, `::`-compressed, with a trailing dotted IPv4 part, and with an optional
 * numeric zone (`fe80::1%3`). Zone names such as `%eth0` are refused (they need a lookup). Returns null
 * when the text is not one.
 *
 * @example
 * ```ts
 * import { parseIPv6 } from "@recvmsg/recvmsg/structs";
 * console.log(parseIPv6("::1")?.bytes[15]); // 1
 * console.log(parseIPv6("fe80::1%4")?.scopeId); // 4
 * ```
 */
export function parseIPv6(text: string): ParsedIPv6 | null {
  const bytes = new Uint8Array(16);
  const scopeId = parseIPv6Into(text, bytes, 0);
  return scopeId < 0 ? null : { bytes, scopeId };
}

/**
 * Writes 4 bytes at `offset` as dotted-quad text.
 *
 * @example
 * ```ts
 * import { formatIPv4 } from "@recvmsg/recvmsg/structs";
 * console.log(formatIPv4(new Uint8Array([10, 0, 0, 1]))); // "10.0.0.1"
 * ```
 */
export function formatIPv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/**
 * Writes 16 bytes at `offset` as canonical IPv6 text (RFC 5952), v4-mapped addresses as `::ffff:a.b.c.d`.
 *
 * @example
 * ```ts
 * import { formatIPv6, parseIPv6 } from "@recvmsg/recvmsg/structs";
 * console.log(formatIPv6(parseIPv6("2001:DB8:0:0:0:0:0:1")!.bytes)); // "2001:db8::1"
 * console.log(formatIPv6(parseIPv6("::ffff:127.0.0.2")!.bytes)); // "::ffff:127.0.0.2"
 * ```
 */
export function formatIPv6(bytes: Uint8Array, offset = 0): string {
  if (isV4Mapped(bytes, offset)) return `::ffff:${formatIPv4(bytes, offset + 12)}`;
  // Longest run of zero groups, two or more long; the first one wins a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (bytes[offset + 2 * i] === 0 && bytes[offset + 2 * i + 1] === 0) {
      let j = i;
      while (j < 8 && bytes[offset + 2 * j] === 0 && bytes[offset + 2 * j + 1] === 0) j++;
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    } else {
      i++;
    }
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += "::";
      i += bestLen - 1;
      continue;
    }
    if (out !== "" && !out.endsWith(":")) out += ":";
    out += ((bytes[offset + 2 * i] << 8) | bytes[offset + 2 * i + 1]).toString(16);
  }
  return out;
}

/**
 * Whether 16 bytes at `offset` are a v4-mapped IPv6 address (`::ffff:a.b.c.d`), which is how a
 * dual-stack socket sees IPv4 peers.
 *
 * @example
 * ```ts
 * import { isV4Mapped, parseIPv6 } from "@recvmsg/recvmsg/structs";
 * console.log(isV4Mapped(parseIPv6("::ffff:10.1.2.3")!.bytes)); // true
 * ```
 */
export function isV4Mapped(bytes: Uint8Array, offset = 0): boolean {
  for (let i = 0; i < 10; i++) if (bytes[offset + i] !== 0) return false;
  return bytes[offset + 10] === 0xff && bytes[offset + 11] === 0xff;
}

/**
 * Whether the IPv6 address at `offset` is meaningful only with a zone (RFC 4007): link-local unicast
 * (fe80::/10), and interface- or link-local multicast (ffx1::, ffx2::).
 *
 * @example
 * ```ts
 * import { needsZone, parseIPv6 } from "@recvmsg/recvmsg/structs";
 * console.log(needsZone(parseIPv6("fe80::1")!.bytes), needsZone(parseIPv6("2001:db8::1")!.bytes)); // true false
 * ```
 */
export function needsZone(bytes: Uint8Array, offset = 0): boolean {
  const b0 = bytes[offset];
  const b1 = bytes[offset + 1];
  if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return true;
  return b0 === 0xff && ((b1 & 0x0f) === 1 || (b1 & 0x0f) === 2);
}

/**
 * IPv6 text with its zone as RFC 4007 writes it (`fe80::1%3`): the interface index, as Windows and
 * Linux sockets carry it. No zone is written when `scopeId` is 0.
 *
 * @example
 * ```ts
 * import { formatIPv6Scoped } from "@recvmsg/recvmsg/structs";
 * const b = new Uint8Array(16); b[0] = 0xfe; b[1] = 0x80; b[15] = 1;
 * console.log(formatIPv6Scoped(b, 0, 3)); // "fe80::1%3"
 * ```
 */
export function formatIPv6Scoped(bytes: Uint8Array, offset: number, scopeId: number): string {
  const text = formatIPv6(bytes, offset);
  return scopeId !== 0 ? `${text}%${scopeId}` : text;
}

/**
 * The Internet checksum of RFC 1071 (the ones' complement of the ones' complement sum of 16-bit
 * words), as ICMP, UDP and IPv4 headers carry it: write it into a message whose checksum field is 0,
 * or check a received message, whose sum with its checksum included comes out 0.
 *
 * @example
 * ```ts
 * import { internetChecksum } from "@recvmsg/recvmsg/structs";
 * const echo = new Uint8Array([8, 0, 0, 0, 0x12, 0x34, 0, 1]); // ICMP echo request, checksum 0
 * const sum = internetChecksum(echo);
 * echo[2] = sum >> 8;
 * echo[3] = sum & 0xff;
 * console.log(internetChecksum(echo)); // 0
 * ```
 */
export function internetChecksum(data: Uint8Array): number {
  let sum = 0;
  const even = data.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (even < data.length) sum += data[even] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
