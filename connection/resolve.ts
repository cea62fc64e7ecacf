/**
 * Host names, looked up where Deno looks them up, so that code written for Deno that binds or sends to
 * `"localhost"` switches by changing its import: `send()`'s address (asynchronously, as
 * `Deno.DatagramConn.send` does), and the hostname of `listenDatagram` and `connectDatagram` (at once,
 * as `Deno.listenDatagram` does). Every other send takes numeric addresses only: a lookup per datagram
 * would cost more than the system call, and a server answers the numeric address a message came from.
 *
 * @module
 */
import { ipv4Bits, parseIPv6Into } from "../structs/ip.ts";
import { stripBrackets } from "../structs/sockaddr.ts";

const SCRATCH = new Uint8Array(new ArrayBuffer(16));
/** The last hostname found numeric: a loop sending to one address parses it once (null: none yet; "" is no address). */
let lastNumeric: string | null = null;
/** A host name as the resolver takes it: labels of letters, digits, `-` and `_`, dot-separated, a final dot allowed. */
const NAME =
  /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/**
 * What `send()` makes of `hostname`: null for an address as it stands (IPv4, IPv6 with an optional
 * numeric zone, brackets allowed: no lookup), the name to look up, or "" for neither (empty, spaces, a
 * named zone, a bracketed name): refused before any lookup, as Deno refuses it.
 *
 * @example
 * ```ts ignore
 * hostName("[::1]"); // null
 * hostName("localhost"); // "localhost"
 * hostName("::1%lo"); // ""
 * ```
 */
export function hostName(hostname: string): string | null {
  if (hostname === lastNumeric) return null;
  const h = stripBrackets(hostname);
  if (ipv4Bits(h) >= 0 || parseIPv6Into(h, SCRATCH, 0) >= 0) {
    lastNumeric = hostname;
    return null;
  }
  return h === hostname && NAME.test(hostname) ? hostname : "";
}

/**
 * The first address the system's resolver gives for `name` (of IPv`family`; 0: either), looked up now,
 * synchronously, as `Deno.listenDatagram` looks up its hostname: for a socket opened by name. Throws the
 * backend's `SocketError` (`EAI_NONAME`, `WSAHOST_NOT_FOUND`, …; `address` is the name) when there is none.
 *
 * @example
 * ```ts ignore
 * lookupHost(platform.backend, "localhost", 4); // "127.0.0.1"
 * ```
 */
export function lookupHost(
  resolver: { lookup(name: string, family: 0 | 4 | 6): string[] },
  name: string,
  family: 0 | 4 | 6,
): string {
  return resolver.lookup(name, family)[0];
}

type Lookup = (
  hostname: string,
  options: { family: 0 | 4 | 6; order: "verbatim" },
) => Promise<{ address: string; family: number }>;
let lookup: Lookup | undefined;

/**
 * The first address the system's resolver (`getaddrinfo`, through `node:dns`'s `lookup`, which every
 * runtime has; in the resolver's order, whatever `dns.setDefaultResultOrder` says) gives for `hostname`,
 * of `family` (0: either, as a dual-stack socket takes both). A failure rejects with an Error saying
 * `method` could not look the name up, with the resolver's `code` (`ENOTFOUND`, …) and its error as `cause`.
 *
 * @example
 * ```ts ignore
 * await resolveHost("localhost", 4, "send"); // "127.0.0.1"
 * ```
 */
export async function resolveHost(hostname: string, family: 0 | 4 | 6, method: string): Promise<string> {
  // Loaded at the first name: a process that sends to numbers never loads node:dns.
  lookup ??= (await import("node:dns")).promises.lookup as unknown as Lookup;
  try {
    return (await lookup(hostname, { family, order: "verbatim" })).address;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const error = new Error(
      `${method}: could not look up ${JSON.stringify(hostname)}${family === 0 ? "" : ` (IPv${family})`}: ${
        (e as Error).message
      }`,
      { cause: e },
    );
    if (typeof code === "string") Object.defineProperty(error, "code", { value: code, enumerable: true });
    throw error;
  }
}
