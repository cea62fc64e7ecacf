// The exported MSG_* constants are this system's own values, so testing a message's `flags` with them
// works: a truncated datagram has `flags & MSG_TRUNC` on every system (issue 19 #11: on Linux they were
// Winsock's values, and `flags & MSG_TRUNC` was 0 for a cut datagram).
import assert from "node:assert/strict";
import { listenDatagram, MSG_BCAST, MSG_CTRUNC, MSG_MCAST, MSG_PEEK, MSG_TRUNC } from "../../mod.ts";
import { onWindows, runtime, test } from "./harness.ts";

const platform = (globalThis as unknown as { process: { platform: string } }).process.platform;

/** The values each system's headers give (glibc, XNU, winsock2.h); 0 where the system has no such flag. */
const EXPECTED: Record<string, Record<string, number>> = {
  linux: { MSG_PEEK: 0x2, MSG_TRUNC: 0x20, MSG_CTRUNC: 0x8, MSG_BCAST: 0, MSG_MCAST: 0 },
  darwin: { MSG_PEEK: 0x2, MSG_TRUNC: 0x10, MSG_CTRUNC: 0x20, MSG_BCAST: 0, MSG_MCAST: 0 },
  win32: { MSG_PEEK: 0x2, MSG_TRUNC: 0x100, MSG_CTRUNC: 0x200, MSG_BCAST: 0x400, MSG_MCAST: 0x800 },
};

test(`options_flags (${runtime}): the exported MSG_* constants are ${platform}'s own values`, () => {
  assert.equal(onWindows, platform === "win32");
  assert.deepEqual({ MSG_PEEK, MSG_TRUNC, MSG_CTRUNC, MSG_BCAST, MSG_MCAST }, EXPECTED[platform]);
});

for (const readAhead of [0, 32]) {
  test(
    `options_flags (${runtime}): a truncated datagram has flags & MSG_TRUNC, as msg.truncated says (readAhead ${readAhead})`,
    async () => {
      using rx = listenDatagram({ hostname: "127.0.0.1", readAhead });
      using tx = listenDatagram({ hostname: "127.0.0.1" });
      await tx.send(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), rx.addr);
      await tx.send(new Uint8Array([9, 10]), rx.addr);
      const cut = await rx.receiveMsg({ buffer: new Uint8Array(4), signal: AbortSignal.timeout(5000) });
      assert.deepEqual([...cut.data], [1, 2, 3, 4]);
      assert.equal(cut.truncated, true);
      assert.notEqual(cut.flags & MSG_TRUNC, 0, `flags 0x${cut.flags.toString(16)} has MSG_TRUNC`);
      const whole = await rx.receiveMsg({ buffer: new Uint8Array(4), signal: AbortSignal.timeout(5000) });
      assert.deepEqual([...whole.data], [9, 10]);
      assert.equal(whole.truncated, false);
      assert.equal(whole.flags & MSG_TRUNC, 0);
      assert.equal(whole.flags & (MSG_BCAST | MSG_MCAST), 0, "a unicast datagram on loopback");
    },
  );
}
