/**
 * What closes a terminated Deno or Bun worker's sockets on Linux x86-64: neither runtime runs any JS of
 * ours when `worker.terminate()` ends a worker's thread, but the C library still runs the destructors of
 * the thread's `pthread_key_create` keys as the thread exits. This destructor, as machine code with the
 * assembly it was made from, is handed a table of the thread's descriptors and mappings: it writes 1 to
 * each marked descriptor (the event queue's control channel, so a wait on another thread returns), then,
 * if it wrote, sleeps 2 ms (a close before the waiting thread ran would take the wake-up back), closes
 * every descriptor and unmaps every mapping (read-ahead arenas), deletes its key and unmaps its own
 * mapping (code page and table) as its last step.
 *
 * `tests/pure/thread_end.test.ts` assembles {@link THREAD_END_SOURCE} with the system's `as` and compares.
 *
 * @module
 */
import type { SymbolTable } from "../types.ts";

/** The assembly (GNU as, Intel syntax), in the System V AMD64 calling convention. */
export const THREAD_END_SOURCE = `  .intel_syntax noprefix
  .text
thread_end:                 # void destructor(void *table): a pthread key's, run as the thread ends
  push rbx
  push r12
  push r13                  # three pushes: rsp is 16-aligned for the calls
  mov rbx, rdi
  xor r12d, r12d
  xor r13d, r13d            # whether a wait was told to return
wake:                       # first end the waits: write 1 to each control channel marked (bit 32)
  cmp r12, [rbx+64]
  jae close_all
  mov rax, [rbx+72+r12*8]
  inc r12
  test rax, rax
  js wake                   # an empty slot (-1)
  bt rax, 62
  jc wake                   # a mapping, not a descriptor
  bt rax, 32
  jnc wake
  mov edi, eax
  lea rsi, [rip+one]
  mov edx, 8
  call qword ptr [rbx+8]    # write(fd, &one, 8)
  mov r13d, 1
  jmp wake
close_all:
  test r13d, r13d
  jz close_start
  lea rdi, [rip+pause]      # give the waiting thread 2 ms to return before its queue's descriptors
  xor esi, esi              # close: a close that comes first takes the wake-up back
  call qword ptr [rbx+56]   # nanosleep(&pause, NULL)
close_start:
  xor r12d, r12d
close_next:
  cmp r12, [rbx+64]
  jae done
  mov rax, [rbx+72+r12*8]
  inc r12
  test rax, rax
  js close_next
  bt rax, 62
  jc unmap_one
  mov edi, eax
  call qword ptr [rbx]      # close(fd)
  jmp close_next
unmap_one:                  # bit 62: a mapping, its address in bits 0-47, its size in pages in 48-61
  mov rsi, rax
  shr rsi, 48
  and esi, 0x3fff
  shl rsi, 12
  shl rax, 16
  shr rax, 16
  mov rdi, rax
  call qword ptr [rbx+24]   # munmap(address, size)
  jmp close_next
done:
  mov edi, dword ptr [rbx+32]
  call qword ptr [rbx+16]   # pthread_key_delete(key): one key per thread, given back
  mov rdi, [rbx+40]
  mov rsi, [rbx+48]
  mov rax, [rbx+24]
  pop r13
  pop r12
  pop rbx
  jmp rax                   # munmap(mapping, size): this code's own page too, so it is the last step
  .balign 8
one:
  .quad 1
pause:                      # struct timespec: 0 s, 2,000,000 ns
  .quad 0
  .quad 2000000
`;

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));

/** The destructor's bytes (position-independent: it goes at the start of its own page). */
export const THREAD_END_CODE: Uint8Array = hex(
  "53415441554889fb4531e44531ed4c3b634073344a8b44e34849ffc44885c078ed480fbae03e72e6480fbae02073df89c7488d3580000000" +
    "ba08000000ff530841bd01000000ebc64585ed740c488d3d6c00000031f6ff53384531e44c3b6340733b4a8b44e34849ffc44885c078ed48" +
    "0fbae03e720689c7ff13ebe04889c648c1ee3081e6ff3f000048c1e60c48c1e01048c1e8104889c7ff5318ebbf8b7b20ff5310488b7b2848" +
    "8b7330488b4318415d415c5bffe066900100000000000000000000000000000080841e0000000000",
);

/**
 * The table the destructor reads (little-endian u64s): the addresses of `close`, `write`,
 * `pthread_key_delete` and `munmap`; the key; the mapping's address and size; `nanosleep`'s address; how
 * many slots; then the slots, each a descriptor (bit 32 set: write 1 to it before closing anything), a
 * mapping to unmap (bit 62 set; the address in bits 0–47, the size in pages in bits 48–61), or -1 for none.
 */
export const THREAD_END_TABLE = {
  close: 0,
  write: 8,
  keyDelete: 16,
  munmap: 24,
  key: 32,
  mapping: 40,
  mappingSize: 48,
  nanosleep: 56,
  capacity: 64,
  slots: 72,
} as const;

