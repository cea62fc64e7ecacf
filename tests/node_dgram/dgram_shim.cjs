// What `require("dgram")` / `import "node:dgram"` load under the hooks: recvmsg/dgram, loaded (as ESM) by
// the hook before the test starts.
"use strict";
const dgram = globalThis[Symbol.for("recvmsg.dgram")];
if (!dgram) throw new Error("recvmsg/dgram was not preloaded: run through tests/node_dgram/run.mjs");
exports.createSocket = dgram.createSocket;
exports.Socket = dgram.Socket;
