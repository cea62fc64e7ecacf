// Options as Deno.listenDatagram takes them (transport, loopback, broadcast on by default), unknown options
// refused with a TypeError naming them (open, receive and send), `port: "53"` a TypeError, and wrapSocket taking
// a number (issue 20, sections 2 and 3). Every refusal comes before any system call.
import assert from "node:assert/strict";
import { connectDatagram, listenDatagram, wrapSocket } from "../../mod.ts";
import { LIBC } from "../../ffi/tables/libc.ts";
import { native } from "../../ffi/native.ts";
import { posixStats } from "../../ffi/posix/posix.ts";
import { winsockStats } from "../../ffi/winsock/winsock.ts";
import * as S from "../../structs/mod.ts";
import * as rawPosix from "./raw_posix.ts";
import * as rawWin from "./raw_winsock.ts";
import { onWindows, runtime, test } from "./harness.ts";

const { rawSocket } = onWindows ? rawWin : rawPosix;
// Socket-level and IPv4 option numbers of this system (Winsock's, or Linux's).
const SOL_SOCKET = onWindows ? S.SOL_SOCKET : S.LINUX.SOL_SOCKET;
const SO_BROADCAST = onWindows ? S.SO_BROADCAST : S.LINUX.SO_BROADCAST;
const IP_MULTICAST_LOOP = onWindows ? S.IP_MULTICAST_LOOP : S.LINUX.IP_MULTICAST_LOOP;

let libc: ReturnType<typeof openLibc> | undefined;
function openLibc() {
  return native.open("libc.so.6", LIBC);
}
/** getsockopt with an int value, read past the module: what the socket really has. */
function intOption(handle: bigint, level: number, name: number): number {
  if (onWindows) return rawWin.getIntOption(handle, level, name);
  libc ??= openLibc();
  const v = new Uint8Array(new ArrayBuffer(128));
  const dv = new DataView(v.buffer);
  dv.setUint32(8, 4, true);
  assert.equal(libc.getsockopt(Number(handle), level, name, v.subarray(0, 4), v.subarray(8, 12)), 0);
  return dv.getInt32(0, true);
}
const opened = () => onWindows ? winsockStats().startups : posixStats().open;
const named = (re: RegExp, type: ErrorConstructor = TypeError) => (e: Error) => {
  assert.ok(e instanceof type, `${e.constructor.name}: ${e.message}`);
  assert.match(e.message, re);
  return true;
};

test(`options (${runtime}): transport "udp" is taken, any other transport is a TypeError`, () => {
  using conn = listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  assert.equal(conn.addr.transport, "udp");
  const before = opened();
  for (const transport of ["tcp", "unixpacket", 17, null]) {
    assert.throws(
      () => listenDatagram({ transport: transport as "udp", hostname: "127.0.0.1" }),
      named(/^listenDatagram: transport must be "udp"/),
    );
  }
  assert.equal(opened(), before, "no socket was opened");
});

