/**
 * What Node closes (and unmaps, `callWithThread`) for us when a thread ends without running JS again: `worker.terminate()` runs none,
 * so a socket of a terminated worker would keep its port. Node's environment cleanup hooks
 * (`node::AddEnvironmentCleanupHook`, exported by the node binary for addons) call a C function with one
 * pointer-sized argument when the thread's environment is torn down: the function is the C library's
 * `close` (POSIX) or ws2_32's `closesocket` (Windows), the argument the descriptor. A descriptor closed
 * by its owner first leaves the hooks, so no number that is later reused is closed.
 *
 * @module
 */

/** The parts of node:ffi this needs. */
export interface ThreadEndFfi {
  DynamicLibrary: new (path: string | null) => {
    getFunction(name: string, signature: { return: string; arguments: string[] }): (...args: unknown[]) => unknown;
    getSymbol(name: string): bigint;
  };
}

/** The hooks' and the isolate's exported names: Itanium (Linux, macOS) and MSVC (Windows) manglings. */
const NAMES = {
  itanium: {
    add: "_ZN4node25AddEnvironmentCleanupHookEPN2v87IsolateEPFvPvES3_",
    remove: "_ZN4node28RemoveEnvironmentCleanupHookEPN2v87IsolateEPFvPvES3_",
    isolate: "_ZN2v87Isolate10GetCurrentEv",
  },
  msvc: {
    add: "?AddEnvironmentCleanupHook@node@@YAXPEAVIsolate@v8@@P6AXPEAX@Z1@Z",
    remove: "?RemoveEnvironmentCleanupHook@node@@YAXPEAVIsolate@v8@@P6AXPEAX@Z1@Z",
    isolate: "?GetCurrent@Isolate@v8@@SAPEAV12@XZ",
  },
} as const;

type Fn = (...a: unknown[]) => unknown;

/**
 * This thread's descriptors that Node closes at the thread's end.
 *
 * @example
 * ```ts ignore
 * const end = NodeThreadEnd.make(ffi, process.platform, process.execPath);
 * end?.closeWithThread(fd, true);  // closed by Node if this worker is terminated
 * end?.closeWithThread(fd, false); // before closing it ourselves
 * ```
 */
export class NodeThreadEnd {
  readonly #add: Fn;
  readonly #remove: Fn;
  readonly #isolate: bigint;
  readonly #close: bigint;
  /** The (function, argument) pairs registered, as `function:argument`. */
  readonly #hooks = new Set<string>();

  private constructor(add: Fn, remove: Fn, isolate: bigint, close: bigint) {
    this.#add = add;
    this.#remove = remove;
    this.#isolate = isolate;
    this.#close = close;
  }

  /** The hooks of this thread, or null where the node binary does not export them. */
  static make(ffi: ThreadEndFfi, platform: string, execPath: string): NodeThreadEnd | null {
    try {
      const windows = platform === "win32";
      // POSIX: the main program's own symbols (dlopen(NULL)); Windows: node.exe by its path.
      const self = new ffi.DynamicLibrary(windows ? execPath : null);
      const n = windows ? NAMES.msvc : NAMES.itanium;
      const fn = (name: string, ret: string, args: string[]) =>
        self.getFunction(name, { return: ret, arguments: args });
      const close = windows
        ? new ffi.DynamicLibrary("ws2_32.dll").getSymbol("closesocket")
        : new ffi.DynamicLibrary(platform === "darwin" ? "libSystem.B.dylib" : "libc.so.6").getSymbol("close");
      return new NodeThreadEnd(
        fn(n.add, "void", ["pointer", "pointer", "pointer"]),
        fn(n.remove, "void", ["pointer", "pointer", "pointer"]),
        fn(n.isolate, "pointer", [])() as bigint,
        close,
      );
    } catch {
      return null;
    }
  }

  /** `fd` is closed by Node at this thread's end if still open then (`on`), or no longer (`on` false). */
  closeWithThread(fd: number | bigint, on: boolean): void {
    this.callWithThread(this.#close, typeof fd === "bigint" ? fd : BigInt(fd), on);
  }

  /** `fn(arg)` (a C function of one pointer) is called by Node at this thread's end (`on`), or no longer. */
  callWithThread(fn: bigint, arg: bigint, on: boolean): void {
    const key = `${fn}:${arg}`;
    // A (function, argument) pair may be added only once (Node checks): the set keeps it so.
    if (this.#hooks.has(key) === on) return;
    if (on) {
      this.#hooks.add(key);
      this.#add(this.#isolate, fn, arg);
    } else {
      this.#hooks.delete(key);
      this.#remove(this.#isolate, fn, arg);
    }
  }
}
