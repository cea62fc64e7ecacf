/**
 * getaddrinfo on Windows (ws2_32), for a socket bound or connected by name: synchronous, as
 * `Deno.listenDatagram` looks its hostname up. Winsock is started around the call (a lookup may come
 * before any socket of this module is open).
 *
 * @module
 */
import { SocketError } from "../../errors.ts";
import { AF_INET, AF_INET6, SOCK_DGRAM } from "../../structs/constants.ts";
import { WIN } from "../../structs/windows.ts";
import { winsockError } from "../../structs/winsock_errors.ts";
import { addressesOf, type AddrinfoShape, listAt, lookupArgs } from "../common/addrinfo.ts";
import { native } from "../native.ts";
import { WS2_RESOLVE } from "../tables/windows.ts";
import { cleanup, load, startup } from "./system.ts";

let resolver: { lib: ReturnType<typeof open>; shape: AddrinfoShape } | null = null;
const open = () => native.open("ws2_32.dll", WS2_RESOLVE);

/**
 * The addresses Windows' resolver gives for `name` (of IPv`family`; 0: either), in its order. Throws a
 * {@link SocketError} named for its code (`WSAHOST_NOT_FOUND`, …) when it gives none.
 *
 * @example
 * ```ts ignore
 * winsockLookup("localhost", 4); // ["127.0.0.1"]
 * ```
 */
export function winsockLookup(name: string, family: 0 | 4 | 6): string[] {
  resolver ??= {
    lib: open(),
    shape: { layout: WIN.ADDRINFOA, AF_INET, AF_INET6, SOCK_DGRAM },
  };
  const r = resolver;
  const args = lookupArgs(name, r.shape, family);
  if (args === null) throw new TypeError(`a host name cannot hold a NUL character, got ${JSON.stringify(name)}`);
  const l = load();
  startup(l);
  try {
    // getaddrinfo returns its error rather than setting WSAGetLastError.
    const rc = r.lib.getaddrinfo(args.name, 0n, args.hints, args.result);
    if (rc !== 0) {
      const e = winsockError(rc);
      throw new SocketError(e.name, e.code, "getaddrinfo", e.message, { address: name });
    }
    const found = addressesOf(listAt(args.result), r.shape, (list) => r.lib.freeaddrinfo(list));
    if (found.length > 0) return found;
    const e = winsockError(11004); // WSANO_DATA: records, but none of an address family we read
    throw new SocketError(e.name, e.code, "getaddrinfo", e.message, { address: name });
  } finally {
    cleanup(l);
  }
}
