/**
 * Host names in `send()`'s address, looked up as `Deno.DatagramConn.send` looks them up, so that code
 * written for Deno that sends to `"localhost"` switches by changing its import. Every other send takes
 * numeric addresses only: a lookup per datagram would cost more than the system call, and a server
 * answers the numeric address a message came from.
 *
 * @module
 */
import { ipv4Bits, parseIPv6Into } from "../structs/ip.ts";
import { stripBrackets } from "../structs/sockaddr.ts";

const SCRATCH = new Uint8Array(new ArrayBuffer(16));

/**
 * Whether `hostname` is an address as it stands (IPv4, IPv6 with an optional numeric zone, brackets
 * allowed), so that no lookup is needed.
 *
 * @example
 * ```ts ignore
 * isNumericHost("[::1]"); // true
 * isNumericHost("localhost"); // false
 * ```
 */
export function isNumericHost(hostname: string): boolean {
  const h = stripBrackets(hostname);
  return ipv4Bits(h) >= 0 || parseIPv6Into(h, SCRATCH, 0) >= 0;
}

type Lookup = (
  hostname: string,
  options: { family: 0 | 4 | 6 },
) => Promise<{ address: string; family: number }>;
let lookup: Lookup | undefined;

/**
 * The first address the system's resolver (`getaddrinfo`, through `node:dns`'s `lookup`, which every
 * runtime has) gives for `hostname`, of `family` (0: either, as a dual-stack socket takes both). Rejects
 * with the resolver's error (`ENOTFOUND`, …), as `dns.lookup` has it.
 *
 * @example
 * ```ts ignore
 * await resolveHost("localhost", 4); // "127.0.0.1"
 * ```
 */
export async function resolveHost(hostname: string, family: 0 | 4 | 6): Promise<string> {
  // Loaded at the first name: a process that sends to numbers never loads node:dns.
  lookup ??= (await import("node:dns")).promises.lookup as Lookup;
  return (await lookup(hostname, { family })).address;
}
