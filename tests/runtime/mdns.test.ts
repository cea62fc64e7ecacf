// examples/mdns_responder.ts on the multi-homed network: a client on each link asks for NAME.local and
// must get the addresses of its own link (RFC 6762 §15), answered out that link; by legacy unicast and
// by multicast, A and AAAA.
import assert from "node:assert/strict";
import { listenDatagram } from "../../mod.ts";
import { child, runtime, runtimeArgv, test } from "./harness.ts";
import { ADDR, multiHomed } from "./multihomed.ts";
import { netnsUnavailable } from "./netns.ts";

const why = netnsUnavailable();

function query(id: number, name: string, type: number): Uint8Array {
  const parts = [id >> 8, id & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
  for (const l of name.split(".")) parts.push(l.length, ...new TextEncoder().encode(l));
  parts.push(0, type >> 8, type & 0xff, 0, 1);
  return new Uint8Array(parts);
}

/** The addresses in a response's answers (A and AAAA), as text. */
function answers(msg: Uint8Array): { id: number; addresses: string[] } {
  const dv = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  let at = 12;
  const skipName = () => {
    while (msg[at] !== 0) {
      if ((msg[at] & 0xc0) === 0xc0) return void (at += 2);
      at += 1 + msg[at];
    }
    at++;
  };
  for (let q = 0; q < dv.getUint16(4); q++) {
    skipName();
    at += 4;
  }
  const out: string[] = [];
  for (let a = 0; a < dv.getUint16(6); a++) {
    skipName();
    const type = dv.getUint16(at);
    const len = dv.getUint16(at + 8);
    const data = msg.subarray(at + 10, at + 10 + len);
    at += 10 + len;
    if (type === 1) out.push(Array.from(data).join("."));
    if (type === 28) {
      out.push(Array.from({ length: 8 }, (_, i) => ((data[2 * i] << 8) | data[2 * i + 1]).toString(16)).join(":"));
    }
  }
  return { id: dv.getUint16(0), addresses: out.sort() };
}

const compact = (a: string) => a.replace(/(^|:)0(:0)+(:|$)/, "::").replace(/:{3,}/, "::");

test(
  `mDNS responder example (${runtime}): each link's client gets its own link's addresses, by legacy unicast and by multicast, A and AAAA`,
  async () => {
    const h = multiHomed("d");
    using _net = h.net;
    const responder = child([...h.net.run(h.server), ...runtimeArgv("examples/mdns_responder.ts"), "myhost"], 30_000);
    try {
      assert.equal((await responder.lines.next()).value, "ready");
      for (
        const [ns, ifIndex, from, expect4, expect6] of [
          [h.clientA, h.clientIndexA, ADDR.clientA, [ADDR.serverA, ADDR.serverAlias], ADDR.serverA6],
          [h.clientB, h.clientIndexB, ADDR.clientB, [ADDR.serverB], ADDR.serverB6],
        ] as const
      ) {
        // Legacy unicast: a query from an ephemeral port is answered to that port, with the query's id.
        using asker = h.net.within(ns, () => listenDatagram({ hostname: from, multicastInterface: ifIndex }));
        await asker.send(query(0x1234, "myhost.local", 1), { hostname: "224.0.0.251", port: 5353 });
        const r4 = await asker.receiveMsg({ signal: AbortSignal.timeout(5000) });
        assert.deepEqual(
          answers(r4.data),
          { id: 0x1234, addresses: [...expect4].sort() },
          `A answers on ${from}'s link`,
        );
        // AAAA over IPv6, to ff02::fb on the client's own link.
        using asker6 = h.net.within(
          ns,
          () => listenDatagram({ hostname: "::", ipv6Only: true, multicastInterface: ifIndex }),
        );
        await asker6.send(query(0x66, "MyHost.local", 28), { hostname: `ff02::fb%${ifIndex}`, port: 5353 });
        const r6 = await asker6.receiveMsg({ signal: AbortSignal.timeout(5000) });
        const six = answers(r6.data).addresses.map(compact);
        assert.ok(six.includes(expect6), `AAAA of ${from}'s link: ${six}`);
        assert.ok(!six.includes(expect6 === ADDR.serverA6 ? ADDR.serverB6 : ADDR.serverA6), "not the other link's");
        // A multicast query from port 5353 is answered to the group, out the same link.
        using member = h.net.within(
          ns,
          () =>
            listenDatagram({
              hostname: "0.0.0.0",
              port: 5353,
              reusePort: true,
              multicastInterface: ifIndex,
              multicastLoopback: false,
            }),
        );
        using _j = member.joinMulticast("224.0.0.251", { interfaceIndex: ifIndex });
        await member.send(query(0, "myhost.local", 1), { hostname: "224.0.0.251", port: 5353 });
        const m = await member.receiveMsg({ signal: AbortSignal.timeout(5000) });
        assert.equal(m.multicast, true);
        assert.equal(m.localAddr?.hostname, "224.0.0.251");
        assert.deepEqual(
          answers(m.data).addresses,
          [...expect4].sort(),
          "the group answer carries this link's addresses",
        );
      }
    } finally {
      responder.kill();
    }
  },
  { windows: false, skip: why, timeout: 60_000 },
);
