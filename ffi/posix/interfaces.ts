/**
 * The machine's network interfaces on Linux and macOS, with their indexes, which neither
 * `Deno.networkInterfaces()` nor Node's `os.networkInterfaces()` gives: getifaddrs(3).
 *
 * Speed: the list is read with one `memcpy` per record and per address into one buffer of ours (no
 * ArrayBuffer per read), each distinct name once (`strnlen`, then one copy), and the indexes come from
 * the list's own link-layer records (Linux `AF_PACKET`, Darwin `AF_LINK`), so if_nametoindex(3) — a
 * socket and an ioctl each — is called only for an interface without one.
 *
 * One interface per index: Linux lists an address with a label (`ip addr add … label eth0:web`) under
 * the label's name; it joins its interface, with `label` set.
 *
 * @module
 */
import { SocketError } from "../../errors.ts";
import { DARWIN, DRW } from "../../structs/darwin.ts";
import { linuxErrno } from "../../structs/errno.ts";
import { formatIPv4, formatIPv6 } from "../../structs/ip.ts";
import { LINUX, LNX } from "../../structs/linux.ts";
import { type InterfaceAddress, type NetworkInterface, prefixOf } from "../common/interface_types.ts";
import { native } from "../native.ts";
import { LIBC_IFADDRS, libcPath } from "../tables/libc.ts";

// Where each copy lands in the scratch buffer. Every sockaddr of the list is at least 16 bytes
// (sockaddr_in); an IPv6 one is read again at its full 28.
const HEAD = 0;
const REC = 64;
const ADDR = 128;
const MASK = 192;
const NAME = 256;
/** Longer than any interface name (Linux IFNAMSIZ 16, Darwin 16) or address label. */
const NAME_MAX = 255;
const scratch = new Uint8Array(new ArrayBuffer(NAME + NAME_MAX + 1));
const sdv = new DataView(scratch.buffer);
// Views made once: the calls take the same views every time.
const headView = scratch.subarray(HEAD, HEAD + 8);
const recView = scratch.subarray(REC, ADDR);
const addrView = scratch.subarray(ADDR, MASK);
const maskView = scratch.subarray(MASK, NAME);
const nameView = scratch.subarray(NAME);
const decoder = new TextDecoder();

/** What differs between Linux and Darwin, found once. */
function platform() {
  const darwin = native.os === "darwin";
  const L = darwin ? DRW.ifaddrs : LNX.ifaddrs;
  return {
    lib: native.open(libcPath(native.os), LIBC_IFADDRS),
    darwin,
    size: L.size,
    next: L.fields.ifa_next.offset,
    name: L.fields.ifa_name.offset,
    flags: L.fields.ifa_flags.offset,
    addr: L.fields.ifa_addr.offset,
    mask: L.fields.ifa_netmask.offset,
    AF_INET: darwin ? DARWIN.AF_INET : LINUX.AF_INET,
    AF_INET6: darwin ? DARWIN.AF_INET6 : LINUX.AF_INET6,
    // The link-layer record's index: Linux sockaddr_ll's sll_ifindex (an int at 4; AF_PACKET, linux/if_packet.h),
    // Darwin sockaddr_dl's sdl_index (a u16 at 2; AF_LINK, net/if_dl.h).
    AF_LINK: darwin ? 18 : 17,
    up: darwin ? DARWIN.IFF_UP : LINUX.IFF_UP,
    loopback: darwin ? DARWIN.IFF_LOOPBACK : LINUX.IFF_LOOPBACK,
    multicast: darwin ? DARWIN.IFF_MULTICAST : LINUX.IFF_MULTICAST,
  };
}
let sys: ReturnType<typeof platform> | null = null;

/** One record of the list, read. */
interface Row {
  name: string;
  flags: number;
  address: InterfaceAddress | null;
}

/**
 * This machine's interfaces by getifaddrs, one per index, sorted by index.
 *
 * @example
 * ```ts
 * import { posixInterfaces } from "./interfaces.ts";
 * for (const i of posixInterfaces()) console.log(i.index, i.name, i.addresses.map((a) => a.address));
 * ```
 */
