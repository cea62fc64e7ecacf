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

const RLIMIT_NOFILE = 7;
let r: ReturnType<typeof openLimits> | undefined;
function openLimits() {
  return native.open("libc.so.6", {
    getrlimit: { c: "int getrlimit(int resource, struct rlimit *rlim)", parameters: ["i32", "buffer"], result: "i32" },
    setrlimit: { c: "int setrlimit(int resource, const struct rlimit *rlim)", parameters: ["i32", "buffer"], result: "i32" },
  } as const);
}

/** The soft and hard limit on open files (struct rlimit: two 64-bit counts). */
export function fileLimit(): { soft: bigint; hard: bigint } {
  r ??= openLimits();
  const v = new Uint8Array(new ArrayBuffer(128)).subarray(0, 16);
  if (r.getrlimit(RLIMIT_NOFILE, v) !== 0) throw new Error("getrlimit failed");
  const dv = new DataView(v.buffer);
  return { soft: dv.getBigUint64(0, true), hard: dv.getBigUint64(8, true) };
}

/** Sets the soft limit on open files (the hard one kept). */
export function setFileLimit(soft: bigint): void {
  r ??= openLimits();
  const v = new Uint8Array(new ArrayBuffer(128)).subarray(0, 16);
  const dv = new DataView(v.buffer);
  dv.setBigUint64(0, soft, true);
  dv.setBigUint64(8, fileLimit().hard, true);
  if (r.setrlimit(RLIMIT_NOFILE, v) !== 0) throw new Error("setrlimit failed");
}
