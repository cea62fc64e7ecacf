/**
 * Windows' network interfaces with their indexes: GetAdaptersAddresses (Wine implements it from the
 * host's interfaces). The list is written into one buffer of ours, so every pointer in it points into it
 * and is read there, without a call per field.
 *
 * @module
 */
import { SocketError } from "../../errors.ts";
import { formatIPv4, formatIPv6 } from "../../structs/ip.ts";
import { WIN } from "../../structs/windows.ts";
import { winsockError } from "../../structs/winsock_errors.ts";
import type { InterfaceAddress, NetworkInterface } from "../common/interface_types.ts";
import { native } from "../native.ts";
import { IPHLPAPI } from "../tables/windows.ts";

const ERROR_BUFFER_OVERFLOW = 111;
// GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER (iptypes.h)
const GAA_FLAGS = 0x2 | 0x4 | 0x8;
const IF_TYPE_SOFTWARE_LOOPBACK = 24;
const IF_OPER_STATUS_UP = 1;
// IP_ADAPTER_NO_MULTICAST (iptypes.h)
const NO_MULTICAST = 0x10;
const AF_INET = 2;
const AF_INET6 = 23;

const open = () => native.open("iphlpapi.dll", IPHLPAPI);
let api: ReturnType<typeof open> | null = null;
/** The last size that was enough: the next call starts there instead of growing again. */
let lastSize = 16 * 1024;

/**
 * This machine's interfaces by GetAdaptersAddresses, sorted by index.
 *
 * @example
 * ```ts
 * import { winsockInterfaces } from "./interfaces.ts";
 * for (const i of winsockInterfaces()) console.log(i.index, i.name);
 * ```
 */
export function winsockInterfaces(): NetworkInterface[] {
  api ??= open();
  let size = lastSize;
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
  lastSize = size;
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
      if (family === AF_INET) v4.push({ family: "IPv4", address: formatIPv4(buf, sa + 4), prefixLength });
      if (family === AF_INET6) {
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
