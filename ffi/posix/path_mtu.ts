/**
 * The path MTU behind an EMSGSIZE, for the error that reports it (Linux IP_MTU / IPV6_MTU). A connected
 * socket is asked directly; for an unconnected one, a throwaway socket is connected to the destination
 * (which sends nothing) and asked, since the kernel keeps what it learned about a path per destination;
 * that socket is made in the calling thread's network namespace, the socket's own unless the program
 * moves between namespaces.
 * Only on the error path: nothing here runs per datagram.
 *
 * @module
 */
import { LINUX as L } from "../../structs/linux.ts";
import { encodeSockaddr, type Families } from "../../structs/sockaddr.ts";
import { destination } from "../common/backend.ts";

/** The libc calls this needs. */
export interface MtuCalls {
  socket(domain: number, type: number, protocol: number): number;
  connect(fd: number, addr: Uint8Array, len: number): number;
  getsockopt(fd: number, level: number, name: number, value: Uint8Array, len: Uint8Array): number;
  close(fd: number): number;
}

/**
 * The path MTU to `to` (or to the connected peer of `fd` when `to` is null, whose family `peerIsIPv4`
 * gives), or undefined when the system does not say.
 *
 * @example
 * ```ts ignore
 * const mtu = pathMtu(libc, fd, { hostname: "198.18.11.2", port: 9 }, null, families); // 1280
 * ```
 */
export function pathMtu(
  c: MtuCalls,
  fd: number,
  to: { hostname: string; port: number } | null,
  peerIsIPv4: boolean | null,
  families: Families,
): number | undefined {
  const memory = new Uint8Array(new ArrayBuffer(160));
  const dv = new DataView(memory.buffer);
  const value = memory.subarray(128, 132);
  const len = memory.subarray(136, 140);
  dv.setUint32(136, 4, true);
  const ask = (s: number, ipv4: boolean) =>
    c.getsockopt(s, ipv4 ? L.IPPROTO_IP : L.IPPROTO_IPV6, ipv4 ? L.IP_MTU : L.IPV6_MTU, value, len) === 0
      ? dv.getInt32(128, true)
      : undefined;
  try {
    if (to === null) return peerIsIPv4 === null ? undefined : ask(fd, peerIsIPv4);
    // The destination in its own family: a v4-mapped address is asked about as IPv4.
    const dest = destination(to.hostname, false);
    const n = encodeSockaddr(dv, 0, { hostname: dest.hostname, port: to.port || 9 }, families);
    const s = c.socket(dest.ipv4 ? L.AF_INET : L.AF_INET6, L.SOCK_DGRAM | L.SOCK_CLOEXEC, 0);
    if (s < 0) return undefined;
    try {
      return c.connect(s, memory.subarray(0, n), n) === 0 ? ask(s, dest.ipv4) : undefined;
    } finally {
      c.close(s);
    }
  } catch {
    // An address that does not encode: the caller's own error says enough.
    return undefined;
  }
}
