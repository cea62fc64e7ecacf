/**
 * getaddrinfo(3) on Linux and macOS, for a socket bound or connected by name: synchronous, as
 * `Deno.listenDatagram` looks its hostname up.
 *
 * @module
 */
import { SocketError } from "../../errors.ts";
import { DARWIN, DRW } from "../../structs/darwin.ts";
import { eaiError } from "../../structs/errno.ts";
import { LINUX, LNX } from "../../structs/linux.ts";
import { addressesOf, type AddrinfoShape, listAt, lookupArgs } from "../common/addrinfo.ts";
import { native } from "../native.ts";
import { LIBC_RESOLVE, libcPath } from "../tables/libc.ts";
import { load } from "./system.ts";
import { P } from "./platform.ts";

let resolver: { lib: ReturnType<typeof open>; shape: AddrinfoShape; darwin: boolean } | null = null;
const open = () => native.open(libcPath(native.os), LIBC_RESOLVE);

/**
 * The addresses the system's resolver gives for `name` (of IPv`family`; 0: either), in its order.
 * Throws a {@link SocketError} named for getaddrinfo's code (`EAI_NONAME`, …) when it gives none.
 *
 * @example
 * ```ts ignore
 * posixLookup("localhost", 4); // ["127.0.0.1"]
 * ```
 */
export function posixLookup(name: string, family: 0 | 4 | 6): string[] {
  if (resolver === null) {
    const darwin = native.os === "darwin";
    const K = darwin ? DARWIN : LINUX;
    resolver = {
      lib: open(),
      darwin,
      shape: {
        layout: darwin ? DRW.addrinfo : LNX.addrinfo,
        AF_INET: K.AF_INET,
        AF_INET6: K.AF_INET6,
        SOCK_DGRAM: K.SOCK_DGRAM,
      },
    };
  }
  const r = resolver;
  const args = lookupArgs(name, r.shape, family);
  if (args === null) throw new TypeError(`a host name cannot hold a NUL character, got ${JSON.stringify(name)}`);
  const l = load();
  const rc = r.lib.getaddrinfo(args.name, 0n, args.hints, args.result);
  if (rc !== 0) {
    // EAI_SYSTEM: errno says what (read at once, before another call can change it).
    const e = rc === (r.darwin ? 11 : -11) ? P.errno(l.errno()) : eaiError(rc, r.darwin);
    throw new SocketError(e.name, e.code, "getaddrinfo", e.message, { address: name });
  }
  const found = addressesOf(listAt(args.result), r.shape, (list) => r.lib.freeaddrinfo(list));
  if (found.length > 0) return found;
  const e = eaiError(r.darwin ? 7 : -5, r.darwin); // EAI_NODATA: records, but none of an address family we read
  throw new SocketError(e.name, e.code, "getaddrinfo", e.message, { address: name });
}
