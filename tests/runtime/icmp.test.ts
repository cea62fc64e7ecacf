// ICMP sockets (the contract: WSARecvMsg serves "datagram and raw sockets"): a raw ICMP socket (root),
// Linux's unprivileged ICMP datagram ("ping") socket, ICMPv6; an echo request to a local address and
// its reply, with packet info and hop limit, as a ping tool would use them.
import assert from "node:assert/strict";
import { type DatagramConn, type DatagramMessage, listenDatagram } from "../../mod.ts";
import { internetChecksum } from "../../structs/mod.ts";
import { onWindows, runtime, test, underWine } from "./harness.ts";
import { netnsUnavailable, TestNet } from "./netns.ts";

const root = typeof process !== "undefined" && typeof process.getuid === "function" ? process.getuid() === 0 : true;
const needsRoot = onWindows ? undefined : root ? undefined : "a raw socket needs root (CAP_NET_RAW)";
const payload = new TextEncoder().encode("recvmsg ping payload");

/** An ICMP / ICMPv6 echo request; the checksum is filled in for ICMP (the kernel fills ICMPv6's). */
function echoRequest(type: number, id: number, seq: number): Uint8Array {
  const m = new Uint8Array(8 + payload.length);
  m.set([type, 0, 0, 0, id >> 8, id & 0xff, seq >> 8, seq & 0xff]);
  m.set(payload, 8);
  if (type === 8) {
    const sum = internetChecksum(m);
    m[2] = sum >> 8;
    m[3] = sum & 0xff;
  }
  return m;
}

/** Receives until an echo reply (`type`) with sequence `seq` comes: a raw socket sees other ICMP too (our own request, for one). */
async function replyTo(
  conn: DatagramConn,
  type: number,
  seq: number,
): Promise<{ m: DatagramMessage; icmp: Uint8Array }> {
  const signal = AbortSignal.timeout(5000);
  for (let i = 0; i < 50; i++) {
    const m = await conn.receiveMsg({ signal });
    // An IPv4 raw socket gets the IP header first (its length in the low nibble of byte 0, in words).
    const icmp = conn.raw && conn.addr.hostname.includes(".") ? m.data.subarray((m.data[0] & 0x0f) * 4) : m.data;
    if (icmp[0] === type && ((icmp[6] << 8) | icmp[7]) === seq) return { m, icmp };
  }
  throw new Error("no echo reply among 50 ICMP messages");
}

test(
  `ICMP raw socket (${runtime}): an echo request to 127.0.0.2 and its reply, with the IP header, packet info and TTL`,
  async () => {
    using ping = listenDatagram({ protocol: "icmp", raw: true, hopLimit: true });
    assert.equal(ping.raw, true);
    await ping.sendMsg(echoRequest(8, 0x4a21, 7), { hostname: "127.0.0.2", port: 0 });
    const { m, icmp } = await replyTo(ping, 0, 7);
    assert.equal(m.data[0] >> 4, 4, "IPv4 header first");
    assert.deepEqual([m.data[12], m.data[13], m.data[14], m.data[15]], [127, 0, 0, 2], "the header's source");
    assert.equal(m.remoteAddr.hostname, "127.0.0.2");
    assert.equal((icmp[4] << 8) | icmp[5], 0x4a21, "our identifier");
    assert.deepEqual(icmp.subarray(8), payload, "our payload echoed");
    assert.equal(internetChecksum(icmp), 0, "the reply's checksum holds");
    assert.equal(m.localAddr?.hostname, "127.0.0.1", "sent to our address");
    if (!underWine) {
      assert.equal(m.localAddr?.interfaceIndex, 1, "on loopback");
      assert.equal(m.hopLimit, 64);
    }
  },
  { skip: needsRoot },
);

