// `bun --preload ./tests/node_dgram/preload.ts test.js`, `deno run -A --preload ./tests/node_dgram/preload.ts
// test.js`: `dgram` and `node:dgram` give recvmsg/dgram (dgram.ts at the repository root) instead of the
// runtime's own, for require() and import alike. Bun lets no plugin replace a builtin module (`module()
// cannot be used to override builtin module "dgram"`, and onResolve is not consulted for builtins), and
// Deno's import map does not reach require(): so the builtin's exports are replaced in place, before any
// test code runs.
import { createRequire } from "node:module";
import * as dgram from "../../dgram.ts";

const builtin = createRequire(import.meta.url)("node:dgram");
builtin.createSocket = dgram.createSocket;
builtin.Socket = dgram.Socket;
if (builtin.createSocket !== dgram.createSocket) throw new Error("bun_preload: node:dgram could not be redirected");
