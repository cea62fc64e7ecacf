// dontFragment on a link whose MTU is 1280: a larger datagram fails with EMSGSIZE instead of being
// fragmented; without the option it is fragmented and arrives whole. And sendBufferSize.
import assert from "node:assert/strict";
import { listenDatagram, SocketError } from "../../mod.ts";
import { runtime, test } from "./harness.ts";
import { netnsUnavailable, TestNet } from "./netns.ts";

test(
  `dontFragment (${runtime}): a 1,400-byte datagram on a 1,280-byte MTU link fails with EMSGSIZE; without it, it arrives`,
  async () => {
    using net = new TestNet("df");
    const a = net.ns("a");
    const b = net.ns("b");
    net.link(a, "rmdfa", b, "rmdfb");
    net.exec(a, "ip", "link", "set", "rmdfa", "mtu", "1280");
    net.exec(b, "ip", "link", "set", "rmdfb", "mtu", "1280");
    net.addr(a, "rmdfa", "198.18.11.1/24");
    net.addr(b, "rmdfb", "198.18.11.2/24");
    using rx = net.within(b, () => listenDatagram({ hostname: "0.0.0.0" }));
    using df = net.within(
      a,
      () => listenDatagram({ hostname: "0.0.0.0", dontFragment: true, sendBufferSize: 1 << 18 }),
    );
    using plain = net.within(a, () => listenDatagram({ hostname: "0.0.0.0" }));
    const big = new Uint8Array(1400).fill(7);
    const to = { hostname: "198.18.11.2", port: rx.addr.port };
    // The path is looked up in the calling thread's namespace (a program's own, unless it switches as this test does).
    await assert.rejects(net.within(a, () => df.sendMsg(big, to)), (e: Error) => {
      assert.ok(e instanceof SocketError && e.code === "EMSGSIZE" && /too large/.test(e.message), String(e));
      assert.equal(e.pathMtu, 1280, "the path MTU the kernel knows");
      assert.match(e.message, /the path MTU to 198\.18\.11\.2 is 1280 bytes/);
      return true;
    });
    // A batch names it too, and so does a connected socket (asked directly).
    const r = await net.within(a, () => df.sendMsgs([{ data: big, remoteAddr: to }]));
    assert.equal(r.sent, 0);
    assert.equal((r.error as SocketError).pathMtu, 1280);
    using connected = net.within(a, () => listenDatagram({ hostname: "0.0.0.0", dontFragment: true }));
    connected.connect(to);
    await assert.rejects(
      connected.sendMsg(big),
      (e: SocketError) => e.pathMtu === 1280 && /the path MTU to the peer is 1280 bytes/.test(e.message),
    );
    assert.equal(await df.sendMsg(big.subarray(0, 1200), to), 1200, "a datagram that fits goes");
    assert.equal((await rx.receiveMsg({ signal: AbortSignal.timeout(5000) })).data.length, 1200);
    assert.equal(await plain.sendMsg(big, to), 1400);
    const m = await rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
    assert.equal(m.data.length, 1400, "fragmented and reassembled");
    // IPv6 (IPV6_DONTFRAG): the same, with IPV6_MTU.
    net.exec(a, "ip", "addr", "add", "2001:db8:11::1/64", "dev", "rmdfa", "nodad");
    net.exec(b, "ip", "addr", "add", "2001:db8:11::2/64", "dev", "rmdfb", "nodad");
    using df6 = net.within(a, () => listenDatagram({ hostname: "::", dontFragment: true }));
    await assert.rejects(
      net.within(a, () => df6.sendMsg(big, { hostname: "2001:db8:11::2", port: rx.addr.port })),
      (e: SocketError) => e.code === "EMSGSIZE" && e.pathMtu === 1280,
    );
    df.setDontFragment(false);
    assert.equal(await df.sendMsg(big, to), 1400, "turned off again");
    assert.throws(
      () => df.setSendBufferSize(0),
      (e: Error) => e instanceof RangeError && /setSendBufferSize: bytes/.test(e.message),
    );
  },
  { windows: false, skip: netnsUnavailable() },
);
