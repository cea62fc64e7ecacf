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
 * What one getaddrinfo call is given: the name as a C string, the hints of a datagram lookup of `family`
 * (4, 6, or 0 for either) as the platform lays them out, and where the list's address is written. All in
 * buffers of more than 64 bytes, which V8 never moves (smaller typed arrays live on its moving heap, and
 * the C library reads and writes these during the call). Null when the name holds a NUL, which would cut
 * it short: refused, not looked up.
 *
 * @example
 * ```ts ignore
 * const a = lookupArgs("localhost", shape, 4); // a.name, a.hints, a.result (8 bytes: the list's address)
 * ```
 */
export function lookupArgs(
  name: string,
  shape: AddrinfoShape,
  family: 0 | 4 | 6,
): { name: Uint8Array; hints: Uint8Array; result: Uint8Array } | null {
  if (name.includes("\0")) return null;
  const bytes = new TextEncoder().encode(name);
  const cName = new Uint8Array(new ArrayBuffer(Math.max(bytes.length + 1, 128)));
  cName.set(bytes);
  const memory = new ArrayBuffer(128);
  const hints = new Uint8Array(memory, 0, shape.layout.size);
  const dv = new DataView(memory);
  const f = shape.layout.fields;
  dv.setInt32(f.ai_family.offset, family === 4 ? shape.AF_INET : family === 6 ? shape.AF_INET6 : 0, true);
  dv.setInt32(f.ai_socktype.offset, shape.SOCK_DGRAM, true);
  return { name: cName, hints, result: new Uint8Array(memory, 120, 8) };
}

/**
 * The list's address, as getaddrinfo wrote it into `lookupArgs(…).result`.
 *
 * @example
 * ```ts ignore
 * const first = listAt(args.result);
 * ```
 */
export function listAt(result: Uint8Array): bigint {
  return new DataView(result.buffer, result.byteOffset, 8).getBigUint64(0, true);
}

/**
 * The addresses of the list at `first`, in its order, each once (an IPv6 one with its numeric zone when
 * it has one); records of other families are passed over. The list is given to `free` (freeaddrinfo)
 * once read, whatever happens.
 *
 * @example
 * ```ts ignore
 * addressesOf(first, shape, (p) => lib.freeaddrinfo(p)); // ["127.0.0.1"]
 * ```
 */
export function addressesOf(first: bigint, shape: AddrinfoShape, free: (list: bigint) => void): string[] {
  try {
    return readList(first, shape);
  } finally {
    free(first);
  }
}

function readList(first: bigint, shape: AddrinfoShape): string[] {
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
