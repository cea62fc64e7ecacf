/**
 * The runtime-neutral description of native functions, and the interface each runtime's adapter
 * implements. Nothing outside ffi/native.ts knows which runtime it runs on.
 *
 * @module
 */

/**
 * Native parameter and result kinds.
 * - `handle`: a pointer-sized integer (SOCKET, HANDLE, a function address); a `bigint` in JS.
 * - `buffer`: a pointer to memory we own, passed as a `Uint8Array` view (or null for NULL).
 * - `function`: a callback's native pointer, from {@link Native.threadSafeCallback}.
 * - `isize`: `ssize_t`; a number in JS.
 */
export type NativeType = "void" | "i32" | "u32" | "u16" | "u8" | "isize" | "handle" | "buffer" | "function";

/** One native function: its C prototype for the reader, its parameters and result as data. */
export interface SymbolDef {
  /** The C prototype, kept beside the declaration so the two can be compared by eye. */
  readonly c: string;
  readonly parameters: readonly NativeType[];
  readonly result: NativeType;
}

/** A library's functions by name. */
export type SymbolTable = Readonly<Record<string, SymbolDef>>;

/** JS type of an argument of a native kind. */
export type ArgOf<T extends NativeType> = T extends "handle" ? bigint | number
  : T extends "buffer" ? Uint8Array | PinnedBuffer | null
  : T extends "function" ? CallbackPointer
  : number;

/** JS type of a native kind as a result (handles come back as bigint on every runtime). */
export type ResultOf<T extends NativeType> = T extends "void" ? void : T extends "handle" ? bigint : number;

type ArgsOf<P extends readonly NativeType[]> = { [K in keyof P]: P[K] extends NativeType ? ArgOf<P[K]> : never };

/** A bound native function. */
export type NativeFn<D extends SymbolDef> = (...args: ArgsOf<D["parameters"]>) => ResultOf<D["result"]>;

/** A library opened with its symbol table. */
export type Bound<T extends SymbolTable> = { readonly [K in keyof T]: NativeFn<T[K]> };

/**
 * Memory that never moves, made ready for `buffer` arguments by {@link Native.pin}: what each runtime
 * passes at the least cost (on Node its address as a bigint, elsewhere the view itself). Valid only
 * while the view it was made from is reachable: keep the two together.
 */
export type PinnedBuffer = { readonly __pinnedBuffer: unique symbol };

/** An opaque native function pointer of a callback, to pass as a `function` argument. */
export type CallbackPointer = { readonly __callbackPointer: unique symbol } | number;

/** A JS function callable from any native thread; the call is queued to the JS thread. */
export interface ThreadSafeCallback {
  readonly pointer: CallbackPointer;
  /** Keep the process alive while native code may call back. */
  ref(): void;
  /** Let the process exit even though native code could still call back. */
  unref(): void;
  close(): void;
  /**
   * Where the calls reach the JS thread through a helper thread that may not start (Node on Windows: the
   * completion worker): starts it when it is not running, or throws an Error saying why it cannot (the
   * next call tries again). Call before each wait. Absent where nothing can fail so.
   */
  ready?(): void;
  /**
   * Set by the user of the callback: told when the helper thread failed after {@link ready} (it did not
   * start after all, or died). Calls made meanwhile are delivered once a later `ready()` starts a new one.
   */
  onFailure?: (error: Error) => void;
  /**
   * Whether any native wait that may call back is registered now. Where calls are passed on by a waiting
   * thread (Deno and Bun on Windows), that thread waits only while one is: with false its wait is told to
   * return, so that a worker whose sockets are all closed can end at once. Absent: it always waits.
   */
  waiting?(on: boolean): void;
}

