// Raw libc sockets made without the module's socket code, for the same purposes as raw_winsock.ts.
import { LIBC } from "../../ffi/tables/libc.ts";
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
  return native.open(
    "libc.so.6",
    {
      getrlimit: {
        c: "int getrlimit(int resource, struct rlimit *rlim)",
        parameters: ["i32", "buffer"],
        result: "i32",
      },
      setrlimit: {
        c: "int setrlimit(int resource, const struct rlimit *rlim)",
        parameters: ["i32", "buffer"],
        result: "i32",
      },
    } as const,
  );
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

let n: ReturnType<typeof openNs> | undefined;
function openNs() {
  return native.open(
    "libc.so.6",
    {
      open: { c: "int open(const char *path, int flags)", parameters: ["buffer", "i32"], result: "i32" },
      setns: { c: "int setns(int fd, int nstype)", parameters: ["i32", "i32"], result: "i32" },
      close: { c: "int close(int fd)", parameters: ["i32"], result: "i32" },
    } as const,
  );
}
const CLONE_NEWNET = 0x40000000;
const O_RDONLY_CLOEXEC = 0o2000000;

/**
 * Runs `fn` with this thread in the network namespace at `path` (e.g. /run/netns/NAME), then moves the
 * thread back. Sockets made by `fn` through the module (on this thread) live in that namespace.
 */
export function withNetns<T>(path: string, fn: () => T): T {
  n ??= openNs();
  const cstr = (s: string) => {
    const b = new Uint8Array(new ArrayBuffer(Math.max(128, s.length + 1)));
    b.set(new TextEncoder().encode(s));
    return b;
  };
  const home = n.open(cstr("/proc/thread-self/ns/net"), O_RDONLY_CLOEXEC);
  const there = n.open(cstr(path), O_RDONLY_CLOEXEC);
  if (home < 0 || there < 0) throw new Error(`cannot open the namespaces (${home}, ${there})`);
  try {
    if (n.setns(there, CLONE_NEWNET) !== 0) throw new Error(`setns into ${path} failed`);
    try {
      return fn();
    } finally {
      // deno-lint-ignore no-unsafe-finally -- a thread left in the other namespace must fail loudly, whatever fn did
      if (n.setns(home, CLONE_NEWNET) !== 0) throw new Error("setns back home failed: the test process is stranded");
    }
  } finally {
    n.close(home);
    n.close(there);
  }
}
