/**
 * Until mod.ts takes `interfaces()` from connection/interfaces.ts: what mod.ts imported from here.
 * (The list itself is ffi/posix/interfaces.ts and ffi/winsock/interfaces.ts, picked by ffi/interfaces.ts.)
 *
 * @module
 */
export { listInterfaces } from "../interfaces.ts";
export type { InterfaceAddress, NetworkInterface } from "./interface_types.ts";