/** What each runtime adapter provides. */
export interface Native {
  readonly runtime: "deno" | "bun" | "node";
  /** `"windows"`, `"linux"`, `"darwin"`, ... */
  readonly os: string;
  /** The processor as Deno names it: `"x86_64"`, `"aarch64"`, ... (some C layouts depend on it). */
  readonly arch: string;
  /**
   * Whether fresh copies of small datagrams are better carved from shared chunks than made as typed
   * arrays of their own: on Deno 2.9 and Node 26 an array of its own costs about 1.3 µs (Node's above 64
   * bytes) against 30–60 ns for a view; on Bun an array of its own is the cheaper (7–30 ns).
   */
  readonly poolCopies: boolean;
  open<T extends SymbolTable>(library: string, table: T): Bound<T>;
  /** Binds a function known only by address (an extension function such as WSARecvMsg). */
  fromAddress<D extends SymbolDef>(address: bigint, def: D): NativeFn<D>;
  /**
   * The address of a view's first byte. The caller guarantees the memory does not move: views
   * into ArrayBuffers of more than 64 bytes, created with `new ArrayBuffer`, never do.
   */
  addressOf(view: Uint8Array): number;
  /**
   * `view` as the cheapest `buffer` argument of this runtime, for memory that never moves and that is
   * passed again and again (a socket's msghdr): node:ffi reads a typed array's address on every call
   * (~200 ns) but takes a bigint address as it is; Deno and Bun take the view itself at full speed.
   * The same guarantee as {@link addressOf}; and the caller keeps `view` reachable while it uses the result.
   */
  pin(view: Uint8Array): PinnedBuffer;
  /**
   * A callback with `(pointer context, u8 flag) => void` shape, callable from native threads. On Windows
   * (every runtime) the pointer is not a JS callback but the posting thunk (ffi/runtime/win_completion.ts):
   * native code, never freed, that posts `(context, flag)` to this thread's I/O completion port, from which
   * a wait off the JS thread hands them to `fn`; so a pool thread that calls it after this isolate is gone
   * (a terminated worker) touches nothing of the isolate. `ref` makes that wait hold the process.
   */
  threadSafeCallback(fn: (context: number, flag: number) => void): ThreadSafeCallback;
  /** A reader of the 32-bit integer at a fixed native address (errno's, for instance), made once. */
  int32At(address: bigint): () => number;
  /**
   * A copy of `length` bytes of native memory at `address` (memory the C library allocated and owns,
   * such as getifaddrs' list). The caller guarantees the range is readable.
   */
  readBytes(address: bigint, length: number): Uint8Array;
  /**
   * A view of `length` bytes of native memory at `address`, without a copy (memory this module mapped
   * itself: the read-ahead arenas). The caller unmaps it only when no view of it is reachable.
   */
  viewBytes(address: bigint, length: number): Uint8Array;
  /**
   * POSIX: waits on the kernel event queue `queue` (an epoll instance on Linux, a kqueue on macOS) and resolves
   * with what epoll_wait or kevent returned: the number of events written to `events` (at most `max`), or -1
   * (errno then belongs to the thread that waited: the caller asks again without waiting to learn it). Deno
   * waits on its blocking pool (a nonblocking call), Bun in a worker, Node on its own event loop (a uv_poll_t
   * on `queue`, then a wait of 0 on the JS thread). `events` is memory that never moves and is not touched
   * until the promise settles. One wait at a time; while one runs, the process stays alive. Rejects when the
   * wait cannot start (a worker that does not start): nothing is kept of it, the next call tries again.
   */
  waitQueue(queue: number, events: Uint8Array, max: number): Promise<number>;
  /**
   * POSIX: memory for {@link waitQueue}'s `events`, `bytes` long. Deno and Bun wait on another thread, which
   * may still write there after a terminated worker's isolate has freed its own memory: for them it is a
   * mapping never given back. Node waits on the JS thread: an ArrayBuffer.
   */
  waitMemory(bytes: number): Uint8Array;
  /**
   * POSIX: whether the running wait of {@link waitQueue} keeps the process alive (each wait starts so);
   * with false the process may exit while it waits. Absent: every wait keeps it alive.
   */
  holdWait?(on: boolean): void;
  /**
   * Where the runtime can: `fd` (a descriptor, or a SOCKET on Windows) is to be closed when this thread
   * ends without running JS again (a terminated worker), if it is still open then (`on`), or no longer
   * (`on` false, just before it is closed). `wake`: 1 is written to it before anything is closed (the
   * event queue's control channel, so that a wait on another thread returns). Node does it with
   * environment cleanup hooks; Deno and Bun on Linux x86-64 with a `pthread_key_create` destructor
   * (ffi/runtime/posix_thread_end.ts); elsewhere Deno and Bun offer nothing that runs then.
   */
  closeWithThread?(fd: number | bigint, on: boolean, wake?: boolean): void;
  /**
   * Where the runtime can: the anonymous mapping at `address` of `size` bytes is to be unmapped when this
   * thread ends without running JS again (a terminated worker), if still mapped then (`on`), or no longer
   * (`on` false, just before it is unmapped). Node, Deno and Bun on Linux x86-64 (environment cleanup
   * hooks; the thread-end destructor of ffi/runtime/posix_thread_end.ts).
   */
  unmapWithThread?(address: bigint, size: number, on: boolean): void;
}