/**
 * A slot of that table for the mapping at `address` of `size` bytes, or null when it cannot be one (an
 * address not page-aligned or past 48 bits, a size not a whole number of pages or over 0x3fff pages).
 *
 * @example
 * ```ts
 * mappingSlot(0x7f00_0000_0000n, 8192); // 0x4002_7f00_0000_0000n
 * ```
 */
export function mappingSlot(address: bigint, size: number): bigint | null {
  const pages = size / 4096;
  if (!Number.isInteger(pages) || pages < 1 || pages > 0x3fff) return null;
  if (address <= 0n || address >= 1n << 48n || (address & 0xfffn) !== 0n) return null;
  return (1n << 62n) | (BigInt(pages) << 48n) | address;
}

/** The C library's functions it needs bound; the five it calls are found by `dlsym`. */
export const LIBC_THREAD_END = {
  dlsym: { c: "void *dlsym(void *handle, const char *symbol)", parameters: ["handle", "buffer"], result: "handle" },
  pthread_key_create: {
    c: "int pthread_key_create(pthread_key_t *key, void (*destructor)(void *))",
    parameters: ["buffer", "handle"],
    result: "i32",
  },
  pthread_key_delete: { c: "int pthread_key_delete(pthread_key_t key)", parameters: ["u32"], result: "i32" },
  pthread_setspecific: {
    c: "int pthread_setspecific(pthread_key_t key, const void *value)",
    parameters: ["u32", "handle"],
    result: "i32",
  },
} as const satisfies SymbolTable;

/**
 * The same for Deno and Bun on Windows x64: an FLS slot's callback, which Windows (and Wine) run as a
 * thread exits with the slot set. It closes each socket of its table (`closesocket`) and frees its own
 * allocation (`VirtualFree`: code page, then table page) as its last step. Windows x64 calling convention.
 */
export const WINDOWS_THREAD_END_SOURCE = `  .intel_syntax noprefix
  .text
fls_end:                    # VOID NTAPI callback(PVOID table): an FLS slot's, run as the thread ends
  push rbx
  push rsi
  sub rsp, 40               # 32 bytes of shadow space; rsp 16-aligned for the calls
  mov rbx, rcx
  xor esi, esi
next:
  cmp rsi, [rbx+16]         # how many slots
  jae done
  mov rcx, [rbx+24+rsi*8]
  inc rsi
  cmp rcx, -1               # an empty slot (INVALID_SOCKET)
  je next
  call qword ptr [rbx]      # closesocket(s)
  jmp next
done:
  mov rcx, rbx              # VirtualFree(table's allocation, 0, MEM_RELEASE): this code's own page too,
  sub rcx, 4096             # so it is the last step (the table is the allocation's second page)
  xor edx, edx
  mov r8d, 0x8000
  mov rax, [rbx+8]
  add rsp, 40
  pop rsi
  pop rbx
  jmp rax
`;

/** Its bytes (position-independent: the start of the allocation's first page; the table is the second). */
export const WINDOWS_THREAD_END_CODE: Uint8Array = hex(
  "53564883ec284889cb31f6483b73107312488b4cf31848ffc64883f9ff74ecff13ebe84889d94881e90010000031d241b800800000488b43" +
    "084883c4285e5bffe0",
);

/** Its table: `closesocket`'s and `VirtualFree`'s addresses, how many slots, then SOCKETs (all ones: none). */
export const WINDOWS_THREAD_END_TABLE = { closesocket: 0, virtualFree: 8, capacity: 16, slots: 24 } as const;

/** kernel32's fiber-local storage, whose slots' callbacks run at a thread's end, and VirtualFree. */
export const KERNEL32_THREAD_END = {
  FlsAlloc: { c: "DWORD FlsAlloc(PFLS_CALLBACK_FUNCTION lpCallback)", parameters: ["handle"], result: "u32" },
  FlsSetValue: {
    c: "BOOL FlsSetValue(DWORD dwFlsIndex, PVOID lpFlsData)",
    parameters: ["u32", "handle"],
    result: "i32",
  },
  FlsFree: { c: "BOOL FlsFree(DWORD dwFlsIndex)", parameters: ["u32"], result: "i32" },
  VirtualFree: {
    c: "BOOL VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType)",
    parameters: ["handle", "handle", "u32"],
    result: "i32",
  },
} as const satisfies SymbolTable;

/**
 * What a Node worker thread's wait on its event loop calls (Linux x86-64): a `uv_poll_cb` that runs no
 * JavaScript. When `worker.terminate()` ends a worker, Node's teardown runs the thread's libuv loop again
 * with JavaScript forbidden, and a node:ffi callback called then aborts the process ("Callbacks cannot
 * throw an exception"): it happened whenever datagrams were queued as the worker ended. This stops the
 * poll (level-triggered, it would fire on every turn) and writes one byte to a pipe whose other end Node
 * reads as a stream: a handle of Node's own, which its teardown closes before it runs the loop, and whose
 * callbacks it runs only while JavaScript may run. Its words: `uv_poll_stop`'s address, `write`'s, the
 * pipe's write end.
 */
