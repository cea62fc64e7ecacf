// The thread-end destructor Deno and Bun use on Linux x86-64 (ffi/tables/thread_end.ts) is what the
// system's assembler makes of the assembly beside it, and reads the table at the offsets the caller writes.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import {
  CLOSE_IF_SAME_CODE,
  CLOSE_IF_SAME_SOURCE,
  mappingSlot,
  POLL_WAKE_CODE,
  POLL_WAKE_RECORD as R,
  POLL_WAKE_SOURCE,
  POLL_WAKE_WORDS as P,
  THREAD_END_CODE,
  THREAD_END_SOURCE,
  THREAD_END_TABLE as T,
  UNMAP_END_CODE,
  UNMAP_END_SOURCE,
  UNMAP_END_WORDS as U,
  WINDOWS_THREAD_END_CODE,
  WINDOWS_THREAD_END_SOURCE,
  WINDOWS_THREAD_END_TABLE as W,
} from "../../ffi/tables/thread_end.ts";

/** The .text bytes the assembler makes of `source`, and its symbol table (`nm`). */
function assemble(source: string, tag: string, as = "as", prefix = ""): { code: Uint8Array; symbols: string } {
  const dir = mkdtempSync(join(tmpdir(), `recvmsg-${tag}-`));
  writeFileSync(join(dir, "t.s"), source);
  execFileSync(as, [...(prefix ? [] : ["--64"]), "-o", join(dir, "t.o"), join(dir, "t.s")]);
  execFileSync(`${prefix}objcopy`, ["-O", "binary", "-j", ".text", join(dir, "t.o"), join(dir, "t.bin")]);
  const symbols = execFileSync(`${prefix}nm`, [join(dir, "t.o")], { encoding: "utf8" });
  return { code: new Uint8Array(readFileSync(join(dir, "t.bin"))), symbols };
}

/** Where `nm` says the assembler put `name` (a local text symbol). */
const symbolAt = (symbols: string, name: string) =>
  parseInt(new RegExp(`^([0-9a-f]+) t ${name}$`, "m").exec(symbols)![1], 16);

it("the thread-end destructor's bytes are what x86-64 `as` assembles from its source", () => {
  expect([...assemble(THREAD_END_SOURCE, "thread-end").code]).toEqual([...THREAD_END_CODE]);
});

it("the destructor reads the table where the caller writes it", () => {
  const src = THREAD_END_SOURCE;
  expect(src).toContain(`call qword ptr [rbx]      # close`);
  expect(T.close).toBe(0);
  expect(src).toContain(`call qword ptr [rbx+${T.write}]    # write`);
  expect(src).toContain(`call qword ptr [rbx+${T.keyDelete}]   # pthread_key_delete`);
  expect(src).toContain(`mov rax, [rbx+${T.munmap}]`);
  expect(src).toContain(`call qword ptr [rbx+${T.munmap}]   # munmap(address, size)`);
  expect(src).toContain(`mov edi, dword ptr [rbx+${T.key}]`);
  expect(src).toContain(`mov rdi, [rbx+${T.mapping}]`);
  expect(src).toContain(`mov rsi, [rbx+${T.mappingSize}]`);
  expect(src).toContain(`call qword ptr [rbx+${T.nanosleep}]`);
  expect(src.match(new RegExp(`cmp r12, \\[rbx\\+${T.capacity}\\]`, "g"))?.length).toBe(2);
  expect(src.match(new RegExp(`mov rax, \\[rbx\\+${T.slots}\\+r12\\*8\\]`, "g"))?.length).toBe(2);
});

