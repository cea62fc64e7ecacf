/**
 * The machine's network interfaces with their indexes, which neither `Deno.networkInterfaces()` nor
 * Node's `os.networkInterfaces()` gives: getifaddrs(3) and if_nametoindex(3) on Linux and macOS,
 * GetAdaptersAddresses on Windows (Wine implements it from the host's interfaces).
 *
 * @module
 */
import { SocketError } from "../../errors.ts";
import { DARWIN, DRW } from "../../structs/darwin.ts";
import { linuxErrno } from "../../structs/errno.ts";
import { formatIPv4, formatIPv6 } from "../../structs/ip.ts";
import { LINUX, LNX } from "../../structs/linux.ts";
import { WIN } from "../../structs/windows.ts";
import { winsockError } from "../../structs/winsock_errors.ts";
import { LIBC_IFADDRS, libcPath } from "../tables/libc.ts";
import { native } from "../native.ts";
import { IPHLPAPI } from "../tables/windows.ts";

/** One address of an interface. */
export interface InterfaceAddress {
  /** `"IPv4"` or `"IPv6"`. */
  readonly family: "IPv4" | "IPv6";
  /** The numeric address (without a zone; see `scopeId`). */
  readonly address: string;
  /** The length of the network prefix (the netmask's bits). */
  readonly prefixLength: number;
  /** IPv6 scoped (link-local) addresses: the zone, which is the interface index. */
  readonly scopeId?: number;
}

/** A network interface of this machine. */
export interface NetworkInterface {
  /** The index packet info reports as `interfaceIndex`, and joins and sends take. */
  readonly index: number;
  /** The system's name: `eth0` on Linux, `en0` on macOS, the adapter's friendly name on Windows. */
  readonly name: string;
  /** Administratively and operationally up. */
  readonly up: boolean;
  /** A loopback interface. */
  readonly loopback: boolean;
  /** Able to send and receive multicast. */
  readonly multicast: boolean;
  /** Every unicast address, IPv4 first. */
  readonly addresses: readonly InterfaceAddress[];
}

const BITS = [0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4];
/** The prefix length of a netmask: its one bits. */
const prefixOf = (mask: Uint8Array): number => mask.reduce((n, b) => n + BITS[b >> 4] + BITS[b & 0xf], 0);