export const POLL_WAKE_SOURCE = `  .intel_syntax noprefix
  .text
poll_wake:                  # void uv_poll_cb(uv_poll_t *handle, int status, int events)
  push rbx                  # rsp 16-aligned for the calls
  call qword ptr [rip+stop] # uv_poll_stop(handle): level-triggered, it would fire on every turn
  mov edi, dword ptr [rip+fd]
  lea rsi, [rip+one]
  mov edx, 1
  call qword ptr [rip+write] # write(fd, &one, 1): the pipe Node reads tells the JS thread
  pop rbx
  ret
  .balign 8
stop:
  .quad 0
write:
  .quad 0
fd:
  .long 0
one:
  .byte 1
`;

/** Its bytes, words included (position-independent: the start of its own page). */
export const POLL_WAKE_CODE: Uint8Array = hex(
  "53ff15210000008b3d2b000000488d3528000000ba01000000ff15110000005bc30f1f800000000000000000000000000000000000000000" +
    "0000000001",
);

/** Where its words are, from the start of the code. */
export const POLL_WAKE_WORDS = { uvPollStop: 0x28, write: 0x30, fd: 0x38 } as const;

/**
 * What Node's environment cleanup hooks call for the wake pipe's read end (Linux x86-64): `close(fd)` only
 * if the number still names the pipe it was given for (`fstat`: the same device and inode). The read end
 * is owned by this hook from before the stream that reads it is made until the thread ends, and by the
 * stream too once it is made: at a worker's end the stream closes it first, and the hook finds the number
 * closed or naming another thread's file, and leaves it. Its record: the descriptor, its `st_dev` and
 * `st_ino`, `fstat`'s and `close`'s addresses (POLL_WAKE_RECORD).
 */
export const CLOSE_IF_SAME_SOURCE = `  .intel_syntax noprefix
  .text
close_if_same:              # void hook(void *record): an environment cleanup hook's
  push rbx                  # then 144 bytes for a struct stat: rsp stays 16-aligned for the calls
  sub rsp, 144
  mov rbx, rdi
  mov edi, dword ptr [rbx]
  mov rsi, rsp
  call qword ptr [rbx+24]   # fstat(fd, &st)
  test eax, eax
  jnz done                  # closed already (EBADF): the stream took it
  mov rax, [rsp]
  cmp rax, [rbx+8]          # st_dev
  jne done
  mov rax, [rsp+8]
  cmp rax, [rbx+16]         # st_ino: the number now names another file: not ours to close
  jne done
  mov edi, dword ptr [rbx]
  call qword ptr [rbx+32]   # close(fd)
done:
  add rsp, 144
  pop rbx
  ret
`;

/** Its bytes (position-independent). */
export const CLOSE_IF_SAME_CODE: Uint8Array = hex(
  "534881ec900000004889fb8b3b4889e6ff531885c0751a488b0424483b43087510488b442408483b431075058b3bff53204881c4900000005bc3",
);

/**
 * Where the wake's page holds the hook's code and its record (`fd`, `dev`, `ino`, `fstat`, `close`: u64
 * each), and where `struct stat` (x86-64 glibc, at most 144 bytes) has `st_dev` and `st_ino`.
 */
export const POLL_WAKE_RECORD = {
  code: 0x80,
  record: 0x100,
  fd: 0,
  dev: 8,
  ino: 16,
  fstat: 24,
  close: 32,
  statDev: 0,
  statIno: 8,
  statSize: 144,
} as const;

/** The C library's calls that make its pipe (and close it again if its page cannot be had). */
export const LIBC_POLL_WAKE = {
  pipe2: { c: "int pipe2(int pipefd[2], int flags)", parameters: ["buffer", "i32"], result: "i32" },
  close: { c: "int close(int fd)", parameters: ["i32"], result: "i32" },
  fstat: { c: "int fstat(int fd, struct stat *statbuf)", parameters: ["i32", "buffer"], result: "i32" },
} as const satisfies SymbolTable;

/**
 * What Node's environment cleanup hooks call to unmap a terminated worker's read-ahead arena (Linux
 * x86-64): a hook passes one pointer, and `munmap` takes the length too, so this passes the mapping on with
 * the length from its words: `munmap(mapping, size)`. Its words: the size, `munmap`'s address.
 */
export const UNMAP_END_SOURCE = `  .intel_syntax noprefix
  .text
unmap_end:                  # void hook(void *mapping): an environment cleanup hook's
  mov rsi, qword ptr [rip+size]
  jmp qword ptr [rip+munmap] # munmap(mapping, size)
  .balign 8
size:
  .quad 0
munmap:
  .quad 0
`;

/** Its bytes, words included (position-independent). */
export const UNMAP_END_CODE: Uint8Array = hex("488b3509000000ff250b0000000f1f0000000000000000000000000000000000");

/** Where its words are, from the start of the code. */
export const UNMAP_END_WORDS = { size: 0x10, munmap: 0x18 } as const;
