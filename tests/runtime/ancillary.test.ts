// The control-message decoder the receive path uses, on hand-built buffers: what Windows reports and
// Wine cannot produce (IP_HOPLIMIT as Windows sends it, ECN, UDP coalescing), and what Wine sends
// instead. Pure code: runs on all four runtimes.
import assert from "node:assert/strict";
import {
  AncillaryDecoder,
  buildControlMessages,
  type ControlMessage,
  ControlMessageError,
  IP_ECN,
  IP_HOPLIMIT,
  IP_PKTINFO,
  IP_TOS,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_UDP,
  IPV6_ECN,
  IPV6_HOPLIMIT,
  IPV6_PKTINFO,
  parseIPv6,
  UDP_COALESCED_INFO,
  WSA_CMSG_LEN,
} from "../../structs/mod.ts";
import { onWindows, runtime, test, underWine } from "./harness.ts";

const int32 = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
};
const in6 = (addr: string, ifindex: number) => {
  const b = new Uint8Array(20);
  b.set(parseIPv6(addr)!.bytes);
  new DataView(b.buffer).setUint32(16, ifindex, true);
  return b;
};
const decode = (msgs: ControlMessage[]) => {
  const buf = buildControlMessages(msgs);
  return new AncillaryDecoder().decode(buf, buf.length);
};

test(`hand-built buffer (${runtime}): Windows' IP_HOPLIMIT and IPV6_HOPLIMIT records give hopLimit`, () => {
  assert.equal(decode([{ level: IPPROTO_IP, type: IP_HOPLIMIT, data: int32(128) }]).hopLimit, 128);
  assert.equal(decode([{ level: IPPROTO_IPV6, type: IPV6_HOPLIMIT, data: int32(255) }]).hopLimit, 255);
});

test(`hand-built buffer (${runtime}): Wine's IP_TTL (one byte in four) and IP_TOS records give hopLimit and ECN`, () => {
  const d = decode([
    { level: IPPROTO_IP, type: IP_PKTINFO, data: new Uint8Array([127, 0, 0, 9, 1, 0, 0, 0]) },
    { level: IPPROTO_IP, type: IP_TTL, data: new Uint8Array([64, 0, 0, 0]) },
    { level: IPPROTO_IP, type: IP_TOS, data: new Uint8Array([0b10111010, 0, 0, 0]) },
  ]);
  assert.deepEqual(d.local4, { hostname: "127.0.0.9", interfaceIndex: 1 });
  assert.equal(d.hopLimit, 64);
  assert.equal(d.ecn, 0b10);
  assert.equal(d.control.length, 3);
});

test(`hand-built buffer (${runtime}): IP_ECN and IPV6_ECN records give the ECN codepoint`, () => {
  assert.equal(decode([{ level: IPPROTO_IP, type: IP_ECN, data: int32(3) }]).ecn, 3);
  assert.equal(decode([{ level: IPPROTO_IPV6, type: IPV6_ECN, data: int32(1) }]).ecn, 1);
});

test(`hand-built buffer (${runtime}): UDP_COALESCED_INFO gives the segment size of a coalesced receive`, () => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, 1200, true);
  assert.equal(decode([{ level: IPPROTO_UDP, type: UDP_COALESCED_INFO, data: b }]).coalescedSegmentSize, 1200);
});

test(`hand-built buffer (${runtime}): dual-stack records, v4-mapped IPV6_PKTINFO in plain IPv4 form, unknown records kept raw`, () => {
  const d = decode([
    { level: IPPROTO_IPV6, type: IPV6_PKTINFO, data: in6("::ffff:127.0.0.5", 1) },
    { level: IPPROTO_IP, type: IP_PKTINFO, data: new Uint8Array([127, 0, 0, 5, 1, 0, 0, 0]) },
    { level: 999, type: 7, data: new Uint8Array([1, 2, 3]) },
  ]);
  assert.deepEqual(d.local6, { hostname: "127.0.0.5", interfaceIndex: 1 });
  assert.deepEqual(d.local4, { hostname: "127.0.0.5", interfaceIndex: 1 });
  assert.deepEqual(d.control[2], { level: 999, type: 7, data: new Uint8Array([1, 2, 3]) });
  const six = decode([{ level: IPPROTO_IPV6, type: IPV6_PKTINFO, data: in6("fe80::1", 7) }]);
  assert.deepEqual(
    six.local6,
    { hostname: "fe80::1%7", interfaceIndex: 7 },
    "a link-local destination carries its zone",
  );
});

test(`hand-built buffer (${runtime}): the last record may end at cmsg_len, without padding, as Control.len reports`, () => {
  const buf = buildControlMessages([{ level: IPPROTO_IPV6, type: IPV6_PKTINFO, data: in6("::1", 1) }]);
  const d = new AncillaryDecoder().decode(buf, WSA_CMSG_LEN(20));
  assert.deepEqual(d.local6, { hostname: "::1", interfaceIndex: 1 });
  assert.equal(d.error, null);
});

