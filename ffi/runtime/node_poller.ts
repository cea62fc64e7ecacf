/**
 * Node's waiting thread for the POSIX backend (see ffi/runtime/bun_poller.ts for Bun's): node:ffi has no call
 * that runs off the JS thread, so this worker makes the one blocking poll(2) of the process's poll set
 * (ffi/posix/poll_set.ts). It is given the address of the set's `struct pollfd` array and its length, polls
 * without a timeout, and answers with poll's result. The array belongs to the main thread, which does
 * not touch it until the answer.
 *
 * @module
 */
import { ffi, parentPort } from "./node_worker.ts";

let poll: ((address: bigint, n: bigint, timeout: number) => number) | undefined;

parentPort.on("message", ([address, n, libc]: [bigint, number, string]) => {
  poll ??= new ffi.DynamicLibrary(libc).getFunction("poll", {
    return: "i32",
    arguments: ["pointer", "u64", "i32"],
  }) as unknown as NonNullable<typeof poll>;
  parentPort.postMessage(poll!(address, BigInt(n), -1));
});
