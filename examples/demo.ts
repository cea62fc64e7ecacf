// The live demo: one dual-stack socket on the wildcard address, datagrams sent to several loopback
// addresses and to ::1, a table of what each one reached, and each answered from that address.
// Windows and Linux.
//
//   deno run --allow-ffi --allow-net examples/demo.ts   bun examples/demo.ts   node examples/demo.ts   (Deno: the senders need the net permission)
import dgram from "node:dgram";
import { listenDatagram } from "../mod.ts";

const targets = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.10.20.30", "::1"];
using conn = listenDatagram({ hostname: "::", port: 0, hopLimit: true });
console.log(`listening on [${conn.addr.hostname}]:${conn.addr.port} (dual-stack, packet info and hop limit on)\n`);

const v4 = dgram.createSocket("udp4");
const v6 = dgram.createSocket("udp6");
await Promise.all([
  new Promise<void>((r) => v4.bind(0, "127.0.0.1", () => r())),
  new Promise<void>((r) => v6.bind(0, "::1", () => r())),
]);

const rows: string[][] = [[
  "sent to",
  "remote address",
  "local address (reached)",
  "interface",
  "hop limit",
  "bytes",
  "reply came from",
]];
for (const to of targets) {
  const sock = to.includes(":") ? v6 : v4;
  const text = `hello ${to}`;
  const reply = new Promise<string>((r) => sock.once("message", (_data, rinfo) => r(rinfo.address)));
  await new Promise<void>((r, j) => sock.send(text, conn.addr.port, to, (e) => e ? j(e) : r()));
  const m = await conn.receiveMsg({ signal: AbortSignal.timeout(5000) });
  // Answer from the address the datagram reached, so the client sees the address it asked.
  await conn.sendMsg(m.data, m.remoteAddr, { localAddr: m.localAddr ?? undefined });
  const from = await reply;
  rows.push([
    to,
    `${m.remoteAddr.hostname}:${m.remoteAddr.port}`,
    m.localAddr?.hostname ?? "(none)",
    String(m.localAddr?.interfaceIndex ?? "-"),
    String(m.hopLimit ?? "-"),
    String(m.data.length),
    from.replace(/^::ffff:/, ""),
  ]);
}
v4.close();
v6.close();

const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const [i, r] of rows.entries()) {
  console.log(r.map((cell, c) => cell.padEnd(widths[c])).join("  "));
  if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
}
console.log("\nEach datagram reports the address it was sent to, though the socket is bound to the wildcard,");
console.log("and each reply leaves from that address (sendMsg with the message's localAddr).");
if (
  "Deno" in globalThis
    ? (globalThis as unknown as { Deno: { build: { os: string } } }).Deno.build.os === "windows"
    : (globalThis as unknown as { process: { platform: string } }).process.platform === "win32"
) {
  console.log(
    "(Under Wine, WSASendMsg ignores the source address, so replies there leave from 127.0.0.1; Windows honours it.)",
  );
}
