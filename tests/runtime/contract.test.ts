// Contract behaviours below the public API (the public API never builds these WSAMSGs): WSARecvMsg
// called directly with hand-made WSAMSGs through the real ws2_32, and Winsock without WSAStartup.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { native } from "../../ffi/native.ts";
import { winsockFailure } from "../../mod.ts";
import { WIN } from "../../structs/mod.ts";
import { runtime, sleep, test, underWine } from "./harness.ts";
import { bindRaw, closeRaw, rawSocket, rawWSARecvMsg, setNonBlocking } from "./raw_winsock.ts";

const W = { windows: true } as const;
const M = WIN.WSAMSG.fields;

interface Shape {
  nullName?: boolean;
  namelen: number;
  nullControl?: boolean;
  controlLen: number;
}

/** One bound non-blocking socket with a datagram queued, and a WSAMSG shaped as asked, in one arena. */
async function callWith(shape: Shape): Promise<{ rc: number; error: number; bytes: number }> {
  const s = rawSocket(2, 2, 17);
  const tx = dgram.createSocket("udp4");
  try {
    const port = bindRaw(s, "127.0.0.1");
    setNonBlocking(s);
    const { call, lastError } = rawWSARecvMsg(s);
    await new Promise<void>((r) => tx.bind(0, "127.0.0.1", () => r()));
    await new Promise<void>((r, j) => tx.send("contract", port, "127.0.0.1", (e) => e ? j(e) : r()));
    await sleep(30);
    const mem = new Uint8Array(new ArrayBuffer(4096));
    const dv = new DataView(mem.buffer);
    const addr = (at: number) => BigInt(native.addressOf(mem.subarray(at, at + 1)));
    dv.setBigUint64(M.name.offset, shape.nullName ? 0n : addr(256), true);
    dv.setInt32(M.namelen.offset, shape.namelen, true);
    dv.setBigUint64(M.lpBuffers.offset, addr(64), true);
    dv.setUint32(M.dwBufferCount.offset, 1, true);
    dv.setUint32(64, 1024, true); // WSABUF.len
    dv.setBigUint64(72, addr(2048), true); // WSABUF.buf
    dv.setUint32(M.Control.offset, shape.controlLen, true);
    dv.setBigUint64(M.Control.offset + 8, shape.nullControl ? 0n : addr(512), true);
    const rc = call(s, mem.subarray(0, WIN.WSAMSG.size), mem.subarray(128, 132), null, null);
    const error = rc === 0 ? 0 : lastError();
    return { rc, error, bytes: dv.getUint32(128, true) };
  } finally {
    tx.close();
    closeRaw(s);
  }
}

for (
  const [what, shape] of [
    ["Control.buf NULL with Control.len non-zero", { nullControl: true, controlLen: 64, namelen: 128 }],
    ["name NULL with namelen non-zero", { nullName: true, namelen: 16, controlLen: 64 }],
    ["a name buffer too small for the sender's address", { namelen: 4, controlLen: 64 }],
  ] as const
) {
  test(`WSAEFAULT for ${what} (Windows-only: Wine does not check these pointers)`, async () => {
    const r = await callWith(shape);
    if (underWine) {
      // Wine passes the call on and receives the datagram anyway.
      assert.deepEqual(r, { rc: 0, error: 0, bytes: 8 });
      return;
    }
    assert.equal(r.rc, -1);
    assert.equal(winsockFailure(r.error, "WSARecvMsg").code, "WSAEFAULT");
  }, W);
}

test("a well-formed WSAMSG built by hand receives the datagram (the control for the cases above)", async () => {
  assert.deepEqual(await callWith({ namelen: 128, controlLen: 64 }), { rc: 0, error: 0, bytes: 8 });
}, W);

test(
  `WSANOTINITIALISED without WSAStartup (${runtime}; Bun and Node start Winsock themselves, libuv at start-up, so there it cannot happen)`,
  () => {
    const args = runtime === "deno"
      ? ["run", "-A", "tests/runtime/fixtures/no_startup.ts"]
      : ["tests/runtime/fixtures/no_startup.ts"];
    const child = spawnSync(process.execPath, args, { encoding: "utf8" });
    assert.equal(child.status, 0, child.stderr);
    const result = JSON.parse(child.stdout.trim().split("\n").pop()!);
    if (runtime === "bun" || runtime === "node") {
      assert.deepEqual(result, { invalid: false, error: 0 });
      return;
    }
    assert.deepEqual(result, { invalid: true, error: 10093 });
    assert.equal(winsockFailure(result.error, "WSASocketW").code, "WSANOTINITIALISED");
  },
  W,
);
