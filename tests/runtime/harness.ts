/**
 * The thin adapter that lets one test file run under `deno test` and `bun test`. Assertions come from
 * `node:assert/strict`, which both runtimes ship (JSR's @std/assert is unreachable from these machines).
 */
import dgram from "node:dgram";

type TestFn = () => unknown | Promise<unknown>;
interface BunTest {
  (name: string, fn: TestFn, timeout?: number): void;
  skip(name: string, fn: TestFn): void;
}

/** `"deno"`, `"bun"` or `"node"`. */
export const runtime: "deno" | "bun" | "node" = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
/** Whether this is a Windows build of the runtime (under Wine in CI). */
export const onWindows: boolean = runtime === "deno"
  ? (globalThis as unknown as { Deno: { build: { os: string } } }).Deno.build.os === "windows"
  : (globalThis as unknown as { process: { platform: string } }).process.platform === "win32";
/** Whether the process runs under Wine rather than Windows (Wine exports wine_get_version from ntdll). */
export const underWine: boolean = onWindows && detectWine();

/** Real Windows, not Wine: for assertions only Windows can satisfy. */
export const realWindows: boolean = onWindows && !underWine;

function detectWine(): boolean {
  try {
    if (runtime === "deno") {
      const D = (globalThis as unknown as { Deno: { dlopen: (p: string, s: object) => { close(): void } } }).Deno;
      D.dlopen("ntdll.dll", { wine_get_version: { parameters: [], result: "pointer" } }).close();
    } else if (runtime === "node") {
      const ffi = (globalThis as unknown as {
        process: {
          getBuiltinModule(id: string): { DynamicLibrary: new (p: string) => { getSymbol(n: string): bigint } };
        };
      }).process
        .getBuiltinModule("node:ffi");
      new ffi.DynamicLibrary("ntdll.dll").getSymbol("wine_get_version");
    } else {
      const ffi =
        (import.meta as unknown as { require(id: string): { dlopen(p: string, s: object): { close(): void } } })
          .require("bun:ffi");
      ffi.dlopen("ntdll.dll", { wine_get_version: { args: [], returns: "ptr" } }).close();
    }
    return true;
  } catch {
    return false;
  }
}

const bunTest: BunTest | undefined = runtime === "bun"
  ? (import.meta as unknown as { require(id: string): { test: BunTest } }).require("bun:test").test
  : undefined;
type NodeTest = (name: string, options: { skip?: boolean | string; timeout?: number }, fn: () => unknown) => void;
const nodeTest: NodeTest | undefined = runtime === "node"
  ? ((globalThis as unknown as { process: { getBuiltinModule(id: string): { test: NodeTest } } }).process
    .getBuiltinModule("node:test")).test
  : undefined;

interface Options {
  /**
   * `true`: only on Windows (it needs ws2_32 or Windows behaviour); skipped, and counted as skipped, elsewhere.
   * `false`: only where Windows is not.
   */
  windows?: boolean;
  timeout?: number;
  /** A reason to skip the test here (shown in its name), or null/undefined to run it. */
  skip?: string | null;
}

/**
 * Registers a test on the current runtime.
 *
 * Deno's resource and op sanitizers are off: thread-safe FFI callbacks live for the whole process by
 * design, and the suite checks leaks itself (handle counts, Winsock start-up counts).
 */
export function test(name: string, fn: TestFn, options: Options = {}): void {
  const skip = (options.windows !== undefined && options.windows !== onWindows) || !!options.skip;
  if (options.skip && (options.windows === undefined || options.windows === onWindows)) {
    name += ` [skipped: ${options.skip}]`;
  }
  const timeout = options.timeout ?? 20_000;
  if (runtime === "deno") {
    (globalThis as unknown as { Deno: { test(t: object): void } }).Deno.test({
      name,
      ignore: skip,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: () => withTimeout(name, fn, timeout),
    });
  } else if (runtime === "node") {
    nodeTest!(name, { skip, timeout }, () => withTimeout(name, fn, timeout));
  } else if (skip) {
    bunTest!.skip(name, fn);
  } else {
    bunTest!(name, fn, timeout);
  }
}

async function withTimeout(name: string, fn: TestFn, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => timer = setTimeout(() => reject(new Error(`${name}: timed out after ${ms} ms`)), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `gc()` where the runtime exposes it (Deno with --v8-flags=--expose-gc, Node with --expose-gc, Bun always). */
export function forceGC(): boolean {
  const g = globalThis as unknown as { gc?: () => void; Bun?: { gc(sync: boolean): void } };
  if (g.Bun) {
    g.Bun.gc(true);
    return true;
  }
  if (g.gc) {
    g.gc();
    return true;
  }
  return false;
}

/**
 * Whether `port` on 127.0.0.1 can be bound again within about a second of collections: the socket a
 * dropped connection held there was closed by its finalizer. Takes `bind` (listenDatagram) as given, so
 * the harness imports nothing of the module.
 */
export async function rebindsAfterCollection(
  port: number,
  bind: (port: number) => { close(): void },
  inUse: (e: unknown) => boolean,
): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    forceGC();
    await sleep(10);
    try {
      bind(port).close();
      return true;
    } catch (e) {
      if (!inUse(e)) throw e;
    }
  }
  return false;
}