test(`hand-built buffer (${runtime}): a malformed header keeps what came before it and reports a typed error`, () => {
  const good = buildControlMessages([{
    level: IPPROTO_IP,
    type: IP_PKTINFO,
    data: new Uint8Array([10, 0, 0, 1, 2, 0, 0, 0]),
  }]);
  const buf = new Uint8Array(good.length + 16);
  buf.set(good);
  new DataView(buf.buffer).setBigUint64(good.length, 4n, true); // cmsg_len below the header size
  const d = new AncillaryDecoder().decode(buf, buf.length);
  assert.deepEqual(d.local4, { hostname: "10.0.0.1", interfaceIndex: 2 });
  assert.ok(d.error instanceof ControlMessageError);
  assert.equal(d.error.reason, "short");
});

test(`hand-built buffer (${runtime}): decoding copies the data out, so reusing the buffer cannot change a message`, () => {
  const buf = buildControlMessages([{ level: IPPROTO_IP, type: 77, data: new Uint8Array([5, 6]) }]);
  const dec = new AncillaryDecoder();
  const first = dec.decode(buf, buf.length).control[0];
  buf.fill(0);
  assert.deepEqual([...first.data], [5, 6]);
});

test(`per-datagram ECN and DSCP on send (${runtime}): each datagram carries its own codepoint (Wine drops send control data)`, async () => {
  const { listenDatagram } = await import("../../mod.ts");
  using rx = listenDatagram({ hostname: "127.0.0.1", ecn: true });
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  for (const ecn of [0, 1, 2, 3] as const) {
    await tx.sendMsg(new Uint8Array([ecn]), rx.addr, onWindows ? { ecn } : { ecn, dscp: 46 });
    const m = await rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
    if (underWine) {
      assert.equal(m.ecn, undefined, "Wine neither sends nor reports ECN");
      continue;
    }
    assert.equal(m.ecn, ecn);
    // Linux reports the whole TOS byte (IP_TOS record): DSCP EF (46) above the codepoint.
    if (!onWindows) assert.equal(m.control.find((c) => c.type === 1 && c.level === 0)?.data[0], (46 << 2) | ecn);
  }
  await assert.rejects(
    // @ts-expect-error: ecn is typed 0 | 1 | 2 | 3; a JavaScript caller can still pass 4
    tx.sendMsg(new Uint8Array(1), rx.addr, { ecn: 4 }),
    (e: Error) => e instanceof RangeError && /ecn must be an ECN codepoint/.test(e.message),
  );
  await assert.rejects(
    tx.sendMsg(new Uint8Array(1), rx.addr, { dscp: 64 }),
    (e: Error) => e instanceof RangeError && /dscp must be an integer from 0 to 63/.test(e.message),
  );
  // Where the backend's capabilities say a send cannot carry its own DSCP (Windows), asking is a TypeError.
  if (onWindows) {
    await assert.rejects(
      tx.sendMsg(new Uint8Array(1), rx.addr, { dscp: 46 }),
      (e: Error) => e instanceof TypeError && /sendMsg: dscp cannot be set per datagram/.test(e.message),
    );
  }
});

test(`timestamps (${runtime}): the kernel's receive time in nanoseconds since the epoch (Linux, macOS); absent on Windows`, async () => {
  const { listenDatagram } = await import("../../mod.ts");
  using rx = listenDatagram({ hostname: "127.0.0.1", timestamps: true });
  using plain = listenDatagram({ hostname: "127.0.0.1" });
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  const before = BigInt(Date.now()) * 1_000_000n;
  await tx.send(new Uint8Array(1), rx.addr);
  await tx.send(new Uint8Array(2), rx.addr);
  await tx.send(new Uint8Array(1), plain.addr);
  const a = await rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
  const b = await rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
  const after = BigInt(Date.now()) * 1_000_000n;
  assert.equal((await plain.receiveMsg({ signal: AbortSignal.timeout(5000) })).timestamp, undefined);
  if (onWindows) {
    assert.equal(a.timestamp, undefined, "Windows' SO_TIMESTAMP counts performance-counter ticks: not reported");
    return;
  }
  assert.equal(typeof a.timestamp, "bigint");
  // The kernel stamps on arrival: between the clock readings around the sends (1 ms of slack each way).
  assert.ok(
    a.timestamp! >= before - 1_000_000n && a.timestamp! <= after + 1_000_000n,
    `${before} <= ${a.timestamp} <= ${after}`,
  );
  assert.ok(b.timestamp! >= a.timestamp!, "in arrival order");
});
