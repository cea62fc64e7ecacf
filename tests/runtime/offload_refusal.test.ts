// Issue 19 #2, the backend's side (the BackendSocket contract, ffi/common/backend.ts): segmentation
// offload is turned off only by a refusal of the system. A segment larger than the path allows goes as
// a batch this once (send answers SEGMENTS_AS_BATCH) and offload stays on; EINVAL where the destination
// and size are valid (UDP checksums off, as a driver without the offload answers) turns it off for good.
// Loopback in a namespace of its own, its MTU set to 1500 as on an Ethernet LAN.
import assert from "node:assert/strict";
import { type OpenOptions, SEGMENTS_AS_BATCH } from "../../ffi/common/backend.ts";
import { posix } from "../../ffi/posix/posix.ts";
import { listenDatagram } from "../../mod.ts";
import { runtime, sleep, test } from "./harness.ts";
import { netnsUnavailable, TestNet } from "./netns.ts";
import { setIntOption } from "./raw_posix.ts";

const bulk = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 13) % 251);
const OPEN: OpenOptions = {
  hostname: "127.0.0.1",
  port: 0,
  ipv6Only: false,
  packetInfo: true,
  hopLimit: false,
  reuseAddress: false,
  reportUnreachable: false,
  reusePort: false,
  broadcast: false,
  ecn: false,
  timestamps: false,
  coalesce: false,
  readAhead: 0,
  receiveErrors: false,
  protocol: 17,
};

test(
  `offload (${runtime}): a segment over the path MTU goes as a batch this once, offload stays on; a refusal turns it off`,
  async () => {
    using net = new TestNet("o");
    const ns = net.ns("a");
    net.exec(ns, "ip", "link", "set", "lo", "mtu", "1500");
    const tx = net.within(ns, () => posix.open(OPEN));
    using rx = net.within(ns, () => listenDatagram({ hostname: "127.0.0.1", coalesce: true }));
    try {
      assert.equal(tx.capabilities.segmentOffload, true);
      assert.equal(tx.capabilities.maxSegments, 64);
      // 1,600-byte segments do not fit a 1,500-byte path: nothing is sent, the caller sends a batch.
      assert.equal(tx.send({ data: bulk(3200), to: rx.addr, segmentSize: 1600 }), SEGMENTS_AS_BATCH);
      assert.equal(tx.capabilities.segmentOffload, true, "this send's alone");
      // Segments that fit still go as one send the kernel cuts: a coalescing receiver gets them whole.
      const data = bulk(5000);
      assert.equal(tx.send({ data, to: rx.addr, segmentSize: 1000 }), 5000);
      await sleep(30);
      const got = [];
      for (let m = rx.tryReceiveMsg(); m; m = rx.tryReceiveMsg()) got.push(m);
      assert.equal(got.length, 1, "one GSO send, kept whole by GRO");
      assert.equal(got[0].segmentSize, 1000);
      assert.deepEqual(got[0].data, data);
      // A segment larger than any datagram is the caller's error, and changes nothing.
      assert.throws(
        () => tx.send({ data: bulk(65_535), to: rx.addr, segmentSize: 65_520 }),
        (e: Error & { code?: string }) => e.code === "EMSGSIZE",
      );
      assert.equal(tx.capabilities.segmentOffload, true);
      // UDP checksums off: the kernel refuses the offload (EINVAL) for a valid send; learned for good.
      setIntOption(tx.handle, 1, 11, 1); // SOL_SOCKET, SO_NO_CHECK
      assert.equal(tx.send({ data, to: rx.addr, segmentSize: 1000 }), SEGMENTS_AS_BATCH);
      assert.equal(tx.capabilities.segmentOffload, false);
    } finally {
      tx.close();
    }
  },
  { windows: false, skip: netnsUnavailable() ?? undefined, timeout: 30_000 },
);

test(
  `offload (${runtime}): the connection sends a segmented buffer the system will not cut as its segments, and keeps offloading`,
  async () => {
    using net = new TestNet("p");
    const ns = net.ns("a");
    net.exec(ns, "ip", "link", "set", "lo", "mtu", "1500");
    using tx = net.within(ns, () => listenDatagram({ hostname: "127.0.0.1" }));
    using rx = net.within(ns, () => listenDatagram({ hostname: "127.0.0.1", coalesce: true }));
    // 1,600-byte segments do not fit the path: the backend answers SEGMENTS_AS_BATCH, the connection
    // sends the two segments as datagrams of their own (fragmented on the way), and reports every byte.
    const big = bulk(3200);
    assert.equal(await tx.sendMsg(big, rx.addr, { segmentSize: 1600 }), 3200);
    assert.equal(tx.trySendMsg(big, rx.addr, { segmentSize: 1600 }), 3200);
    // Segments that fit still go as one send the kernel cuts: a coalescing receiver gets them whole.
    const small = bulk(5000);
    assert.equal(await tx.sendMsg(small, rx.addr, { segmentSize: 1000 }), 5000);
    const got = [];
    for (let i = 0; i < 5; i++) got.push(await rx.receiveMsg());
    assert.deepEqual(got.map((m) => m.data.length), [1600, 1600, 1600, 1600, 5000]);
    for (let i = 0; i < 4; i++) assert.deepEqual(got[i].data, big.subarray((i % 2) * 1600, (i % 2 + 1) * 1600));
    assert.equal(got[4].segmentSize, 1000, "the last went as one GSO send, kept whole by GRO");
    assert.deepEqual(got[4].data, small);
  },
  { windows: false, skip: netnsUnavailable() ?? undefined, timeout: 30_000 },
);