/**
 * A sender independent of the code under test: the runtime's own `node:dgram`.
 */
export class Sender {
  readonly socket: dgram.Socket;
  private constructor(socket: dgram.Socket) {
    this.socket = socket;
  }
  static async open(type: "udp4" | "udp6" = "udp4", address?: string): Promise<Sender> {
    const socket = dgram.createSocket(type);
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, address ?? (type === "udp4" ? "127.0.0.1" : "::1"), () => resolve());
    });
    return new Sender(socket);
  }
  get port(): number {
    return this.socket.address().port;
  }
  send(data: Uint8Array | string, host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, port, host, (e) => e ? reject(e) : resolve()));
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** The argv that runs a script file under this runtime (for fixtures run as child processes). */
export function runtimeArgv(script: string): string[] {
  const exec = (globalThis as unknown as { process: { execPath: string } }).process.execPath;
  return runtime === "deno"
    ? [exec, "run", "-A", script]
    : runtime === "node"
    ? [exec, "--no-warnings", script]
    : [exec, script];
}

/**
 * Runs a child process; resolves with its stdout lines as they come (`lines`) and its end.
 * It is killed after `timeoutMs`.
 *
 * On Windows Deno the child writes to files, not pipes: Deno's pipe reads (mio's named pipes) can panic the
 * whole test process when a child ends while a read is pending (tokio-rs/mio#1819, seen once under Wine in
 * CI), so the files are polled for lines instead.
 */
export function child(
  argv: string[],
  timeoutMs: number,
): {
  lines: AsyncIterableIterator<string>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  kill(): void;
} {
  // deno-lint-ignore no-explicit-any
  const builtin = (globalThis as any).process.getBuiltinModule;
  const { spawn } = builtin("node:child_process") as typeof import("node:child_process");
  const fs = builtin("node:fs") as typeof import("node:fs");
  const os = builtin("node:os") as typeof import("node:os");
  const viaFiles = runtime === "deno" && onWindows;
  let dir = "";
  let outFd = -1;
  let errFd = -1;
  if (viaFiles) {
    dir = fs.mkdtempSync(`${os.tmpdir()}/recvmsg-child-`);
    outFd = fs.openSync(`${dir}/stdout`, "w+");
    errFd = fs.openSync(`${dir}/stderr`, "w+");
  }
  const c = spawn(argv[0], argv.slice(1), { stdio: ["ignore", viaFiles ? outFd : "pipe", viaFiles ? errFd : "pipe"] });
  let stdout = "";
  let stderr = "";
  const queue: string[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  let partial = "";
  const onOut = (text: string) => {
    stdout += text;
    partial += text;
    const parts = partial.split("\n");
    partial = parts.pop()!;
    queue.push(...parts);
    wake?.();
  };
  let poll: ReturnType<typeof setInterval> | undefined;
  let readOffset = 0;
  const readNew = () => {
    const size = fs.fstatSync(outFd).size;
    if (size <= readOffset) return;
    const chunk = new Uint8Array(size - readOffset);
    const n = fs.readSync(outFd, chunk, 0, chunk.length, readOffset);
    readOffset += n;
    onOut(new TextDecoder().decode(chunk.subarray(0, n)));
  };
  if (viaFiles) {
    poll = setInterval(readNew, 25);
  } else {
    c.stdout!.on("data", (d: Uint8Array) => onOut(new TextDecoder().decode(d)));
    c.stderr!.on("data", (d: Uint8Array) => void (stderr += new TextDecoder().decode(d)));
  }
  const timer = setTimeout(() => c.kill("SIGKILL"), timeoutMs);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    c.on("close", (code: number | null) => {
      clearTimeout(timer);
      if (viaFiles) {
        clearInterval(poll);
        readNew();
        stderr = fs.readFileSync(`${dir}/stderr`, "utf8");
        fs.closeSync(outFd);
        fs.closeSync(errFd);
        fs.rmSync(dir, { recursive: true, force: true });
      }
      ended = true;
      wake?.();
      resolve({ code, stdout, stderr });
    });
  });
  async function* lines(): AsyncIterableIterator<string> {
    while (true) {
      if (queue.length > 0) {
        yield queue.shift()!;
        continue;
      }
      if (ended) return;
      await new Promise<void>((r) => wake = r);
      wake = null;
    }
  }
  return { lines: lines(), done, kill: () => c.kill("SIGKILL") };
}
