// Wake-up latency: how long from a datagram's send until a receive that was already waiting for it
// resolves, with 0, 100, 1,000 and 4,000 other sockets waiting at the same time (the cost of a shared
// waiting design grows with them if a wake-up touches every waiting socket). Prints one line per count:
// "idle median p99" in microseconds over ROUNDS round trips. Needs an fd limit above the largest count.
// Usage: deno run -A bench/wake_latency.ts [ROUNDS] [IDLE,IDLE,...]
//        bun bench/wake_latency.ts [ROUNDS] [IDLE,...]   |   node bench/wake_latency.ts [ROUNDS] [IDLE,...]
import dgram from "node:dgram";
import process from "node:process";
import { listenDatagram } from "../mod.ts";

const rounds = Number(process.argv[2] ?? 2000);
const counts = (process.argv[3] ?? "0,100,1000,4000").split(",").map(Number);
const sender = dgram.createSocket("udp4");
await new Promise<void>((r) => sender.bind(0, "127.0.0.1", () => r()));
const payload = new Uint8Array(16);

for (const idle of counts) {
  const conn = listenDatagram({ hostname: "127.0.0.1" });
  const others = Array.from({ length: idle }, () => listenDatagram({ hostname: "127.0.0.1" }));
  for (const o of others) o.receiveMsg().catch(() => {});
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const pending = conn.receiveMsg();
    // Let the receive reach its wait before the datagram is sent.
    await new Promise((r) => setTimeout(r, 0));
    const t0 = performance.now();
    sender.send(payload, conn.addr.port, "127.0.0.1");
    await pending;
    samples.push((performance.now() - t0) * 1000);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))].toFixed(0);
  console.log(`${idle} ${at(0.5)} ${at(0.99)}`);
  for (const o of others) o.close();
  conn.close();
}
sender.close();
