// Multicast on Windows, under Wine, on the multi-homed namespace network: the wineserver makes the
// sockets, so it is stopped and started again inside the server namespace. Driven from the Linux suite
// (Linux Deno drives Windows Deno, Linux Bun drives Windows Bun), never from inside Wine.
import assert from "node:assert/strict";
import { listenDatagram } from "../../mod.ts";
import { child, runtime, sleep, test } from "./harness.ts";
import { ADDR, multiHomed } from "./multihomed.ts";
import { wineInNamespace } from "./netns.ts";

const enc = (s: string) => new TextEncoder().encode(s);

test(
  `Windows ${
    runtime === "deno" ? "Deno" : runtime === "node" ? "Node" : "Bun"
  } under Wine: IPv4 and IPv6 membership on one link, multicast derived (Wine sets no MSG_MCAST), leave, interfaces()`,
  async () => {
    const h = multiHomed("w");
    using _net = h.net;
    const port = 40000 + (Date.now() % 20000);
    wineInNamespace.stop();
    const member = child([
      ...h.net.run(h.server),
      ...wineInNamespace.argv(runtime),
      "tests/runtime/fixtures/mcast_member.ts",
      String(h.indexA),
      String(port),
    ], 120_000);
    try {
      const lines: string[] = [];
      for await (const l of member.lines) {
        lines.push(l.trim());
        if (l.trim() === "ready") break;
      }
      // (The fixture's stderr only when it did not start: awaiting its end otherwise would wait out its life.)
      if (lines.at(-1) !== "ready") assert.fail(`the Windows member did not start: ${(await member.done).stderr}`);
      const ifs = JSON.parse(lines.find((l) => l.startsWith("interfaces "))!.slice(11)) as {
        index: number;
        name: string;
        addresses: { address: string; prefixLength: number }[];
      }[];
      const ifA = ifs.find((i) => i.index === h.indexA);
      assert.ok(
        ifA,
        `GetAdaptersAddresses lists interface ${h.indexA}: ${JSON.stringify(ifs.map((i) => [i.index, i.name]))}`,
      );
      assert.ok(
        ifA.addresses.some((a) => a.address === ADDR.serverAlias && a.prefixLength === 24),
        JSON.stringify(ifA.addresses),
      );
      using a = h.net.within(h.clientA, () => listenDatagram({ hostname: "::", multicastInterface: h.clientIndexA }));
      using b = h.net.within(h.clientB, () => listenDatagram({ hostname: "::", multicastInterface: h.clientIndexB }));
      const to4 = { hostname: "224.0.0.251", port };
      await a.send(enc("one"), to4);
      await b.send(enc("two"), to4);
      await a.send(enc("v6"), { hostname: `ff02::fb%${h.clientIndexA}`, port });
      await sleep(300);
      await a.send(enc("leave"), { hostname: ADDR.serverA, port });
      await sleep(300);
      await a.send(enc("after"), to4);
      await sleep(300);
      // And a send to the group out the chosen interface reaches a member on that link.
      using listener = h.net.within(h.clientA, () => listenDatagram({ hostname: "0.0.0.0", port: 0 }));
      using _j = listener.joinMulticast("224.0.0.251", { interfaceIndex: h.clientIndexA });
      await a.send(enc(`send ${listener.addr.port}`), { hostname: ADDR.serverA, port });
      const listenerPort = listener.addr.port;
      const out = await listener.receiveMsg({ signal: AbortSignal.timeout(10_000) }).catch(async (e) => {
        member.kill();
        const d = await member.done;
        throw new Error(
          `no datagram from the Windows member (${e.name}); it printed: ${
            d.stdout.split("\n").filter((l) => l.startsWith("{")).join(" ")
          } ${d.stderr.split("\n").filter((l) => !/mismatch/.test(l)).slice(-5).join(" ")}`,
        );
      });
      assert.equal(new TextDecoder().decode(out.data), "from windows");
      assert.equal(out.remoteAddr.hostname, ADDR.serverA, "it left by link A");
      await a.send(enc("stop"), { hostname: ADDR.serverA, port });
      const done = await member.done;
      assert.equal(done.code, 0, done.stderr.split("\n").filter((l) => !/directory mismatch/.test(l)).join("\n"));
      const got = done.stdout.split(/\r?\n/).filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
      assert.deepEqual(
        got.map((g) => g.text),
        ["one", "v6", "leave", `send ${listenerPort}`, "stop"],
        "B's datagram (not joined there) and the one after leave() did not arrive",
      );
      assert.deepEqual([got[0].multicast, got[0].local, got[0].index], [true, "224.0.0.251", h.indexA]);
      assert.equal(got[0].flags & 0x800, 0, "Wine sets no MSG_MCAST: multicast was derived");
      assert.deepEqual([got[1].multicast, got[1].local], [true, `ff02::fb%${h.indexA}`]);
      assert.equal(got[2].multicast, false);
    } finally {
      member.kill();
      wineInNamespace.stop();
    }
  },
  { windows: false, skip: wineInNamespace.unavailable(runtime), timeout: 180_000 },
);
