/**
 * Interfaces by index and by address for `recvmsg/dgram`: the name `rinfo.interface` carries, and the
 * index an interface address (what node:dgram's multicast calls take) stands for. Read from
 * `interfaces()` once and again only when an index or address is not found (an interface came up).
 *
 * @module
 */
import { interfaces, type NetworkInterface } from "../mod.ts";

let known: NetworkInterface[] | null = null;

function find<T>(pick: (list: NetworkInterface[]) => T | undefined): T | undefined {
  known ??= interfaces();
  const found = pick(known);
  if (found !== undefined) return found;
  known = interfaces();
  return pick(known);
}

/**
 * The name of interface `index` (`"eth0"`, `"lo"`), or undefined.
 *
 * @example
 * ```ts
 * import { interfaceName } from "./interface_names.ts";
 * console.log(interfaceName(1)); // "lo" on Linux
 * ```
 */
export function interfaceName(index: number): string | undefined {
  return find((list) => list.find((i) => i.index === index)?.name);
}

/**
 * The index of the interface that has `address`, or of the interface named `name`; undefined for none.
 *
 * @example
 * ```ts
 * import { interfaceIndex } from "./interface_names.ts";
 * console.log(interfaceIndex({ address: "127.0.0.1" })); // 1 on Linux
 * ```
 */
export function interfaceIndex(by: { address?: string; name?: string }): number | undefined {
  return find((list) =>
    list.find((i) => by.name !== undefined ? i.name === by.name : i.addresses.some((a) => a.address === by.address))
      ?.index
  );
}

/**
 * An IPv6 address with its scope as this module's API takes it: `fe80::1%eth0` becomes `fe80::1%2`
 * (names are what node:dgram users write; the index is what the system call takes).
 *
 * @example
 * ```ts
 * import { numericScope } from "./interface_names.ts";
 * console.log(numericScope("fe80::1%lo")); // "fe80::1%1" on Linux
 * ```
 */
export function numericScope(address: string): string {
  const at = address.indexOf("%");
  if (at < 0 || /^\d+$/.test(address.slice(at + 1))) return address;
  const index = interfaceIndex({ name: address.slice(at + 1) });
  return index === undefined ? address : `${address.slice(0, at)}%${index}`;
}

/**
 * An address as node:dgram shows it: a numeric scope as the interface's name (`fe80::1%eth0`), except
 * on Windows, where Node shows the number.
 *
 * @example
 * ```ts
 * import { namedScope } from "./interface_names.ts";
 * console.log(namedScope("fe80::1%1")); // "fe80::1%lo" on Linux
 * ```
 */
export function namedScope(address: string): string {
  const at = address.indexOf("%");
  if (at < 0 || isWindows) return address;
  const name = interfaceName(Number(address.slice(at + 1)));
  return name === undefined ? address : `${address.slice(0, at)}%${name}`;
}

const isWindows = (globalThis as { process?: { platform?: string } }).process?.platform === "win32" ||
  (globalThis as { Deno?: { build?: { os?: string } } }).Deno?.build?.os === "windows";

/**
 * The interface a node:dgram interface argument names: an IPv4 address (`"10.0.0.2"`, `"0.0.0.0"` for
 * the system's choice), or for IPv6 a scope (`"::%eth0"`, `"::%2"`, `"fe80::1%eth0"`). Returns
 * `{ index }`, `{ address }` for an IPv4 address to hand on as is, or null when nothing matches.
 *
 * @example
 * ```ts
 * import { parseInterfaceArgument } from "./interface_names.ts";
 * console.log(parseInterfaceArgument("::%1", true)); // { index: 1 }
 * ```
 */
export function parseInterfaceArgument(text: string, ipv6: boolean): { index: number } | null {
  if (ipv6) {
    const at = text.indexOf("%");
    if (at < 0) return text === "::" || text === "" ? { index: 0 } : null;
    const scope = text.slice(at + 1);
    if (/^\d+$/.test(scope)) return { index: Number(scope) };
    // As libuv: a name no interface has is scope 0, the system's choice.
    return { index: interfaceIndex({ name: scope }) ?? 0 };
  }
  if (text === "0.0.0.0") return { index: 0 };
  const index = interfaceIndex({ address: text });
  return index === undefined ? null : { index };
}
