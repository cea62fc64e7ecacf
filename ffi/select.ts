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
import { type MessageFlags, messageFlagsFor } from "../structs/message_flags.ts";

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

/**
 * This system's receive flags (structs/message_flags.ts): what a message's `flags` holds is the
 * system's own bits, so the constants it is tested with are picked here, by the same `native.os`.
 *
 * @example
 * ```ts
 * import { messageFlags } from "./select.ts";
 * console.log(messageFlags.MSG_TRUNC); // 0x20 on Linux, 0x10 on macOS, 0x100 on Windows
 * ```
 */
export const messageFlags: MessageFlags = messageFlagsFor(native.os);

/**
 * Input flag of a receive: leave the datagram queued (`receiveMsg({ flags: MSG_PEEK })`, or `peek: true`).
 * 0x2 on Linux, macOS and Windows.
 *
 * @example
 * ```ts
 * import { listenDatagram, MSG_PEEK } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "127.0.0.1" });
 * const first = await conn.receiveMsg({ flags: MSG_PEEK }); // still queued
 * ```
 */
export const MSG_PEEK: number = messageFlags.MSG_PEEK;

/**
 * Output flag in `msg.flags`: the datagram was larger than the buffer and was cut. This system's own
 * value: 0x20 on Linux, 0x10 on macOS, 0x100 on Windows. `msg.truncated` says the same on every system.
 *
 * @example
 * ```ts
 * import { listenDatagram, MSG_TRUNC } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "127.0.0.1" });
 * const msg = await conn.receiveMsg({ buffer: new Uint8Array(4) });
 * console.log((msg.flags & MSG_TRUNC) !== 0, msg.truncated); // the same
 * ```
 */
export const MSG_TRUNC: number = messageFlags.MSG_TRUNC;

/**
 * Output flag in `msg.flags`: the control data did not fit and was cut. This system's own value: 0x8
 * on Linux, 0x20 on macOS, 0x200 on Windows. `msg.controlTruncated` says the same on every system.
 *
 * @example
 * ```ts
 * import { listenDatagram, MSG_CTRUNC } from "@recvmsg/recvmsg";
 * // Two records asked for (packet info and hop limit), room for one: the other is cut.
 * using conn = listenDatagram({ hostname: "127.0.0.1", hopLimit: true });
 * const msg = await conn.receiveMsg({ controlSize: 32 });
 * console.log((msg.flags & MSG_CTRUNC) !== 0, msg.controlTruncated); // true true (Linux)
 * ```
 */
export const MSG_CTRUNC: number = messageFlags.MSG_CTRUNC;

/**
 * Output flag in `msg.flags`: received as a link-layer broadcast. Only Windows has it (0x400); on Linux
 * and macOS, which have no such flag, it is 0, so `flags & MSG_BCAST` is always 0 there.
 * `msg.broadcast` is the portable way to ask.
 *
 * @example
 * ```ts
 * import { listenDatagram, MSG_BCAST } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "0.0.0.0", port: 0 });
 * const msg = await conn.receiveMsg();
 * console.log(msg.broadcast, (msg.flags & MSG_BCAST) !== 0); // the second only ever true on Windows
 * ```
 */
export const MSG_BCAST: number = messageFlags.MSG_BCAST;

/**
 * Output flag in `msg.flags`: received as a link-layer multicast. Only Windows has it (0x800); on Linux
 * and macOS it is 0. `msg.multicast` is the portable way to ask (it is also derived from the
 * destination address where the system sets no flag).
 *
 * @example
 * ```ts
 * import { listenDatagram, MSG_MCAST } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "0.0.0.0", port: 0 });
 * const msg = await conn.receiveMsg();
 * console.log(msg.multicast, (msg.flags & MSG_MCAST) !== 0);
 * ```
 */
export const MSG_MCAST: number = messageFlags.MSG_MCAST;
