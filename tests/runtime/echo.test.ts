// The echo server answers from the address each request reached; a plain send from the same
// wildcard-bound socket does not (the reason sendMsg exists).
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { serveEcho } from "../../examples/echo_server.ts";
import { listenDatagram } from "../../mod.ts";
import { test, underWine } from "./harness.ts";

// Wine's WSASendMsg ignores the control data (dlls/ws2_32/socket.c hands only the name and the
// buffers to WS2_sendto), so under Wine a reply leaves from the address the routing table picks.
const sourceHonoured = !underWine;
const routed = (to: string) => to.includes(":") ? "::1" : "127.0.0.1";

/** Sends `text` to `to:port` from a fresh socket and resolves with the reply and its source address. */
async function ask(type: "udp4" | "udp6", to: string, port: number, text: string): Promise<{ reply: string; from: string; port: number }> {
  const sock = dgram.createSocket(type);
  try {
    await new Promise<void>((r) => sock.bind(0, type === "udp4" ? "127.0.0.1" : "::1", () => r()));
    const answer = new Promise<{ reply: string; from: string; port: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply from ${to}`)), 5000);
      sock.once("message", (data, rinfo) => {
        clearTimeout(timer);
        resolve({ reply: new TextDecoder().decode(data), from: rinfo.address, port: rinfo.port });
      });
    });
    sock.send(text, port, to);
    return await answer;
  } finally {
    sock.close();
  }
}

test("echo server on :: answers 127.0.0.2, 127.0.0.3 and ::1 each from that address (Linux and Windows; not under Wine)", async () => {
  const conn = listenDatagram({ hostname: "::" });
  const served = serveEcho(conn);
  try {
    for (const [type, to] of [["udp4", "127.0.0.2"], ["udp4", "127.0.0.3"], ["udp6", "::1"], ["udp4", "127.0.0.1"]] as const) {
      const r = await ask(type, to, conn.addr.port, `hello ${to}`);
      assert.equal(r.reply, `hello ${to}`);
      assert.equal(r.from.replace(/^::ffff:/, ""), sourceHonoured ? to : routed(to), `the reply to ${to} came from ${r.from}`);
      assert.equal(r.port, conn.addr.port);
    }
  } finally {
    conn.close();
  }
  assert.equal(await served, 4);
});

test("without a source address, a wildcard-bound socket answers 127.0.0.2 from 127.0.0.1", async () => {
  using conn = listenDatagram({ hostname: "0.0.0.0" });
  const served = (async () => {
    const msg = await conn.receiveMsg({ signal: AbortSignal.timeout(5000) });
    assert.equal(msg.localAddr?.hostname, "127.0.0.2");
    await conn.send(msg.data, msg.remoteAddr); // no localAddr: the routing table picks the source
  })();
  const r = await ask("udp4", "127.0.0.2", conn.addr.port, "plain");
  await served;
  assert.equal(r.from, "127.0.0.1", "a client that sent to 127.0.0.2 gets its answer from another address");
});

test("sendMsg picks the source address, the interface alone, and the hop limit (Linux and Windows; not under Wine)", async () => {
  using conn = listenDatagram({ hostname: "0.0.0.0" });
  using rx = listenDatagram({ hostname: "127.0.0.1", hopLimit: true });
  const text = new TextEncoder().encode("sourced");
  await conn.sendMsg(text, rx.addr, { localAddr: { hostname: "127.0.0.9" } });
  const a = await rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
  assert.equal(a.remoteAddr.hostname, sourceHonoured ? "127.0.0.9" : "127.0.0.1");
  assert.equal(a.remoteAddr.port, conn.addr.port);
  await conn.sendMsg(text, rx.addr, { localAddr: { interfaceIndex: a.localAddr!.interfaceIndex } });
  const b = await rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
  assert.equal(b.remoteAddr.hostname, "127.0.0.1");
  await conn.sendMsg(text, rx.addr, { hopLimit: 7 });
  const c = await rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
  if (sourceHonoured) assert.equal(c.hopLimit, 7);
  else assert.notEqual(c.hopLimit, 7);
  assert.equal(conn.trySendMsg(text, rx.addr, { localAddr: { hostname: "127.0.0.10" } }), text.length);
  assert.equal((await rx.receiveMsg({ signal: AbortSignal.timeout(5000) })).remoteAddr.hostname, sourceHonoured ? "127.0.0.10" : "127.0.0.1");
});

test("sendMsg refuses bad input with errors that name the parameter", async () => {
  using conn = listenDatagram({ hostname: "::" });
  const d = new Uint8Array(1);
  await assert.rejects(conn.sendMsg(d, { hostname: "::1", port: 9 }, { localAddr: { hostname: "127.0.0.1" } }), /localAddr.hostname must be a numeric IPv6 address/);
  await assert.rejects(conn.sendMsg(d, { hostname: "127.0.0.1", port: 9 }, { localAddr: { hostname: "::1" } }), /localAddr.hostname must be a numeric IPv4 address/);
  await assert.rejects(conn.sendMsg(d, { hostname: "::1", port: 9 }, { localAddr: { interfaceIndex: -1 } }), /localAddr.interfaceIndex/);
  await assert.rejects(conn.sendMsg(d, { hostname: "::1", port: 9 }, { hopLimit: 256 }), (e: Error) => e instanceof RangeError && /hopLimit/.test(e.message));
  await assert.rejects(conn.sendMsg(new Uint8Array(65536), { hostname: "::1", port: 9 }), /at most 65535/);
  await assert.rejects(conn.sendMsg(d, { hostname: "::1", port: 70000 }), (e: Error) => e instanceof RangeError && /port/.test(e.message));
  await assert.rejects(conn.sendMsg(d, null), /sendMsg: remoteAddr is needed: this socket is not connected/);
  await assert.rejects(conn.sendMsg(d, 7 as unknown as { hostname: string; port: number }), /remoteAddr must be an object/);
});
