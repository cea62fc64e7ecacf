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
async function ask(
  type: "udp4" | "udp6",
  to: string,
  port: number,
  text: string,
): Promise<{ reply: string; from: string; port: number }> {
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
    for (
      const [type, to] of [["udp4", "127.0.0.2"], ["udp4", "127.0.0.3"], ["udp6", "::1"], [
        "udp4",
        "127.0.0.1",
      ]] as const
    ) {
      const r = await ask(type, to, conn.addr.port, `hello ${to}`);
      assert.equal(r.reply, `hello ${to}`);
      assert.equal(
        r.from.replace(/^::ffff:/, ""),
        sourceHonoured ? to : routed(to),
        `the reply to ${to} came from ${r.from}`,
      );
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
  assert.equal(
    (await rx.receiveMsg({ signal: AbortSignal.timeout(5000) })).remoteAddr.hostname,
    sourceHonoured ? "127.0.0.10" : "127.0.0.1",
  );
});

test("sendMsg refuses bad input with errors that name the parameter", async () => {
  using conn = listenDatagram({ hostname: "::" });
  const d = new Uint8Array(1);
  await assert.rejects(
    conn.sendMsg(d, { hostname: "::1", port: 9 }, { localAddr: { hostname: "127.0.0.1" } }),
    /localAddr.hostname must be a numeric IPv6 address/,
  );
  await assert.rejects(
    conn.sendMsg(d, { hostname: "127.0.0.1", port: 9 }, { localAddr: { hostname: "::1" } }),
    /localAddr.hostname must be a numeric IPv4 address/,
  );
  await assert.rejects(
    conn.sendMsg(d, { hostname: "::1", port: 9 }, { localAddr: { interfaceIndex: -1 } }),
    /localAddr.interfaceIndex/,
  );
  await assert.rejects(
    conn.sendMsg(d, { hostname: "::1", port: 9 }, { hopLimit: 256 }),
    (e: Error) => e instanceof RangeError && /hopLimit/.test(e.message),
  );
  await assert.rejects(conn.sendMsg(new Uint8Array(65536), { hostname: "::1", port: 9 }), /at most 65535/);
  await assert.rejects(
    conn.sendMsg(d, { hostname: "::1", port: 70000 }),
    (e: Error) => e instanceof RangeError && /port/.test(e.message),
  );
  await assert.rejects(conn.sendMsg(d, null), /sendMsg: remoteAddr is needed: this socket is not connected/);
  await assert.rejects(
    conn.sendMsg(d, 7 as unknown as { hostname: string; port: number }),
    /remoteAddr must be an object/,
  );
});

test("sendMsg to a mix of destinations and sources, frozen (as a receive gives them) and mutable objects changed between sends: each goes where and from where it says", async () => {
  using tx = listenDatagram({ hostname: "0.0.0.0" });
  using rx1 = listenDatagram({ hostname: "127.0.0.1" });
  using rx2 = listenDatagram({ hostname: "127.0.0.1" });
  const a1 = Object.freeze({ transport: "udp" as const, hostname: "127.0.0.1", port: rx1.addr.port });
  const a2 = Object.freeze({ transport: "udp" as const, hostname: "127.0.0.1", port: rx2.addr.port });
  const l2 = Object.freeze({ hostname: "127.0.0.2", interfaceIndex: 0 });
  const l3 = Object.freeze({ hostname: "127.0.0.3", interfaceIndex: 0 });
  const mutableTo = { hostname: "127.0.0.1", port: rx1.addr.port };
  const mutableFrom = { hostname: "127.0.0.4" };
  const plan: [string, { hostname: string; port: number }, { hostname: string } | undefined, number, string][] = [];
  const send = async (
    text: string,
    to: { hostname: string; port: number },
    from: { hostname: string } | undefined,
    hop?: number,
  ) => {
    await tx.sendMsg(new TextEncoder().encode(text), to, { localAddr: from, hopLimit: hop });
    plan.push([text, to, from, to.port, from?.hostname ?? "127.0.0.1"]);
  };
  await send("a", a1, l2);
  await send("b", a1, l2);
  await send("c", a1, l3);
  await send("d", a2, l3);
  await send("e", a1, undefined);
  await send("f", a1, l2, 9);
  await send("g", mutableTo, mutableFrom);
  mutableTo.port = rx2.addr.port;
  mutableFrom.hostname = "127.0.0.5";
  await send("h", mutableTo, mutableFrom);
  for (const [text, , , port, source] of plan) {
    const rx = port === rx1.addr.port ? rx1 : rx2;
    const m = await rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
    assert.equal(new TextDecoder().decode(m.data), text);
    if (sourceHonoured) assert.equal(m.remoteAddr.hostname, source, `${text} from ${source}`);
  }
  assert.equal(rx1.tryReceiveMsg(), null);
  assert.equal(rx2.tryReceiveMsg(), null);
});
