/**
 * What both backends do around getaddrinfo: the name and the hints as the call takes them, and the
 * addresses read out of the list the C library returns (each record and address copied out with
 * `native.readBytes`: a lookup is rare, made when a socket opens, never per datagram).
 *
 * @module
 */
import type { Layout } from "../../structs/layout.ts";
import { formatIPv4, formatIPv6Scoped } from "../../structs/ip.ts";
import { native } from "../native.ts";

/** The platform's `struct addrinfo` and the values a lookup needs. */
export interface AddrinfoShape {
  readonly layout: Layout;
  readonly AF_INET: number;
  readonly AF_INET6: number;
  readonly SOCK_DGRAM: number;
}

/** The most records read from one answer: far more than any resolver gives, so that a bad list cannot loop. */
const MAX_RECORDS = 1024;

/**
 * `name` as a C string, or null when it holds a NUL (which would cut it short: refused, not looked up).
 *
 * @example
 * ```ts
 * import { cName } from "./addrinfo.ts";
 * console.log(cName("localhost")?.length); // 10
 * ```
 */
export function cName(name: string): Uint8Array | null {
  if (name.includes("\0")) return null;
  const bytes = new TextEncoder().encode(name);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/**
 * The hints of a datagram lookup of `family` (4, 6, or 0 for either), as the platform lays them out.
 *
 * @example
 * ```ts ignore
 * hints(shape, 4); // ai_family AF_INET, ai_socktype SOCK_DGRAM, every other field 0
 * ```
 */
export function hints(shape: AddrinfoShape, family: 0 | 4 | 6): Uint8Array {
  const h = new Uint8Array(shape.layout.size);
  const dv = new DataView(h.buffer);
  const f = shape.layout.fields;
  dv.setInt32(f.ai_family.offset, family === 4 ? shape.AF_INET : family === 6 ? shape.AF_INET6 : 0, true);
  dv.setInt32(f.ai_socktype.offset, shape.SOCK_DGRAM, true);
  return h;
}

/**
 * The addresses of the list at `first`, in its order, each once (an IPv6 one with its numeric zone when
 * it has one); records of other families are passed over. The caller frees the list.
 *
 * @example
 * ```ts ignore
 * addressesOf(first, shape); // ["127.0.0.1"]
 * ```
 */
export function addressesOf(first: bigint, shape: AddrinfoShape): string[] {
  const f = shape.layout.fields;
  const out: string[] = [];
  for (let p = first, n = 0; p !== 0n && n < MAX_RECORDS; n++) {
    const rec = native.readBytes(p, shape.layout.size);
    const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    const family = dv.getInt32(f.ai_family.offset, true);
    const addr = dv.getBigUint64(f.ai_addr.offset, true);
    p = dv.getBigUint64(f.ai_next.offset, true);
    if (addr === 0n) continue;
    let text: string | null = null;
    if (family === shape.AF_INET) {
      text = formatIPv4(native.readBytes(addr, 16), 4);
    } else if (family === shape.AF_INET6) {
      const sa = native.readBytes(addr, 28);
      text = formatIPv6Scoped(sa, 8, new DataView(sa.buffer, sa.byteOffset, 28).getUint32(24, true));
    }
    if (text !== null && !out.includes(text)) out.push(text);
  }
  return out;
}
