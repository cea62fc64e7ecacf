// Fairness under a flood (issue 18 item 9): after 32 deliveries without the event loop turning, the
// next one waits for a macrotask, so a timer keeps firing while every receive finds a datagram at hand.
// The flood is bounded (all datagrams queued first); each is given ~2 ms of work; the assertion counts
// the timer's ticks, not the time anything took.
import assert from "node:assert/strict";
import { type DatagramConn, listenDatagram } from "../../mod.ts";
import { runtime, test } from "./harness.ts";

const COUNT = 300;

/** About 2 ms of work on the JS thread, as a server might spend on a datagram. */
function work(): void {
  const end = performance.now() + 2;
  let spins = 0;
  while (performance.now() < end) spins++;
  if (spins < 0) throw new Error("unreachable");
}

const loops: Record<string, (rx: DatagramConn, each: () => void) => Promise<void>> = {
  async receiveMsg(rx, each) {
    for (let i = 0; i < COUNT; i++) {
      await rx.receiveMsg();
      each();
    }
  },
  async receive(rx, each) {
    for (let i = 0; i < COUNT; i++) {
      await rx.receive();
      each();
    }
  },
  async messages(rx, each) {
    let i = 0;
    for await (const _m of rx.messages()) {
      each();
      if (++i === COUNT) break;
    }
  },
  async "for await"(rx, each) {
    let i = 0;
    for await (const _d of rx) {
      each();
      if (++i === COUNT) break;
    }
  },
};

for (const [name, loop] of Object.entries(loops)) {
  for (const readAhead of name === "receiveMsg" ? [32, 0] : [32]) {
    test(`fairness (${runtime}, ${name}, readAhead ${readAhead}): a 20 ms interval keeps firing through a flood with 2 ms of work per datagram`, async () => {
      using rx = listenDatagram({ hostname: "127.0.0.1", readAhead, receiveBufferSize: 1 << 21 });
      using tx = listenDatagram({ hostname: "127.0.0.1" });
      for (let i = 0; i < COUNT; i++) await tx.sendMsg(new Uint8Array(32), rx.addr);
      let ticks = 0;
      const timer = setInterval(() => ticks++, 20);
      try {
        await loop(rx, work);
      } finally {
        clearInterval(timer);
      }
      // ~600 ms of work: ~9 turns of the event loop (one per 32 deliveries); starved, it fires at most once.
      assert.ok(ticks >= 4, `the interval fired ${ticks} times during ${COUNT} deliveries`);
    });
  }
}
