// Raw libc sockets made without the module's socket code, for the same purposes as raw_winsock.ts.
import { LIBC } from "../../ffi/libc.ts";
import { native } from "../../ffi/native.ts";

let c: ReturnType<typeof open> | undefined;
function open() {
  return native.open("libc.so.6", LIBC);
}

/** A new socket (not bound). */
export function rawSocket(af: number, type: number, protocol: number): bigint {
  c ??= open();
  const fd = c.socket(af, type, protocol);
  if (fd < 0) throw new Error("socket failed");
  return BigInt(fd);
}

/** setsockopt with an int value. */
export function setIntOption(s: bigint, level: number, name: number, value: number): void {
  c ??= open();
  const v = new Uint8Array(new ArrayBuffer(128)).subarray(0, 4);
  new DataView(v.buffer).setInt32(0, value, true);
  if (c.setsockopt(Number(s), level, name, v, 4) !== 0) throw new Error("setsockopt failed");
}
