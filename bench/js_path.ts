// The JavaScript cost of one receive, without its system call: a datagram read ahead (Linux) is
// received again and again with `peek` (which leaves it read ahead), so every call runs the whole
// path from the public method to the message (checks, queue, read-ahead take, control decode, data
// copy, message object; for messages() and receiveMsg the promise and iterator too) except recvmmsg.
// Prints "case ns-per-call cpu-ns-per-call" for each case, CASES rounds interleaved.
//   usage: deno run -A bench/js_path.ts [ITERATIONS] [ROUNDS]   (or node / bun)
import process from "node:process";
import { type Case, runInterleaved } from "./interleaved.ts";
import { listenDatagram, type ReceiveOptions } from "../mod.ts";
import { MessageIterator } from "../connection/message_iterator.ts";

const iterations = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 3);
const rx = listenDatagram({ hostname: "127.0.0.1" });
const tx = listenDatagram({ hostname: "127.0.0.1" });
for (let i = 0; i < 3; i++) await tx.sendMsg(new Uint8Array(64).fill(i), { hostname: "127.0.0.1", port: rx.addr.port });
// Three datagrams queued: one receive reads all ahead and returns the first; two stay read ahead.
await new Promise((r) => setTimeout(r, 50));
if (rx.tryReceiveMsg() === null) throw new Error("no datagram arrived");
const buffer = new Uint8Array(2048);
const peekCopy = { peek: true } as ReceiveOptions;
const peekBuffer = { peek: true, buffer } as ReceiveOptions;

// messages() refuses peek: its iterator over a source that receives with peek.
const source = {
  tryReceiveFair: (o?: ReceiveOptions) => rx.tryReceiveMsg(o),
  receiveMsg: (o?: ReceiveOptions) => rx.receiveMsg(o),
};
const cases: Record<string, Case> = {
  "tryReceiveMsg, fresh copy": () => {
    for (let i = 0; i < iterations; i++) rx.tryReceiveMsg(peekCopy);
  },
  "tryReceiveMsg({ buffer })": () => {
    for (let i = 0; i < iterations; i++) rx.tryReceiveMsg(peekBuffer);
  },
  "receiveMsg, fresh copy": async () => {
    for (let i = 0; i < iterations; i++) await rx.receiveMsg(peekCopy);
  },
  "messages(), fresh copy": async () => {
    const it = new MessageIterator(source, peekCopy);
    for (let i = 0; i < iterations; i++) await it.next();
  },
  "messages({ buffer })": async () => {
    const it = new MessageIterator(source, peekBuffer);
    for (let i = 0; i < iterations; i++) await it.next();
  },
};
await runInterleaved(cases, rounds, iterations);
rx.close();
tx.close();
