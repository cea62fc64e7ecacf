// `node --import ./tests/node_dgram/node_hooks.mjs test.js`: `dgram` and `node:dgram` resolve to
// recvmsg/dgram (dgram.ts at the repository root), for require() and import alike. The module is loaded
// here first: its graph uses top-level await, which require() cannot wait for.
import { registerHooks } from "node:module";

const dgram = await import("../../dgram.ts");
globalThis[Symbol.for("recvmsg.dgram")] = dgram;
// node:ffi's ExperimentalWarning is emitted on a later tick: let it go before the test listens for warnings.
await new Promise((resolve) => setImmediate(resolve));
const shim = new URL("./dgram_shim.cjs", import.meta.url).href;

registerHooks({
  resolve(specifier, context, next) {
    if (specifier === "dgram" || specifier === "node:dgram") {
      return { url: shim, format: "commonjs", shortCircuit: true };
    }
    return next(specifier, context);
  },
});
