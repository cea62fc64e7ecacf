// recvmsg/dgram behaves as node:dgram where Node's own tests do not look: each datagram is emitted in a
// task of its own (the ticks and microtasks a listener starts run before the next; an `await once()` loop
// misses none), a listener's exception is the process's, each message owns its buffer, an unhandled bind
// error ends the process, a second close() throws, and a bad port or an address of the other family
// leaves the socket as it was. The same sequences were compared against Node 26's node:dgram.
import assert from "node:assert/strict";
import { once } from "node:events";
import dgram, { type Socket } from "../../dgram.ts";
import { child, runtime, runtimeArgv, test } from "./harness.ts";

const FIXTURE = "tests/runtime/fixtures/dgram_child.ts";

async function bound(type: "udp4" | "udp6" = "udp4", address = "127.0.0.1"): Promise<Socket> {
  const s = dgram.createSocket(type);
  s.bind(0, address);
  await once(s as never, "listening");
  return s;
}

const close = (s: Socket) => new Promise<void>((resolve) => s.close(() => resolve()));

test(`recvmsg/dgram (${runtime}): a burst is emitted one datagram per task; an await-once loop gets every one`, async () => {
  const rx = await bound();
  const tx = await bound();
  try {
    const words = ["a", "b", "c", "d", "e"];
    const order: string[] = [];
    rx.on("message", (m) => {
      const w = String(m);
      order.push(`msg ${w}`);
      process.nextTick(() => order.push(`tick ${w}`));
      queueMicrotask(() => order.push(`micro ${w}`));
    });
    const got: string[] = [];
    const loop = (async () => {
      for (let i = 0; i < words.length; i++) {
        // A datagram emitted before the loop listened again would be missed: then this times out.
        const [m] = await once(rx as never, "message", { signal: AbortSignal.timeout(5000) });
        got.push(String(m));
        await Promise.resolve(); // more hops than the listener's own: still before the next datagram
      }
    })();
    // In one go: queued together, they come from one wake-up.
    for (const w of words) tx.send(w, rx.address().port, "127.0.0.1");
    await loop;
    assert.deepEqual(got, words);
    for (const w of words.slice(0, -1)) {
      const next = order.indexOf(`msg ${String.fromCharCode(w.charCodeAt(0) + 1)}`);
      assert.ok(order.indexOf(`tick ${w}`) < next && order.indexOf(`micro ${w}`) < next, order.join(", "));
    }
  } finally {
    await close(rx);
    await close(tx);
  }
});

test(`recvmsg/dgram (${runtime}): each message owns its ArrayBuffer, as node:dgram's`, async () => {
  const rx = await bound();
  const tx = await bound();
  try {
    const seen: Uint8Array[] = [];
    const all = new Promise<void>((resolve) =>
      rx.on("message", (m) => {
        seen.push(m);
        if (seen.length === 3) resolve();
      })
    );
    for (const w of ["one", "two", "three"]) tx.send(w, rx.address().port, "127.0.0.1");
    await all;
    for (const m of seen) {
      assert.equal(m.byteOffset, 0);
      assert.equal(m.buffer.byteLength, m.length);
      assert.equal(new TextDecoder().decode(new Uint8Array(m.buffer)), String(m));
    }
  } finally {
    await close(rx);
    await close(tx);
  }
});

test(`recvmsg/dgram (${runtime}): a listener that throws is the process's uncaught exception; delivery goes on`, async () => {
  const r = await child([...runtimeArgv(FIXTURE), "listener-throws"], 15_000).done;
  const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}");
  assert.deepEqual(out, { got: ["1", "2", "3", "4"], uncaught: ["listener failed at 2"] }, r.stderr);
  assert.equal(r.code, 0, r.stderr);
});

test(`recvmsg/dgram (${runtime}): bind(busy port, callback) with no 'error' listener ends the process with the error`, async () => {
  const r = await child([...runtimeArgv(FIXTURE), "bind-error"], 15_000).done;
  assert.notEqual(r.code, 0, `the process went on: ${r.stdout}`);
  assert.match(r.stderr, /EADDRINUSE/);
  assert.doesNotMatch(r.stdout, /bound|alive/);
});

