// ref() / unref(), as node:dgram's: each case runs in a child process (tests/runtime/fixtures/surface_unref.ts)
// and is judged by how it ends and what it prints. And in this process: an unref'd socket still receives.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { platform } from "node:os";
import { listenDatagram } from "../../mod.ts";
import { child, runtimeArgv, test } from "./harness.ts";
import { netnsUnavailable, shapedLink } from "./netns.ts";

const FIXTURE = "tests/runtime/fixtures/surface_unref.ts";

test("after unref() a waiting receive does not keep the process alive", async () => {
  const c = child([...runtimeArgv(FIXTURE), "unref"], 15_000);
  const r = await c.done;
  assert.match(r.stdout, /waiting/, r.stderr);
  assert.doesNotMatch(r.stdout, /got|rejected/);
  assert.equal(r.code, 0, `ended with ${r.code} (null: killed after 15 s, the wait held it) ${r.stderr}`);
}, { timeout: 30_000 });

test("after unref() a waiting error read does not keep the process alive, unref'd before any wait", async () => {
  const c = child([...runtimeArgv(FIXTURE), "unref-errors"], 15_000);
  const r = await c.done;
  assert.match(r.stdout, /waiting/, r.stderr);
  assert.doesNotMatch(r.stdout, /got|rejected|error record/);
  assert.equal(r.code, 0, `ended with ${r.code} (null: killed after 15 s, the wait held it) ${r.stderr}`);
}, { timeout: 30_000, skip: platform() === "linux" ? null : "the error queue is Linux's (IP_RECVERR)" });

for (const mode of ["ref", "reref"] as const) {
  test(
    `${mode === "ref" ? "by default" : "after unref() then ref()"} a waiting receive keeps the process alive`,
    async () => {
      // The port is chosen here, and datagrams are sent to it until the child has one: nothing depends on
      // reading the child's output while it runs (Deno's child_process streams may deliver it only at exit).
      const probe = dgram.createSocket("udp4");
      await new Promise<void>((r) => probe.bind(0, "127.0.0.1", () => r()));
      const port = probe.address().port;
      probe.close();
      const c = child([...runtimeArgv(FIXTURE), mode, String(port)], 15_000);
      const s = dgram.createSocket("udp4");
      await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
      let ended = false;
      const done = c.done.then((r) => {
        ended = true;
        return r;
      });
      // The first datagrams may come before the child's receive waits (it then still gets a later one);
      // a child whose wait did not hold it would end before any, with "waiting" and no "got".
      await new Promise((r) => setTimeout(r, 1500));
      for (let i = 0; i < 100 && !ended; i++) {
        await new Promise<void>((r) => s.send(new Uint8Array(5), port, "127.0.0.1", () => r()));
        await new Promise((r) => setTimeout(r, 100));
      }
      s.close();
      const r = await done;
      assert.match(r.stdout, /waiting/, `${r.stdout} ${r.stderr}`);
      assert.match(r.stdout, /got 5/, `${r.stdout} ${r.stderr}`);
      assert.equal(r.code, 0, r.stderr);
    },
    { timeout: 30_000 },
  );
}

const why = netnsUnavailable();
test(
  "after unref() a receive and a send waiting for room do not keep the process alive",
  async () => {
    const { net, a, to } = shapedLink("su", 13, "64kbit");
    using _net = net;
    const c = child([...net.run(a), ...runtimeArgv(FIXTURE), "unref-send", to], 15_000);
    const r = await c.done;
    assert.match(r.stdout, /waiting/, r.stderr);
    assert.doesNotMatch(r.stdout, /sent|failed|got/);
    assert.equal(r.code, 0, `ended with ${r.code} (null: killed after 15 s, a wait held it) ${r.stderr}`);
  },
  { windows: false, timeout: 30_000, skip: why },
);

test("an unref'd socket still receives while the process lives on, and ref()/unref() return it", async () => {
  using a = listenDatagram({ hostname: "127.0.0.1" });
  using b = listenDatagram({ hostname: "127.0.0.1" });
  assert.equal(a.unref(), a);
  const waiting = a.receiveMsg({ signal: AbortSignal.timeout(10_000) });
  await b.send(new Uint8Array(3), a.addr);
  assert.equal((await waiting).data.length, 3);
  assert.equal(a.ref(), a);
  a.unref();
  const again = a.receiveMsg({ signal: AbortSignal.timeout(10_000) });
  await b.send(new Uint8Array(4), a.addr);
  assert.equal((await again).data.length, 4);
  a.close();
  assert.equal(a.unref(), a, "closed: does nothing");
});
