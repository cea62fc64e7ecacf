/**
 * The C layer of recvmsg: Winsock structures, control messages, socket addresses and constants,
 * as plain TypeScript over `DataView`. No runtime APIs: usable on Deno, Bun, Node and in browsers,
 * for example to build or decode a WSAMSG control buffer by hand.
 *
 * @example
 * ```ts
 * import { buildControlMessages, controlMessages, decodeInPktinfo, IP_PKTINFO, IPPROTO_IP } from "@recvmsg/recvmsg/structs";
 * const info = new Uint8Array([127, 0, 0, 2, 1, 0, 0, 0]);
 * const control = buildControlMessages([{ level: IPPROTO_IP, type: IP_PKTINFO, data: info }]);
 * for (const m of controlMessages(control)) {
 *   console.log(decodeInPktinfo(new DataView(m.data.buffer, m.data.byteOffset), 0)); // { address: "127.0.0.2", interfaceIndex: 1 }
 * }
 * ```
 *
 * @module
 */
export * from "./layout.ts";
export * from "./windows.ts";
export * from "./constants.ts";
export * from "./winsock_errors.ts";
export * from "./ip.ts";
export * from "./sockaddr.ts";
export * from "./cmsg.ts";
export * from "./ancillary.ts";
export * from "./linux.ts";
export * from "./errno.ts";
export * from "./darwin.ts";
export * from "./send_control.ts";
export * from "./describe.ts";
export * from "./message_flags.ts";
