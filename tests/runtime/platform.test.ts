// Where the suite runs: proves the harness is really on Windows (under Wine) when it says so.
import assert from "node:assert/strict";
import { native } from "../../ffi/native.ts";
import { listenDatagram } from "../../mod.ts";
import { onWindows, runtime, test } from "./harness.ts";

test(`${runtime}: the adapter reports the runtime and the OS the harness expects`, () => {
  assert.equal(native.runtime, runtime);
  assert.equal(native.os === "windows", onWindows);
  const expected = (globalThis as unknown as { process?: { env: Record<string, string | undefined> } }).process?.env
    .RECVMSG_EXPECT_OS;
  if (expected) assert.equal(native.os, expected, `the harness asked for ${expected}`);
});

test("Windows: ws2_32.dll loads and a socket opens through it", () => {
  using conn = listenDatagram({ hostname: "127.0.0.1" });
  assert.equal(conn.addr.hostname, "127.0.0.1");
  assert.ok(conn.addr.port > 0 && conn.addr.port < 65536);
}, { windows: true });

test("Linux: libc loads and a socket opens through it", () => {
  using conn = listenDatagram({ hostname: "127.0.0.1" });
  assert.equal(native.os, "linux");
  assert.equal(conn.addr.hostname, "127.0.0.1");
  assert.ok(conn.addr.port > 0 && conn.addr.port < 65536);
}, { windows: false });
