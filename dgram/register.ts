/**
 * Loaded first, makes `node:dgram` (and `dgram`) this module's `recvmsg/dgram` for the whole process: for
 * code that cannot change its import, such as a library built on node:dgram (multicast-dns, dns2, coap,
 * node-ssdp…), whose `rinfo` then also says where each datagram arrived (`localAddress`, `interface`) and
 * whose `send(..., { source: rinfo })` answers from there.
 *
 * ```sh
 * node --import recvmsg/dgram/register app.js
 * bun --preload recvmsg/dgram/register app.js
 * deno run -A --preload jsr:@recvmsg/recvmsg/dgram/register app.js
 * ```
 *
 * The builtin's exports are replaced in place (`createSocket`, `Socket`), before the program's code runs.
 * On Node and Bun that reaches every form: `require("dgram")`, `import dgram from "node:dgram"`,
 * `import { createSocket } from "node:dgram"`. On Deno it reaches `require()` and the default export, but
 * not named imports (`import { createSocket } from "node:dgram"` keeps Deno's own): for your own code map
 * `node:dgram` to `jsr:@recvmsg/recvmsg/dgram` in the import map instead.
 *
 * @example
 * ```ts ignore
 * import "@recvmsg/recvmsg/dgram/register";
 * const dgram = await import("node:dgram");
 * dgram.default.createSocket("udp4").on("message", (msg, rinfo) => console.log(rinfo.localAddress));
 * ```
 *
 * @module
 */
import { createRequire, syncBuiltinESMExports } from "node:module";
import { createSocket, Socket } from "./socket.ts";

const builtin = createRequire(import.meta.url)("node:dgram") as { createSocket: unknown; Socket: unknown };
builtin.createSocket = createSocket;
builtin.Socket = Socket;
// Node: named ESM imports of a builtin are copies, refreshed from its exports by this call.
if (typeof syncBuiltinESMExports === "function") syncBuiltinESMExports();
if (builtin.createSocket !== createSocket) {
  throw new Error("recvmsg/dgram/register: node:dgram's exports could not be replaced on this runtime");
}