test(
  `ICMPv6 raw socket (${runtime}): an echo request to ::1 and its reply, with packet info and hop limit`,
  async () => {
    if (underWine) {
      // Wine 10 has no raw ICMPv6 socket: the system's refusal, named.
      assert.throws(
        () => listenDatagram({ protocol: "icmpv6", raw: true }),
        (e: Error) => /WSASocketW failed with WSAEPROTONOSUPPORT \(10043\)/.test(e.message),
      );
      return;
    }
    using ping = listenDatagram({ protocol: "icmpv6", raw: true, hopLimit: true });
    assert.equal(ping.addr.hostname, "::", "ICMPv6 binds :: by default");
    await ping.sendMsg(echoRequest(128, 0x4a22, 9), { hostname: "::1", port: 0 });
    const { m, icmp } = await replyTo(ping, 129, 9);
    assert.equal(m.data, icmp, "no IPv6 header: IPv6 raw sockets never carry one");
    assert.deepEqual(icmp.subarray(8), payload);
    assert.equal(m.remoteAddr.hostname, "::1");
    assert.equal(m.localAddr?.hostname, "::1");
    assert.equal(m.hopLimit, 64);
  },
  { skip: needsRoot },
);

test(
  `ICMP datagram ("ping") socket (${runtime}): allowed by ping_group_range, no IP header, the kernel's identifier; unset raw picks it where allowed, else raw`,
  async () => {
    using net = new TestNet("ping");
    const allowed = net.ns("yes");
    const refused = net.ns("no");
    net.exec(allowed, "sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 2147483647");
    net.exec(refused, "sysctl", "-q", "-w", "net.ipv4.ping_group_range=1 0");
    using ping = net.within(allowed, () => listenDatagram({ protocol: "icmp", raw: false, hopLimit: true }));
    assert.equal(ping.raw, false);
    await net.within(allowed, () => ping.sendMsg(echoRequest(8, 0, 3), { hostname: "127.0.0.1", port: 0 }));
    const m = await ping.receiveMsg({ signal: AbortSignal.timeout(5000) });
    assert.equal(m.data[0], 0, "an echo reply, with no IP header before it");
    assert.equal((m.data[6] << 8) | m.data[7], 3, "our sequence number");
    assert.deepEqual(m.data.subarray(8), payload);
    assert.equal(m.remoteAddr.hostname, "127.0.0.1");
    assert.equal(m.localAddr?.hostname, "127.0.0.1");
    assert.equal(m.hopLimit, 64);
    using auto = net.within(allowed, () => listenDatagram({ protocol: "icmp" }));
    assert.equal(auto.raw, false, "the datagram socket where ping_group_range allows it");
    using fallback = net.within(refused, () => listenDatagram({ protocol: "icmp" }));
    assert.equal(fallback.raw, true, "a raw socket where it does not (root has CAP_NET_RAW)");
    assert.throws(
      () => net.within(refused, () => listenDatagram({ protocol: "icmp", raw: false })),
      (e: Error) => /socket failed with EACCES/.test(e.message),
    );
  },
  { windows: false, skip: netnsUnavailable() ?? needsRoot },
);

test(`ICMP options (${runtime}): bad protocol, raw, family and UDP-only options are named before any system call`, () => {
  const bad: [object, RegExp][] = [
    [{ protocol: "tcp" }, /protocol must be "udp", "icmp", "icmpv6" or an IP protocol number/],
    [{ protocol: 256 }, /protocol must be/],
    [{ protocol: "icmp", raw: "yes" }, /raw must be a boolean/],
    [{ protocol: "icmp", hostname: "::" }, /protocol "icmp" needs an IPv4 hostname/],
    [{ protocol: "icmpv6", hostname: "127.0.0.1" }, /protocol "icmpv6" needs an IPv6 hostname/],
    [{ protocol: "icmp", coalesce: true }, /coalesce applies to UDP sockets only/],
    [{ protocol: 50, raw: false }, /only ICMP and ICMPv6 have datagram sockets/],
    [{ raw: true }, /raw applies to ICMP and other protocols, not to UDP/],
  ];
  for (const [options, message] of bad) {
    assert.throws(
      () => listenDatagram(options),
      (e: Error) => e instanceof TypeError && message.test(e.message),
      JSON.stringify(options),
    );
  }
  if (onWindows) {
    assert.throws(() => listenDatagram({ protocol: "icmp", raw: false }), /Windows has no ICMP datagram sockets/);
  }
});