test(`recvmsg/dgram (${runtime}): close() twice throws ERR_SOCKET_DGRAM_NOT_RUNNING; a bad port or other family leaves the socket usable`, async () => {
  const s = dgram.createSocket("udp4");
  assert.throws(() => s.bind(-1), { code: "ERR_SOCKET_BAD_PORT" });
  // Still unbound: bind again, to an address of the other family (EINVAL, as a udp4 socket of Node's).
  s.bind(0, "::1");
  const [e] = await once(s as never, "error");
  assert.equal((e as { code: string }).code, "EINVAL");
  assert.equal((e as { syscall: string }).syscall, "bind");
  s.bind(0, "127.0.0.1");
  await once(s as never, "listening");
  const sent = await new Promise<Error | null>((resolve) => s.send("x", 9, "::1", (err) => resolve(err)));
  assert.equal((sent as { code?: string } | null)?.code, "EINVAL");
  await close(s);
  assert.throws(() => s.close(), { code: "ERR_SOCKET_DGRAM_NOT_RUNNING" });
});

test(`recvmsg/dgram (${runtime}): a send's callback runs in a process.nextTick, in send order, before promise callbacks`, async () => {
  const s = await bound();
  try {
    const port = s.address().port;
    const order: string[] = [];
    const note = (k: string) => (e: Error | null, n?: number) =>
      order.push(`${k} ${(e as { code?: string } | null)?.code ?? n}`);
    // From a macrotask, as a listener or timer sends (in a microtask, the microtasks run before ticks).
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        s.send("a", port, "127.0.0.1", note("a"));
        process.nextTick(() => order.push("tick"));
        queueMicrotask(() => order.push("micro"));
        setImmediate(() => order.push("immediate"));
        s.send(new Uint8Array(100), port, "127.0.0.1", note("b"));
        s.send(new Uint8Array(65508), port, "127.0.0.1", note("c"));
        s.send(new Uint8Array(65536), port, "127.0.0.1", note("d"));
        setTimeout(resolve, 50);
      })
    );
    // As node:dgram (libuv tries the send at once and reports it in a tick), the same on Node 26.
    assert.deepEqual(order, ["tick", "a 1", "b 100", "c EMSGSIZE", "d EMSGSIZE", "micro", "immediate"]);
  } finally {
    await close(s);
  }
});

// dgram/register.ts loaded first (node --import, bun/deno --preload) makes node:dgram recvmsg/dgram for
// code that cannot change its import. Deno's named ESM imports of a builtin are fixed at load (its README
// says so); every other way in is redirected.
test(`recvmsg/dgram/register (${runtime}): code on node:dgram gets recvmsg/dgram without a change`, async () => {
  const register = "dgram/register.ts";
  const fixture = "tests/runtime/fixtures/dgram_registered.mjs";
  const [exec, ...rest] = runtimeArgv(fixture);
  const argv = runtime === "node"
    ? [exec, "--no-warnings", "--import", `./${register}`, fixture]
    : runtime === "deno"
    ? [exec, "run", "-A", "--preload", `./${register}`, fixture]
    : [exec, "--preload", `./${register}`, ...rest];
  const r = await child(argv, 30_000).done;
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split(/\r?\n/).pop()!);
  const redirected = runtime === "deno" ? ["require", "default"] : ["require", "default", "named", "namespace"];
  for (const way of ["require", "default", "named", "namespace"]) {
    assert.equal(out[way].text, way, `${way}: the datagram arrived`);
    if (redirected.includes(way)) {
      assert.deepEqual(
        out[way],
        { text: way, localAddress: "127.0.0.1", interfaceIndex: true },
        `${way}: recvmsg/dgram`,
      );
    } else {
      assert.equal(out[way].localAddress, null, `${way}: the runtime's own node:dgram (no localAddress)`);
    }
  }
});
