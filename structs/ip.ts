/**
 * IP address text ⇄ bytes. Numeric addresses only: this module never resolves names.
 * IPv6 text is written in the canonical form of RFC 5952 (lower case, longest run of two or more
 * zero groups as `::`, the first such run on a tie), and v4-mapped addresses as `::ffff:a.b.c.d`.
 *
 * @module
 */

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
  // Character by character: every send to a new address parses one, so no split, no regular expression.
  if (text.length < 7 || text.length > 15) return null;
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46;
    if (c === 46) {
      // A part is 1 to 3 digits, without a leading zero, at most 255.
      if (digits === 0 || value > 255 || part > 3) return null;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return null;
      if (++digits > 3) return null;
      value = value * 10 + (c - 48);
    } else {
      return null;
    }
  }
  return part === 4 ? out : null;
}

/** A parsed IPv6 address: its 16 bytes and the numeric zone (`%3`) if one was written. */
export interface ParsedIPv6 {
  /** The 16 address bytes. */
  readonly bytes: Uint8Array;
  /** The zone (RFC 4007 `%zone`) as an interface index, or 0. */
  readonly scopeId: number;
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
  let scopeId = 0;
  const pct = text.indexOf("%");
  if (pct >= 0) {
    const zone = text.slice(pct + 1);
    if (!/^[0-9]{1,10}$/.test(zone) || Number(zone) > 0xffffffff) return null;
    scopeId = Number(zone);
    text = text.slice(0, pct);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4(p);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (!head || !tail) return null;
  // A dotted part is only allowed at the very end of the address.
  if (halves.length === 2 && halves[0].includes(".")) return null;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    if (head.length !== 8) return null;
    groups = head;
  }
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    bytes[2 * i] = groups[i] >> 8;
    bytes[2 * i + 1] = groups[i] & 0xff;
  }
  // A zone belongs to scoped IPv6 addresses; an IPv4 address (v4-mapped) has none.
  if (pct >= 0 && isV4Mapped(bytes)) return null;
  return { bytes, scopeId };
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