/** getifaddrs: Linux and Darwin (whose sockaddrs start with a length byte). */
function posixInterfaces(): NetworkInterface[] {
  const darwin = native.os === "darwin";
  const lib = native.open(libcPath(native.os), LIBC_IFADDRS);
  const head = new Uint8Array(new ArrayBuffer(128));
  if (lib.getifaddrs(head.subarray(0, 8)) !== 0) {
    const e = linuxErrno(12);
    throw new SocketError(e.name, e.code, "getifaddrs", "the list of interfaces could not be read.");
  }
  const first = new DataView(head.buffer).getBigUint64(0, true);
  const L = darwin ? DRW.ifaddrs : LNX.ifaddrs;
  const F = L.fields;
  const AF_INET = darwin ? DARWIN.AF_INET : LINUX.AF_INET;
  const AF_INET6 = darwin ? DARWIN.AF_INET6 : LINUX.AF_INET6;
  const flagsOf = darwin
    ? { up: DARWIN.IFF_UP, loopback: DARWIN.IFF_LOOPBACK, multicast: DARWIN.IFF_MULTICAST }
    : { up: LINUX.IFF_UP, loopback: LINUX.IFF_LOOPBACK, multicast: LINUX.IFF_MULTICAST };
  const byName = new Map<string, { flags: number; v4: InterfaceAddress[]; v6: InterfaceAddress[] }>();
  try {
    for (let p = first, guard = 0; p !== 0n && guard < 100_000; guard++) {
      const rec = native.readBytes(p, L.size);
      const dv = new DataView(rec.buffer);
      const name = readName(dv.getBigUint64(F.ifa_name.offset, true));
      const entry = byName.get(name) ?? { flags: 0, v4: [], v6: [] };
      byName.set(name, entry);
      entry.flags |= dv.getUint32(F.ifa_flags.offset, true);
      const addr = dv.getBigUint64(F.ifa_addr.offset, true);
      const mask = dv.getBigUint64(F.ifa_netmask.offset, true);
      if (addr !== 0n) {
        const head = native.readBytes(addr, 2);
        const family = darwin ? head[1] : head[0] | (head[1] << 8);
        if (family === AF_INET || family === AF_INET6) {
          const size = family === AF_INET ? 16 : 28;
          const sa = native.readBytes(addr, size);
          const m = mask !== 0n ? native.readBytes(mask, size) : new Uint8Array(size);
          if (family === AF_INET) {
            entry.v4.push({ family: "IPv4", address: formatIPv4(sa, 4), prefixLength: prefixOf(m.subarray(4, 8)) });
          } else {
            const scope = new DataView(sa.buffer).getUint32(24, true);
            entry.v6.push({
              family: "IPv6",
              address: formatIPv6(sa, 8),
              prefixLength: prefixOf(m.subarray(8, 24)),
              ...(scope ? { scopeId: scope } : {}),
            });
          }
        }
      }
      p = dv.getBigUint64(F.ifa_next.offset, true);
    }
  } finally {
    lib.freeifaddrs(first);
  }
  const out: NetworkInterface[] = [];
  for (const [name, e] of byName) {
    const cname = new Uint8Array(new ArrayBuffer(128));
    cname.set(new TextEncoder().encode(name).subarray(0, 127));
    out.push({
      index: lib.if_nametoindex(cname),
      name,
      up: (e.flags & flagsOf.up) !== 0,
      loopback: (e.flags & flagsOf.loopback) !== 0,
      multicast: (e.flags & flagsOf.multicast) !== 0,
      addresses: [...e.v4, ...e.v6],
    });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** A C string (an interface name: at most IFNAMSIZ bytes), read byte by byte so as never to read past its end. */
function readName(p: bigint): string {
  const bytes: number[] = [];
  for (let i = 0; i < 256; i++) {
    const b = native.readBytes(p + BigInt(i), 1)[0];
    if (b === 0) break;
    bytes.push(b);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

const ERROR_BUFFER_OVERFLOW = 111;
// GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER (iptypes.h)
const GAA_FLAGS = 0x2 | 0x4 | 0x8;
const IF_TYPE_SOFTWARE_LOOPBACK = 24;
const IF_OPER_STATUS_UP = 1;
// IP_ADAPTER_NO_MULTICAST (iptypes.h)
const NO_MULTICAST = 0x10;

/** GetAdaptersAddresses: the list is written into our buffer, so its pointers point into it. */
function windowsInterfaces(): NetworkInterface[] {
  const api = native.open("iphlpapi.dll", IPHLPAPI);
  let size = 16 * 1024;
  let buf = new Uint8Array(new ArrayBuffer(size));
  const sizeBox = new Uint8Array(new ArrayBuffer(72));
  const sizeView = new DataView(sizeBox.buffer);
  for (let tries = 0;; tries++) {
    sizeView.setUint32(0, size, true);
    const rc = api.GetAdaptersAddresses(0, GAA_FLAGS, 0n, buf, sizeBox.subarray(0, 4));
    if (rc === 0) break;
    if (rc !== ERROR_BUFFER_OVERFLOW || tries > 4) {
      const e = winsockError(rc);
      throw new SocketError(e.name, rc, "GetAdaptersAddresses", e.message);
    }
    size = sizeView.getUint32(0, true) + 1024;
    buf = new Uint8Array(new ArrayBuffer(size));
  }
  const base = BigInt(native.addressOf(buf));
  const dv = new DataView(buf.buffer);
  const at = (p: bigint): number => (p === 0n ? -1 : Number(p - base));
  const A = WIN.IP_ADAPTER_ADDRESSES_LH.fields;
  const U = WIN.IP_ADAPTER_UNICAST_ADDRESS_LH.fields;
  const out: NetworkInterface[] = [];
  for (let a = 0, guard = 0; a >= 0 && a < buf.length && guard < 10_000; guard++) {
    const v4: InterfaceAddress[] = [];
    const v6: InterfaceAddress[] = [];
    const index4 = dv.getUint32(a + A.IfIndex.offset, true);
    const index6 = dv.getUint32(a + A.Ipv6IfIndex.offset, true);
    for (let u = at(dv.getBigUint64(a + A.FirstUnicastAddress.offset, true)), g = 0; u >= 0 && g < 1000; g++) {
      const sa = at(dv.getBigUint64(u + U.Address.offset, true));
      const prefixLength = buf[u + U.OnLinkPrefixLength.offset];
      const family = sa >= 0 ? dv.getUint16(sa, true) : -1;
      if (family === 2) v4.push({ family: "IPv4", address: formatIPv4(buf, sa + 4), prefixLength });
      if (family === 23) {
        const scope = dv.getUint32(sa + 24, true);
        v6.push({
          family: "IPv6",
          address: formatIPv6(buf, sa + 8),
          prefixLength,
          ...(scope ? { scopeId: scope } : {}),
        });
      }
      u = at(dv.getBigUint64(u + U.Next.offset, true));
    }
    out.push({
      index: index4 || index6,
      name: wide(buf, at(dv.getBigUint64(a + A.FriendlyName.offset, true))),
      up: dv.getUint32(a + A.OperStatus.offset, true) === IF_OPER_STATUS_UP,
      loopback: dv.getUint32(a + A.IfType.offset, true) === IF_TYPE_SOFTWARE_LOOPBACK,
      multicast: (dv.getUint32(a + A.Flags.offset, true) & NO_MULTICAST) === 0,
      addresses: [...v4, ...v6],
    });
    a = at(dv.getBigUint64(a + A.Next.offset, true));
  }
  return out.sort((x, y) => x.index - y.index);
}

/** A NUL-terminated UTF-16 string at offset `at` of `buf`. */
function wide(buf: Uint8Array, at: number): string {
  if (at < 0) return "";
  let end = at;
  while (end + 1 < buf.length && (buf[end] !== 0 || buf[end + 1] !== 0)) end += 2;
  return new TextDecoder("utf-16le").decode(buf.subarray(at, end));
}

/**
 * This machine's interfaces: index, name, state and every unicast address with its prefix length.
 *
 * @example
 * ```ts
 * import { listInterfaces } from "./interfaces.ts";
 * for (const i of listInterfaces()) console.log(i.index, i.name, i.addresses.map((a) => `${a.address}/${a.prefixLength}`));
 * ```
 */
export function listInterfaces(): NetworkInterface[] {
  return native.os === "windows" ? windowsInterfaces() : posixInterfaces();
}
