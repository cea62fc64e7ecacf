/**
 * The interface list of the system this runs on: the one place that picks the backend's
 * (getifaddrs on Linux and macOS, GetAdaptersAddresses on Windows), so the connection layer never asks.
 *
 * @module
 */
import type { NetworkInterface } from "./common/interface_types.ts";
import { native } from "./native.ts";
import { posixInterfaces } from "./posix/interfaces.ts";
import { winsockInterfaces } from "./winsock/interfaces.ts";

export type { InterfaceAddress, NetworkInterface } from "./common/interface_types.ts";

/**
 * This machine's interfaces: index, name, state and every unicast address with its prefix length,
 * one per index, sorted by index.
 *
 * @example
 * ```ts
 * import { listInterfaces } from "./interfaces.ts";
 * for (const i of listInterfaces()) console.log(i.index, i.name, i.addresses.map((a) => `${a.address}/${a.prefixLength}`));
 * ```
 */
export function listInterfaces(): NetworkInterface[] {
  return native.os === "windows" ? winsockInterfaces() : posixInterfaces();
}
