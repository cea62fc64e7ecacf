// Windows (issue 19, item 13; every runtime since the posting thunk replaced Deno's and Bun's thread-safe
// callbacks): the thunks' page is execute-read once written, never writable and executable at once; what the
// thunks read at run time is on a separate read-write page.
import assert from "node:assert/strict";
import { listenDatagram } from "../../mod.ts";
import { native } from "../../ffi/native.ts";
import { thunkPagesMade } from "../../ffi/runtime/win_completion.ts";
import { KERNEL32_NODE } from "../../ffi/tables/windows.ts";
import { PAGE_EXECUTE_READ, PAGE_READWRITE } from "../../structs/constants.ts";
import { Sender, test } from "./harness.ts";

/** MEMORY_BASIC_INFORMATION on x64: 48 bytes, Protect at 36 (proven against mingw by tests/pure/wait_c.test.ts). */
const MBI = { size: 48, Protect: 36 } as const;

test(
  "Windows: the thunks' code page is PAGE_EXECUTE_READ, their data page PAGE_READWRITE, and receives work",
  async () => {
    const conn = listenDatagram({ hostname: "127.0.0.1" });
    const sender = await Sender.open();
    try {
      const pending = conn.receiveMsg();
      sender.socket.send("thunk", conn.addr.port, "127.0.0.1");
      assert.equal(new TextDecoder().decode((await pending).data), "thunk");
      const pages = thunkPagesMade();
      assert.ok(pages, "a receive made the thunks");
      const k32 = native.open("kernel32.dll", { VirtualQuery: KERNEL32_NODE.VirtualQuery });
      const info = new Uint8Array(new ArrayBuffer(128)).subarray(0, MBI.size);
      const protect = (address: bigint) => {
        assert.equal(k32.VirtualQuery(address, info, BigInt(MBI.size)), BigInt(MBI.size));
        return new DataView(info.buffer).getUint32(MBI.Protect, true);
      };
      assert.equal(protect(pages.code), PAGE_EXECUTE_READ, "code: execute-read");
      assert.equal(protect(pages.data), PAGE_READWRITE, "data: read-write");
    } finally {
      sender.close();
      conn.close();
    }
  },
  { windows: true },
);