export function posixInterfaces(): NetworkInterface[] {
  const s = sys ??= platform();
  if (s.lib.getifaddrs(headView) !== 0) {
    const e = linuxErrno(12);
    throw new SocketError(e.name, e.code, "getifaddrs", "the list of interfaces could not be read.");
  }
  const first = sdv.getBigUint64(HEAD, true);
  const rows: Row[] = [];
  const indexOf = new Map<string, number>();
  try {
    // Names by address: Linux's address records point at their link record's name.
    const names = new Map<bigint, string>();
    for (let p = first, guard = 0; p !== 0n && guard < 100_000; guard++) {
      s.lib.memcpy(recView, p, s.size);
      const nameAt = sdv.getBigUint64(REC + s.name, true);
      let name = names.get(nameAt);
      if (name === undefined) names.set(nameAt, name = readName(s, nameAt));
      const row: Row = { name, flags: sdv.getUint32(REC + s.flags, true), address: null };
      const addr = sdv.getBigUint64(REC + s.addr, true);
      const mask = sdv.getBigUint64(REC + s.mask, true);
      p = sdv.getBigUint64(REC + s.next, true);
      rows.push(row);
      if (addr === 0n) continue;
      s.lib.memcpy(addrView, addr, 16);
      const family = s.darwin ? scratch[ADDR + 1] : sdv.getUint16(ADDR, true);
      if (family === s.AF_LINK) {
        const index = s.darwin ? sdv.getUint16(ADDR + 2, true) : sdv.getInt32(ADDR + 4, true);
        if (index > 0) indexOf.set(name, index);
      } else if (family === s.AF_INET) {
        const prefixLength = mask === 0n ? 0 : (s.lib.memcpy(maskView, mask, 16), maskBits(s.darwin, MASK + 4, 4));
        row.address = { family: "IPv4", address: formatIPv4(scratch, ADDR + 4), prefixLength };
      } else if (family === s.AF_INET6) {
        s.lib.memcpy(addrView, addr, 28);
        const prefixLength = mask === 0n ? 0 : (s.lib.memcpy(maskView, mask, 28), maskBits(s.darwin, MASK + 8, 16));
        const scope = sdv.getUint32(ADDR + 24, true);
        row.address = {
          family: "IPv6",
          address: formatIPv6(scratch, ADDR + 8),
          prefixLength,
          ...(scope ? { scopeId: scope } : {}),
        };
      }
    }
  } finally {
    s.lib.freeifaddrs(first);
  }
  return group(s, rows, indexOf);
}

/** The rows as one interface per index, IPv4 addresses first. */
function group(s: NonNullable<typeof sys>, rows: Row[], indexOf: Map<string, number>): NetworkInterface[] {
  const byKey = new Map<
    number | string,
    { index: number; name: string; flags: number; v4: InterfaceAddress[]; v6: InterfaceAddress[] }
  >();
  for (const row of rows) {
    // A Linux label is "<interface>:<tag>" (a device name cannot hold ':'); its address is the interface's.
    const colon = row.name.indexOf(":");
    const base = colon > 0 && !indexOf.has(row.name) ? row.name.slice(0, colon) : row.name;
    let index = indexOf.get(base);
    if (index === undefined) indexOf.set(base, index = nameToIndex(s, base));
    const key = index > 0 ? index : `name ${base}`;
    let entry = byKey.get(key);
    if (!entry) byKey.set(key, entry = { index, name: base, flags: 0, v4: [], v6: [] });
    entry.flags |= row.flags;
    const a = row.address;
    if (a) (a.family === "IPv4" ? entry.v4 : entry.v6).push(base === row.name ? a : { ...a, label: row.name });
  }
  const out: NetworkInterface[] = [];
  for (const e of byKey.values()) {
    out.push({
      index: e.index,
      name: e.name,
      up: (e.flags & s.up) !== 0,
      loopback: (e.flags & s.loopback) !== 0,
      multicast: (e.flags & s.multicast) !== 0,
      addresses: e.v4.concat(e.v6),
    });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** The one bits of the netmask copied to `scratch[at, at + n)`; Darwin's netmasks may be shorter (their sa_len). */
function maskBits(darwin: boolean, at: number, n: number): number {
  const end = darwin ? Math.min(at + n, MASK + scratch[MASK]) : at + n;
  return end > at ? prefixOf(scratch, at, end) : 0;
}

/** The C string at `p`: its length, then one copy. */
function readName(s: NonNullable<typeof sys>, p: bigint): string {
  if (p === 0n) return "";
  const n = s.lib.strnlen(p, NAME_MAX);
  if (n > 0) s.lib.memcpy(nameView, p, n);
  let ascii = "";
  for (let i = 0; i < n; i++) {
    const b = scratch[NAME + i];
    if (b >= 0x80) return decoder.decode(scratch.subarray(NAME, NAME + n));
    ascii += String.fromCharCode(b);
  }
  return ascii;
}

/** if_nametoindex, for an interface the list gives no link-layer record for (0 when unknown). */
function nameToIndex(s: NonNullable<typeof sys>, name: string): number {
  const { written } = new TextEncoder().encodeInto(name, nameView.subarray(0, NAME_MAX));
  scratch[NAME + written!] = 0;
  return s.lib.if_nametoindex(nameView);
}
