// `bun --preload ./tests/node_dgram/preload.ts test.js`, `deno run -A --preload ./tests/node_dgram/preload.ts
// test.js`: `dgram` and `node:dgram` give recvmsg/dgram (dgram.ts at the repository root) instead of the
// runtime's own, through the module users load for that: dgram/register.ts, which replaces the builtin's
// exports in place. (Bun lets no plugin replace a builtin module — `module() cannot be used to override
// builtin module "dgram"`, and onResolve is not consulted for builtins — and Deno's import map does not
// reach require().)
import "../../dgram/register.ts";