it("the Windows thread-end callback's bytes are what x86_64-w64-mingw32-as assembles from its source", () => {
  const { code } = assemble(
    WINDOWS_THREAD_END_SOURCE,
    "thread-end-win",
    "x86_64-w64-mingw32-as",
    "x86_64-w64-mingw32-",
  );
  // The section is padded to 16 bytes with nops; the code is what comes before.
  expect([...code.subarray(0, WINDOWS_THREAD_END_CODE.length)]).toEqual([...WINDOWS_THREAD_END_CODE]);
  expect([...code.subarray(WINDOWS_THREAD_END_CODE.length)].every((b) => b === 0x90)).toBe(true);
  const src = WINDOWS_THREAD_END_SOURCE;
  expect(src).toContain(`cmp rsi, [rbx+${W.capacity}]`);
  expect(src).toContain(`mov rcx, [rbx+${W.slots}+rsi*8]`);
  expect(src).toContain(`mov rax, [rbx+${W.virtualFree}]`);
  expect(W.closesocket).toBe(0);
  expect(src).toMatch(/call qword ptr \[rbx\] +# closesocket/);
});

it("the poll-wake callback's bytes are what x86-64 `as` assembles from its source, words where the caller writes them", () => {
  const { code, symbols } = assemble(POLL_WAKE_SOURCE, "poll-wake");
  expect([...code]).toEqual([...POLL_WAKE_CODE]);
  // The symbol table says where the assembler put each word.
  const at = (name: string) => symbolAt(symbols, name);
  expect({ uvPollStop: at("stop"), write: at("write"), fd: at("fd") }).toEqual(P);
  expect(POLL_WAKE_CODE[at("one")]).toBe(1);
});

it("the arena-unmapping hook's bytes are what x86-64 `as` assembles from its source, words where the caller writes them", () => {
  const { code, symbols } = assemble(UNMAP_END_SOURCE, "unmap-end");
  expect([...code]).toEqual([...UNMAP_END_CODE]);
  const at = (name: string) => symbolAt(symbols, name);
  expect({ size: at("size"), munmap: at("munmap") }).toEqual(U);
});

it("a mapping's slot holds its address and its size in pages, and only what the destructor can decode", () => {
  expect(mappingSlot(0x7f12_3456_7000n, 4096 * 33)).toBe((1n << 62n) | (33n << 48n) | 0x7f12_3456_7000n);
  expect(mappingSlot(0x7f12_3456_7001n, 4096)).toBeNull();
  expect(mappingSlot(1n << 48n, 4096)).toBeNull();
  expect(mappingSlot(0x1000n, 4096 * 0x4000)).toBeNull();
  expect(mappingSlot(0x1000n, 100)).toBeNull();
});

it("the destructor, run by a C program on a table as the caller writes it, closes, wakes and unmaps", () => {
  // The code goes on a page of its own, the table on the next (the destructor unmaps both as its last step);
  // the program then checks each descriptor and mapping with the system's own calls.
  const dir = mkdtempSync(join(tmpdir(), "recvmsg-thread-end-run-"));
  const hex = [...THREAD_END_CODE].map((b) => `0x${b.toString(16)}`).join(",");
  const slot = (s: string) => `*(long long *)(t + ${T.slots} + 8 * ${s})`;
  writeFileSync(
    join(dir, "run.c"),
    `#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
static const unsigned char code[] = {${hex}};
int main(void) {
  unsigned char *m = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memcpy(m, code, sizeof code);
  unsigned char *t = m + 4096;
  pthread_key_t key;
  pthread_key_create(&key, 0);
  void *arena = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int ev = eventfd(0, 0), fd = dup(0);
  *(void **)(t + ${T.close}) = dlsym(RTLD_DEFAULT, "close");
  *(void **)(t + ${T.write}) = dlsym(RTLD_DEFAULT, "write");
  *(void **)(t + ${T.keyDelete}) = dlsym(RTLD_DEFAULT, "pthread_key_delete");
  *(void **)(t + ${T.munmap}) = dlsym(RTLD_DEFAULT, "munmap");
  *(void **)(t + ${T.nanosleep}) = dlsym(RTLD_DEFAULT, "nanosleep");
  *(long long *)(t + ${T.key}) = key;
  *(void **)(t + ${T.mapping}) = m;
  *(long long *)(t + ${T.mappingSize}) = 8192;
  *(long long *)(t + ${T.capacity}) = 4;
  ${slot("0")} = -1;
  ${slot("1")} = (long long)fd;
  ${slot("2")} = (1LL << 62) | (3LL << 48) | (long long)arena;
  ${slot("3")} = (1LL << 32) | ev;
  int dupEv = dup(ev); /* the eventfd's counter, read after its slot's descriptor is closed */
  mprotect(m, 4096, PROT_READ | PROT_EXEC);
  ((void (*)(void *))m)(t);
  unsigned long long n = 0;
  unsigned char v;
  printf("fd %d\\n", fcntl(fd, F_GETFD) == -1 && errno == EBADF);
  printf("eventfd %d\\n", fcntl(ev, F_GETFD) == -1 && errno == EBADF);
  printf("woken %d\\n", read(dupEv, &n, 8) == 8 && n == 1);
  printf("arena %d\\n", mincore(arena, 3 * 4096, &v) == -1 && errno == ENOMEM);
  printf("own %d\\n", mincore(m, 8192, &v) == -1 && errno == ENOMEM);
  printf("key %d\\n", pthread_key_delete(key) == EINVAL);
  return 0;
}
`,
  );
  execFileSync("gcc", ["-O1", "-o", join(dir, "run"), join(dir, "run.c")]);
  const out = execFileSync(join(dir, "run"), { encoding: "utf8" });
  expect(out).toBe("fd 1\neventfd 1\nwoken 1\narena 1\nown 1\nkey 1\n");
});

it("the wake pipe's close-if-same hook is what `as` assembles, and a C program proves it closes only its own pipe", () => {
  expect([...assemble(CLOSE_IF_SAME_SOURCE, "close-if-same").code]).toEqual([...CLOSE_IF_SAME_CODE]);
  const src = CLOSE_IF_SAME_SOURCE;
  expect(src).toContain(`sub rsp, ${R.statSize}`);
  expect(src).toContain(`call qword ptr [rbx+${R.fstat}]   # fstat`);
  expect(src).toContain(`cmp rax, [rbx+${R.dev}]          # st_dev`);
  expect(src).toContain(`mov rax, [rsp+${R.statIno}]`);
  expect(src).toContain(`cmp rax, [rbx+${R.ino}]         # st_ino`);
  expect(src).toContain(`call qword ptr [rbx+${R.close}]   # close`);
  expect(R.fd).toBe(0);
  expect(R.statDev).toBe(0);
  // The record fits between the code and the end of the page, after the poll callback's bytes.
  expect(POLL_WAKE_CODE.length).toBeLessThanOrEqual(R.code);
  expect(R.code + CLOSE_IF_SAME_CODE.length).toBeLessThanOrEqual(R.record);
  const dir = mkdtempSync(join(tmpdir(), "recvmsg-close-if-same-"));
  const hex = [...CLOSE_IF_SAME_CODE].map((b) => `0x${b.toString(16)}`).join(",");
  writeFileSync(
    join(dir, "run.c"),
    `#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
_Static_assert(offsetof(struct stat, st_dev) == ${R.statDev} && sizeof(((struct stat *)0)->st_dev) == 8, "st_dev");
_Static_assert(offsetof(struct stat, st_ino) == ${R.statIno} && sizeof(((struct stat *)0)->st_ino) == 8, "st_ino");
_Static_assert(sizeof(struct stat) <= ${R.statSize}, "struct stat");
static const unsigned char code[] = {${hex}};
static void (*hook)(void *);
static int run(int fd, int readFdOfRecord) {
  static long long rec[5];
  struct stat st;
  fstat(readFdOfRecord, &st);
  rec[${R.fd / 8}] = fd;
  rec[${R.dev / 8}] = (long long)st.st_dev;
  rec[${R.ino / 8}] = (long long)st.st_ino;
  rec[${R.fstat / 8}] = (long long)(void *)fstat;
  rec[${R.close / 8}] = (long long)(void *)close;
  hook(rec);
  return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}
int main(void) {
  unsigned char *m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memcpy(m, code, sizeof code);
  mprotect(m, 4096, PROT_READ | PROT_EXEC);
  hook = (void (*)(void *))m;
  int a[2], b[2];
  pipe(a);
  printf("own %d\\n", run(a[0], a[0]));   /* still the pipe: closed */
  printf("gone %d\\n", run(a[0], a[1]));  /* already closed: left so, no crash */
  pipe(a);
  pipe(b);
  int n = dup(a[0]);
  struct stat was;
  fstat(n, &was);
  dup2(b[0], n);                          /* the number now names another pipe: left open */
  int kept = run(n, a[0]) == 0;
  dup2(a[0], n);
  printf("other %d\\n", kept);
  return 0;
}
`,
  );
  execFileSync("gcc", ["-O1", "-o", join(dir, "run"), join(dir, "run.c")]);
  expect(execFileSync(join(dir, "run"), { encoding: "utf8" })).toBe("own 1\ngone 1\nother 1\n");
});
