/**
 * The machine's network interfaces for users: the whole list, and the lookup a server loop makes for
 * every datagram (`msg.localAddr.interfaceIndex` to the interface), served from a list kept in memory.
 *
 * @module
 */
import { listInterfaces } from "../ffi/interfaces.ts";
import type { InterfaceAddress, NetworkInterface } from "../ffi/interfaces.ts";

export type { InterfaceAddress, NetworkInterface } from "../ffi/interfaces.ts";

/**
 * This machine's network interfaces: index (what packet info reports as `interfaceIndex`, and what
 * joins and sends take), name, whether it is up, loopback, multicast-capable, and every unicast address
 * with its prefix length; one per index, sorted by index. Asks the system each call (getifaddrs on Linux
 * and macOS, GetAdaptersAddresses on Windows); for a lookup per datagram use {@link interfaceByIndex}.
 *
 * @example
 * ```ts
 * import { interfaces } from "@recvmsg/recvmsg";
 * for (const i of interfaces()) {
 *   console.log(i.index, i.name, i.up, i.addresses.map((a) => `${a.address}/${a.prefixLength}`));
 * }
 * ```
 */
export function interfaces(): NetworkInterface[] {
  return listInterfaces();
}

/** How old the kept list may be before a lookup asks the system again: addresses change (DHCP, SLAAC). */
const MAX_AGE_MS = 1000;
/** The oldest miss remembered: an index that was not found is looked for again after this long. */
const MISS_MS = 1000;

let byIndex = new Map<number, NetworkInterface>();
let takenAt = -Infinity;
/** Indexes just looked for and not found, with when: a vanished interface does not make every lookup ask again. */
const misses = new Map<number, number>();

/** A frozen copy, shared by every lookup until the next refresh: nobody can change what another caller gets. */
function frozen(i: NetworkInterface): NetworkInterface {
  const addresses = i.addresses.map((a: InterfaceAddress) => Object.freeze({ ...a }));
  return Object.freeze({ ...i, addresses: Object.freeze(addresses) });
}

function refresh(now: number): void {
  const next = new Map<number, NetworkInterface>();
  for (const i of listInterfaces()) next.set(i.index, frozen(i));
  byIndex = next;
  takenAt = now;
  misses.clear();
}

/**
 * The interface with this index, or `undefined` when the machine has none: the lookup for a server loop
 * (`msg.localAddr.interfaceIndex` to the interface a datagram arrived on, and its addresses). Served from a
 * list kept in memory — a map lookup — which is taken again when it is more than a second old, and at once
 * when an index it does not know comes up (a new interface), so new interfaces are found at their first
 * datagram. An index still unknown after that is not looked for again for a second. The object returned is
 * frozen and shared; index 0 ("no interface") is `undefined` without asking.
 *
 * @example
 * ```ts
 * import { interfaceByIndex, listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "0.0.0.0", port: 5353, reusePort: true });
 * for await (const msg of conn.messages()) {
 *   const arrivedOn = interfaceByIndex(msg.localAddr?.interfaceIndex ?? 0);
 *   console.log(arrivedOn?.name, arrivedOn?.addresses.map((a) => a.address));
 * }
 * ```
 */
export function interfaceByIndex(index: number): NetworkInterface | undefined {
  if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index > 0xffff_ffff) {
    const what = typeof index === "number" ? String(index) : typeof index;
    throw new (typeof index === "number" ? RangeError : TypeError)(
      `interfaceByIndex: index must be an integer from 0 to 4294967295, got ${what}`,
    );
  }
  if (index === 0) return undefined;
  const now = performance.now();
  if (now - takenAt > MAX_AGE_MS) refresh(now);
  const found = byIndex.get(index);
  if (found !== undefined) return found;
  const missed = misses.get(index);
  if (missed !== undefined && now - missed < MISS_MS) return undefined;
  if (takenAt !== now) refresh(now);
  const again = byIndex.get(index);
  if (again === undefined) {
    if (misses.size >= 1024) misses.clear();
    misses.set(index, now);
  }
  return again;
}
