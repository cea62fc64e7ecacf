// bench/js_path.ts for two checkouts in one process: this one ("B") and another ("A", e.g. an older commit
// unpacked with `git archive REV | tar -x -C DIR`), their rounds interleaved, so that a busy machine weighs
// on both alike. Prints "case A-cpu-ns B-cpu-ns B/A" per call (median over rounds), JavaScript only (peek:
// no system call; see bench/js_path.ts).
//   usage: deno run -A bench/js_path_ab.ts OTHER_CHECKOUT [ITERATIONS] [ROUNDS]   (or node / bun)
import process from "node:process";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import type * as Mod from "../mod.ts";

const other = resolve(process.argv[2]);
const iterations = Number(process.argv[3] ?? 100_000);
const rounds = Number(process.argv[4] ?? 7);

type Case = () => Promise<void> | void;
const open: { close(): void }[] = [];
async function setUp(root: string): Promise<Record<string, Case>> {
  const mod: typeof Mod = await import(pathToFileURL(`${root}/mod.ts`).href);
  const { MessageIterator } = await import(pathToFileURL(`${root}/connection/message_iterator.ts`).href);
  const rx = mod.listenDatagram({ hostname: "127.0.0.1" });
  const tx = mod.listenDatagram({ hostname: "127.0.0.1" });
  open.push(rx, tx);
  for (let i = 0; i < 3; i++) {
    await tx.sendMsg(new Uint8Array(64).fill(i), { hostname: "127.0.0.1", port: rx.addr.port });
  }
  await new Promise((r) => setTimeout(r, 50));
  if (rx.tryReceiveMsg() === null) throw new Error("no datagram arrived");
  const buffer = new Uint8Array(2048);
  const peekCopy = { peek: true } as Mod.ReceiveOptions;
  const peekBuffer = { peek: true, buffer } as Mod.ReceiveOptions;
  const source = {
    tryReceiveFair: (o?: Mod.ReceiveOptions) => rx.tryReceiveMsg(o),
    receiveMsg: (o?: Mod.ReceiveOptions) => rx.receiveMsg(o),
  };
  return {
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
}

const sides = [await setUp(other), await setUp(resolve(import.meta.dirname ?? ".", ".."))];
const names = Object.keys(sides[0]);
const cpu = names.map(() => [[] as number[], [] as number[]]);
for (let round = 0; round <= rounds; round++) {
  for (const [n, name] of names.entries()) {
    for (const s of round % 2 ? [1, 0] : [0, 1]) {
      const c0 = process.cpuUsage();
      await sides[s][name]();
      const c = process.cpuUsage(c0);
      // Round 0 warms the JIT up and is not kept.
      if (round > 0) cpu[n][s].push((c.user + c.system) * 1e3 / iterations);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [n, name] of names.entries()) {
  const [a, b] = cpu[n].map(median);
  const ratios = cpu[n][0].map((x, i) => cpu[n][1][i] / x);
  console.log(
    `${name.padEnd(28)} ${a.toFixed(0).padStart(5)} ${b.toFixed(0).padStart(5)}  ${median(ratios).toFixed(2)}`,
  );
}
for (const c of open) c.close();
process.exit(0);
