// dontFragment on a link whose MTU is 1280: a larger datagram fails with EMSGSIZE instead of being
// fragmented; without the option it is fragmented and arrives whole. And sendBufferSize.
import assert from "node:assert/strict";
import { listenDatagram, SocketError } from "../../mod.ts";
import { runtime, test } from "./harness.ts";
import { netnsUnavailable, TestNet } from "./netns.ts";

test(`dontFragment (${runtime}): a 1,400-byte datagram on a 1,280-byte MTU link fails with EMSGSIZE; without it, it arrives`, async () => {
  using net = new TestNet("df");
  const a = net.ns("a");
  const b = net.ns("b");
  net.link(a, "rmdfa", b, "rmdfb");
  net.exec(a, "ip", "link", "set", "rmdfa", "mtu", "1280");
  net.exec(b, "ip", "link", "set", "rmdfb", "mtu", "1280");
  net.addr(a, "rmdfa", "198.18.11.1/24");
  net.addr(b, "rmdfb", "198.18.11.2/24");
  using rx = net.within(b, () => listenDatagram({ hostname: "0.0.0.0" }));
  using df = net.within(a, () => listenDatagram({ hostname: "0.0.0.0", dontFragment: true, sendBufferSize: 1 << 18 }));
  using plain = net.within(a, () => listenDatagram({ hostname: "0.0.0.0" }));
  const big = new Uint8Array(1400).fill(7);
  const to = { hostname: "198.18.11.2", port: rx.addr.port };
  await assert.rejects(df.sendMsg(big, to), (e: Error) => e instanceof SocketError && e.code === "EMSGSIZE" && /too large/.test(e.message));
  assert.equal(await df.sendMsg(big.subarray(0, 1200), to), 1200, "a datagram that fits goes");
  assert.equal((await rx.receiveMsg({ signal: AbortSignal.timeout(5000) })).data.length, 1200);
  assert.equal(await plain.sendMsg(big, to), 1400);
  const m = await rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
  assert.equal(m.data.length, 1400, "fragmented and reassembled");
  df.setDontFragment(false);
  assert.equal(await df.sendMsg(big, to), 1400, "turned off again");
  assert.throws(() => df.setSendBufferSize(0), (e: Error) => e instanceof RangeError && /setSendBufferSize: bytes/.test(e.message));
}, { windows: false, skip: netnsUnavailable() });
