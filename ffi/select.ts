/**
 * The backend for this operating system, and this machine's interface lookup: the only place above the
 * backends that reads `native.os`, and only to pick the backend.
 *
 * Everything else the connection layer must know of the system comes from the backend, once, as data:
 * how option requests are written and name an interface (`BackendSocket.optionDialect`, built by
 * ffi/common/option_dialect.ts from the tables), whether a send carries its own DSCP
 * (`capabilities.perDatagramDscp`), which handles `wrap` adopts (`Backend.handles`). Nothing here
 * repeats those facts.
 *
 * @module
 */
import type { Backend } from "./common/backend.ts";
import { listInterfaces } from "./interfaces.ts";
import { native } from "./native.ts";
import { posix } from "./posix/posix.ts";
import { winsock } from "./winsock/winsock.ts";
import { parseIPv4 } from "../structs/ip.ts";

/**
 * Interfaces by IPv4 address and IPv4 addresses by interface, for the system requests that take one or the other.
 *
 * @example
 * ```ts
 * import { systemInterfaces, type InterfaceLookup } from "./select.ts";
 * const lookup: InterfaceLookup = systemInterfaces;
 * console.log(lookup.address(1)); // loopback's address, 127.0.0.1, on Linux
 * ```
 */
export interface InterfaceLookup {
  /** The index of the interface that has this IPv4 address, or null. */
  index(address: Uint8Array): number | null;
  /** The first IPv4 address of interface `index`, or null. */
  address(index: number): Uint8Array | null;
}

/**
 * The interface lookup over `interfaces()` (getifaddrs / GetAdaptersAddresses), asked each time: the
 * machine's interfaces change while a program runs.
 *
 * @example
 * ```ts
 * import { systemInterfaces } from "./select.ts";
 * console.log(systemInterfaces.index(new Uint8Array([127, 0, 0, 1]))); // 1 on Linux
 * ```
 */
export const systemInterfaces: InterfaceLookup = {
  index(address) {
    const text = address.join(".");
    return listInterfaces().find((i) => i.addresses.some((a) => a.family === "IPv4" && a.address === text))?.index ??
      null;
  },
  address(index) {
    const a = listInterfaces().find((i) => i.index === index)?.addresses.find((x) => x.family === "IPv4");
    return a ? parseIPv4(a.address) : null;
  },
};

/**
 * The backend of an operating system (by `native.os`'s name). Throws for a system without one.
 *
 * @example
 * ```ts
 * import { backendFor } from "./select.ts";
 * console.log(backendFor("windows").name); // "winsock"
 * ```
 */
export function backendFor(os: string): Backend {
  if (os === "windows") return winsock;
  if (os === "linux" || os === "darwin") return posix;
  throw new Error(
    `recvmsg: no backend for ${os}; this version implements Windows (WSARecvMsg), Linux and macOS (recvmsg).`,
  );
}

/**
 * This machine's backend and interface lookup, what the connection layer opens sockets with. The
 * backend is looked up when first used: importing the module on a system without one does not throw.
 *
 * @example
 * ```ts
 * import { platform } from "./select.ts";
 * console.log(platform.backend.name); // "posix" on Linux and macOS, "winsock" on Windows
 * ```
 */
export const platform: { readonly backend: Backend; readonly interfaces: InterfaceLookup } = Object.freeze({
  get backend(): Backend {
    return backendFor(native.os);
  },
  interfaces: systemInterfaces,
});
