/**
 * Two x86-64 Windows thunks, as machine code with the assembly it was made from, for what node:ffi
 * cannot do by itself on Windows (ffi/runtime/node_windows.ts):
 *
 * - `callByAddress`, an `InitOnceExecuteOnce` callback: it calls the function whose address and up to
 *   six integer arguments are in the block its `Parameter` points at, stores the result and the
 *   thread's last error (TEB.LastErrorValue, gs:[0x68]) in the block, and returns TRUE. node:ffi calls
 *   exported functions only; WSARecvMsg is reached through WSAIoctl as an address.
 * - `postCompletion`, a `WAITORTIMERCALLBACK`: run by a thread-pool thread when a registered wait
 *   fires, it posts its context (as the completion key) and flag (as the byte count) to an I/O
 *   completion port, from which a Node worker takes them: node:ffi callbacks must run on the thread
 *   that made them. The port and PostQueuedCompletionStatus's address are read from a block whose
 *   address is patched into the code at {@link POST_COMPLETION_BLOCK_AT}.
 *
 * `tests/pure/thunks.test.ts` assembles {@link THUNK_SOURCE} with mingw-w64's `as` and compares.
 *
 * @module
 */

/** The assembly (GNU as, Intel syntax), in the Windows x64 calling convention. */
export const THUNK_SOURCE = `  .intel_syntax noprefix
  .text
call_by_address:            # BOOL CALLBACK (PINIT_ONCE, PVOID block, PVOID *context)
  push rbx
  sub rsp, 64               # 32 bytes of shadow space, two stack arguments; rsp stays 16-aligned
  mov rbx, rdx
  mov rax, [rbx+40]         # arguments 5 and 6 on the stack
  mov [rsp+32], rax
  mov rax, [rbx+48]
  mov [rsp+40], rax
  mov rcx, [rbx+8]          # arguments 1 to 4 in registers
  mov rdx, [rbx+16]
  mov r8, [rbx+24]
  mov r9, [rbx+32]
  call qword ptr [rbx]      # the function
  mov [rbx+56], rax         # its result
  mov eax, dword ptr gs:[0x68]
  mov [rbx+64], eax         # its last error, before anything else can set one
  mov eax, 1
  add rsp, 64
  pop rbx
  ret
post_completion:            # VOID CALLBACK (PVOID context, BOOLEAN fired)
  sub rsp, 40
  movzx edx, dl             # dwNumberOfBytesTransferred = fired
  mov r8, rcx               # dwCompletionKey = context
  movabs rax, 0x1122334455667788
  mov rcx, [rax]            # the port
  xor r9d, r9d              # no OVERLAPPED
  call qword ptr [rax+8]    # PostQueuedCompletionStatus
  add rsp, 40
  ret
`;

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));

/** `call_by_address`'s bytes. Its block: function at 0, arguments at 8..48, result at 56, last error (u32) at 64. */
export const CALL_BY_ADDRESS: Uint8Array = hex(
  "534883ec404889d3488b43284889442420488b43304889442428488b4b08488b53104c8b43184c8b4b20ff1348894338658b042568000000894340b8010000004883c4405bc3",
);

/** `post_completion`'s bytes, with 0x1122334455667788 where the block's address goes. */
export const POST_COMPLETION: Uint8Array = hex("4883ec280fb6d24989c848b88877665544332211488b084531c9ff50084883c428c3");

/** Where in {@link POST_COMPLETION} the 8-byte block address is written. */
export const POST_COMPLETION_BLOCK_AT = 12;

/** The call block of {@link CALL_BY_ADDRESS}. */
export const CALL_BLOCK = { fn: 0, args: 8, maxArgs: 6, result: 56, lastError: 64, size: 72 } as const;