test(`options (${runtime}): loopback (Deno's name) sets IP_MULTICAST_LOOP; multicastLoopback must agree`, () => {
  for (const loopback of [false, true]) {
    using conn = listenDatagram({ hostname: "127.0.0.1", loopback });
    assert.equal(intOption(conn.rawHandle, S.IPPROTO_IP, IP_MULTICAST_LOOP), loopback ? 1 : 0, `loopback ${loopback}`);
  }
  {
    using same = listenDatagram({ hostname: "127.0.0.1", loopback: false, multicastLoopback: false });
    assert.equal(intOption(same.rawHandle, S.IPPROTO_IP, IP_MULTICAST_LOOP), 0);
  }
  const before = opened();
  assert.throws(
    () => listenDatagram({ hostname: "127.0.0.1", loopback: true, multicastLoopback: false }),
    named(/^listenDatagram: loopback \(Deno's name\) and multicastLoopback are the same switch/),
  );
  assert.throws(
    () => listenDatagram({ hostname: "127.0.0.1", loopback: "yes" as unknown as boolean }),
    named(/^listenDatagram: loopback must be a boolean/),
  );
  assert.equal(opened(), before, "no socket was opened");
});

test(`options (${runtime}): broadcast sending is on by default, as Deno has it; broadcast: false turns it off`, async () => {
  {
    using conn = listenDatagram({ hostname: "127.0.0.1" });
    assert.notEqual(intOption(conn.rawHandle, SOL_SOCKET, SO_BROADCAST), 0, "SO_BROADCAST on by default");
  }
  {
    using off = listenDatagram({ hostname: "127.0.0.1", broadcast: false });
    assert.equal(intOption(off.rawHandle, SOL_SOCKET, SO_BROADCAST), 0, "broadcast: false");
  }
  {
    using off = connectDatagram({ hostname: "127.0.0.1", port: 9, broadcast: false });
    assert.equal(intOption(off.rawHandle, SOL_SOCKET, SO_BROADCAST), 0, "connectDatagram passes it on");
  }
  // And it works: a datagram to loopback's broadcast address leaves a default socket (Linux refuses it without
  // SO_BROADCAST, EACCES) and arrives.
  using rx = listenDatagram({ hostname: "0.0.0.0" });
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  await tx.send(new Uint8Array([42]), { hostname: "127.255.255.255", port: rx.addr.port });
  const m = await rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
  assert.deepEqual([...m.data], [42]);
});

test(`options (${runtime}): an unknown option of listenDatagram, connectDatagram or wrapSocket is a TypeError naming it`, () => {
  const before = opened();
  assert.throws(
    () => listenDatagram({ hostname: "127.0.0.1", reuseAddr: true } as never),
    named(/^listenDatagram: unknown option "reuseAddr"; the options are transport, loopback, hostname, port/),
  );
  assert.throws(
    () => connectDatagram({ hostname: "127.0.0.1", port: 9, timeout: 5 } as never),
    named(/^connectDatagram: unknown option "timeout"; .*localAddr/),
  );
  assert.throws(
    () => connectDatagram({ hostname: "127.0.0.1", port: 9, localAddr: { address: "127.0.0.1" } } as never),
    named(/^connectDatagram: localAddr: unknown key "address"; the keys are hostname, port/),
  );
  assert.equal(opened(), before, "no socket was opened");
  const raw = rawSocket(S.AF_INET, S.SOCK_DGRAM, S.IPPROTO_UDP);
  assert.throws(() => wrapSocket(raw, { port: 53 } as never), named(/^wrapSocket: unknown option "port"/));
  using adopted = wrapSocket(raw, { family: "IPv4" }); // refused options left the socket as it was: adopted here
  assert.equal(adopted.rawHandle, raw);
});

test(`options (${runtime}): port "53" is a TypeError, port 70000 a RangeError`, () => {
  assert.throws(
    () => listenDatagram({ port: "53" as unknown as number }),
    named(/^listenDatagram: port must be a number/),
  );
  assert.throws(
    () => listenDatagram({ port: 70000 }),
    named(/^listenDatagram: port must be an integer from 0 to 65535/, RangeError),
  );
  assert.throws(
    () => connectDatagram({ hostname: "127.0.0.1", port: 9, localAddr: { port: "0" as unknown as number } }),
    named(/^connectDatagram: localAddr\.port must be a number/),
  );
});

test(`options (${runtime}): wrapSocket takes a number handle as the README says (a bigint too)`, async () => {
  const raw = rawSocket(S.AF_INET, S.SOCK_DGRAM, S.IPPROTO_UDP);
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  using rx0 = listenDatagram({ hostname: "127.0.0.1" });
  let port = rx0.addr.port;
  rx0.close(); // a free port for the adopted socket to bind
  if (onWindows) port = rawWin.bindRaw(raw, "127.0.0.1", 0); // returns the port bound
  else {
    libc ??= openLibc();
    const sa = new Uint8Array(new ArrayBuffer(128)).subarray(0, 16);
    const dv = new DataView(sa.buffer, sa.byteOffset);
    dv.setUint16(0, 2, true); // AF_INET
    dv.setUint16(2, port, false);
    sa.set([127, 0, 0, 1], 4);
    assert.equal(libc.bind(Number(raw), sa, 16), 0);
  }
  using conn = wrapSocket(Number(raw), { packetInfo: true });
  assert.equal(conn.rawHandle, raw);
  await tx.send(new Uint8Array([7]), { hostname: "127.0.0.1", port });
  const m = await conn.receiveMsg({ signal: AbortSignal.timeout(5000) });
  assert.deepEqual([...m.data], [7]);
  assert.equal(m.localAddr?.hostname, "127.0.0.1");
});

test(`options (${runtime}): unknown receive and send options are TypeErrors naming them; nothing is sent or taken`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  await assert.rejects(
    rx.receiveMsg({ sginal: AbortSignal.timeout(10) } as never),
    named(/^receiveMsg: unknown option "sginal"; the options are buffer, peek, flags, signal, controlSize, reuse/),
  );
  assert.throws(() => rx.tryReceiveMsg({ bufer: new Uint8Array(9) } as never), named(/unknown option "bufer"/));
  await assert.rejects(rx.receiveMsgs(2, { peek: true } as never), named(/^receiveMsgs: unknown option "peek"/));
  assert.throws(() => rx.tryReceiveMsgs(2, { flags: 2 } as never), named(/^tryReceiveMsgs: unknown option "flags"/));
  await assert.rejects(
    tx.sendMsg(new Uint8Array([1]), rx.addr, { ttl: 3 } as never),
    named(/^sendMsg: unknown option "ttl"; the options are localAddr, hopLimit, ecn, dscp, segmentSize, signal/),
  );
  assert.throws(() => tx.trySendMsg(new Uint8Array([1]), rx.addr, { tos: 1 } as never), named(/unknown option "tos"/));
  const messages = [{ data: new Uint8Array([1]), remoteAddr: rx.addr }, {
    data: new Uint8Array([2]),
    remoteAddr: rx.addr,
    signal: AbortSignal.timeout(10),
  }];
  await assert.rejects(tx.sendMsgs(messages as never), named(/^sendMsgs: messages\[1\]: unknown key "signal"/));
  assert.equal(rx.tryReceiveMsg(), null, "nothing was sent");
  // A received message is sent on as it is: its other fields are what it reports, not options.
  await tx.send(new Uint8Array([3]), rx.addr);
  const got = await rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
  assert.deepEqual(await rx.sendMsgs([{ data: got.data, remoteAddr: got.remoteAddr }, got as never]), {
    sent: 2,
    error: null,
  });
  const back = await tx.receiveMsgs(2, { signal: AbortSignal.timeout(5000) });
  assert.ok(back.length >= 1);
});
