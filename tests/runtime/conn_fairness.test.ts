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

// The budget is the thread's, not each connection's: 30 sockets with 40 datagrams each, received one at a
// time or 8 at a time, never reach 32 deliveries in a row on their own, and their loops run in microtasks
// one after another. ~0.25 ms of work per datagram.
for (const batch of [false, true]) {
  test(`fairness (${runtime}, 30 sockets, ${batch ? "receiveMsgs(8)" : "receiveMsg"}): a 20 ms interval keeps firing while every socket has datagrams`, async () => {
    const conns = Array.from(
      { length: 30 },
      () => listenDatagram({ hostname: "127.0.0.1", receiveBufferSize: 1 << 20 }),
    );
    using tx = listenDatagram({ hostname: "127.0.0.1" });
    try {
      for (let i = 0; i < 40; i++) for (const c of conns) await tx.sendMsg(new Uint8Array(32), c.addr);
      const little = () => {
        const end = performance.now() + 0.25;
        while (performance.now() < end);
      };
      let ticks = 0;
      let delivered = 0;
      const timer = setInterval(() => ticks++, 20);
      try {
        await Promise.all(conns.map(async (c) => {
          for (let got = 0; got < 40;) {
            const n = batch ? (await c.receiveMsgs(8)).length : (await c.receiveMsg(), 1);
            for (let k = 0; k < n; k++) little();
            got += n;
            delivered += n;
          }
        }));
      } finally {
        clearInterval(timer);
      }
      assert.equal(delivered, 1200);
      // ~300 ms of work: the loop turns every 32 datagrams (batches: a few more) once 2 ms have passed;
      // starved, the interval fires at most once.
      assert.ok(ticks >= 4, `the interval fired ${ticks} times during 1200 deliveries over 30 sockets`);
    } finally {
      for (const c of conns) c.close();
    }
  });
}
