// A second, independent implementation answers the same question: Python's socket.recvmsg, given the
// same datagrams, must report the same destination addresses and interface indexes as this module.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { listenDatagram } from "../../mod.ts";
import { Sender, test } from "./harness.ts";

interface PyMessage {
  data: string;
  local: string;
  ifindex: number;
  remote: string;
}

/** Starts the Python receiver; resolves with its port and a function that collects `count` messages. */
async function python(family: "4" | "6", count: number): Promise<{ port: number; messages: Promise<PyMessage[]> }> {
  const child = spawn("python3", [
    new URL("./fixtures/pktinfo_receiver.py", import.meta.url).pathname,
    family,
    String(count),
  ]);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  const port = Number(first.value);
  assert.ok(port > 0, `python receiver started (${first.value})`);
  const messages = (async () => {
    const out: PyMessage[] = [];
    for (let i = 0; i < count; i++) out.push(JSON.parse((await lines.next()).value as string));
    child.kill();
    return out;
  })();
  return { port, messages };
}

const unmapped = (a: string) => a.startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a;

for (const family of ["4", "6"] as const) {
  test(
    `Python's recvmsg and this module agree on destination and interface (${
      family === "4" ? "0.0.0.0" : "dual-stack ::"
    })`,
    async () => {
      const targets = family === "4"
        ? ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.1.2.3"]
        : ["127.0.0.1", "127.0.0.4", "::1"];
      const py = await python(family, targets.length);
      using conn = listenDatagram({ hostname: family === "4" ? "0.0.0.0" : "::" });
      const tx4 = await Sender.open("udp4");
      const tx6 = await Sender.open("udp6");
      try {
        const ours = [];
        for (const to of targets) {
          const tx = to.includes(":") ? tx6 : tx4;
          await tx.send(`to ${to}`, to, py.port);
          await tx.send(`to ${to}`, to, conn.addr.port);
          ours.push(await conn.receiveMsg({ signal: AbortSignal.timeout(5000) }));
        }
        const theirs = await py.messages;
        assert.equal(theirs.length, targets.length);
        for (const [i, to] of targets.entries()) {
          assert.equal(theirs[i].data, `to ${to}`);
          assert.equal(new TextDecoder().decode(ours[i].data), `to ${to}`);
          assert.equal(ours[i].localAddr?.hostname, unmapped(theirs[i].local), `destination of datagram ${i}`);
          assert.equal(ours[i].localAddr?.hostname, to);
          assert.equal(ours[i].localAddr?.interfaceIndex, theirs[i].ifindex, `interface of datagram ${i}`);
          assert.equal(ours[i].remoteAddr.hostname, unmapped(theirs[i].remote));
        }
      } finally {
        await tx4.close();
        await tx6.close();
      }
    },
    { windows: false },
  );
}
