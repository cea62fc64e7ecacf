/**
 * `recvmsg/dgram` (npm) / `@recvmsg/recvmsg/dgram` (JSR): node:dgram's API — `createSocket`, `Socket`, the
 * default export — on Node, Bun and Deno, with what node:dgram does not say: each `message`'s `rinfo`
 * also carries the local address the datagram reached (`localAddress`), the interface it arrived on
 * (`interfaceIndex`, `interface`), its hop limit and flags, and `send(msg, port, address, { source: rinfo })`
 * answers from that address and interface. Code that takes a `dgram.Socket` takes this one.
 *
 * @example
 * ```ts
 * import dgram from "@recvmsg/recvmsg/dgram"; // npm: "recvmsg/dgram"
 *
 * const server = dgram.createSocket({ type: "udp4", reuseAddr: true });
 * server.on("message", (msg, rinfo) => {
 *   console.log(`${rinfo.address}:${rinfo.port} -> ${rinfo.localAddress} on ${rinfo.interface}`);
 *   server.send(msg, rinfo.port, rinfo.address, { source: rinfo }); // from where it arrived
 * });
 * server.bind(41234);
 * ```
 *
 * @module
 */
import { createSocket, Socket } from "./dgram/socket.ts";

export { createSocket, Socket } from "./dgram/socket.ts";
export type {
  AddressInfo,
  BindOptions,
  LookupFunction,
  Message,
  Part,
  SendCallback,
  SocketOptions,
  SocketType,
} from "./dgram/socket.ts";
export type { RemoteInfo } from "./dgram/receiver.ts";
export type { SendExtras, SendSource } from "./dgram/send_args.ts";
export type { CodedError, ErrnoException } from "./dgram/errors.ts";

/** node:dgram's default export: `{ createSocket, Socket }`. */
const dgram: { createSocket: typeof createSocket; Socket: typeof Socket } = { createSocket, Socket };
export default dgram;
