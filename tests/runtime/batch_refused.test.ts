// Issue 19 #4: where the system refuses recvmmsg / sendmmsg (ENOSYS, EPERM, as under seccomp filters and
// sandboxes), receives and batch sends fall back to one call per datagram, for the whole process, said
// once on stderr; ENOBUFS on a send is a full buffer for a while (retried), then the error. The refusals
// are the kernel's own answers, injected into a child process by strace (skipped where it is missing).
import assert from "node:assert/strict";
import { child, onWindows, runtime, runtimeArgv, test } from "./harness.ts";

// deno-lint-ignore no-explicit-any
const node = (id: string) => (globalThis as any).process.getBuiltinModule(id);
const fixture = new URL("./fixtures/batch_refused.ts", import.meta.url).pathname;

function hasStrace(): string | undefined {
  if (onWindows) return "recvmmsg and sendmmsg are Linux's";
  try {
    node("node:child_process").execFileSync("strace", [
      "-f",
      "-o",
      "/dev/null",
      "-e",
      "inject=getpid:error=ENOSYS",
      "true",
    ]);
    return undefined;
  } catch {
    return "strace is missing or cannot trace here (apt-get install -y strace; ptrace must be allowed)";
  }
}
const skip = hasStrace();

/** Runs the fixture under strace with `inject`; its JSON line, its stderr, and strace's record of the calls. */
async function underStrace(inject: string[], mode: string) {
  // strace injects only into the calls it traces.
  const traced = inject.map((i) => i.split(":")[0]).join(",");
  const { mkdtempSync, readFileSync, rmSync } = node("node:fs");
  const dir = mkdtempSync(`${node("node:os").tmpdir()}/batch-refused-`);
  try {
    const argv = ["strace", "-f", "-o", `${dir}/trace`, "-e", `trace=${traced}`];
    argv.push(...inject.flatMap((i) => ["-e", `inject=${i}`]));
    const r = await child([...argv, ...runtimeArgv(fixture), mode], 60_000).done;
    const line = r.stdout.trim().split("\n").pop() ?? "";
    assert.ok(line.startsWith("{"), `the child printed ${JSON.stringify(r.stdout)}; stderr ${r.stderr}`);
    return { out: JSON.parse(line), stderr: r.stderr, trace: readFileSync(`${dir}/trace`, "utf8") as string };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const count = (text: string, what: RegExp) => text.split("\n").filter((l) => what.test(l)).length;
const expected = ["a", "b", "c", "d", "e"].flatMap((s) => [`0${s}`]).concat(
  ["a", "b", "c", "d", "e"].map((s) => `1${s}`),
);

for (const errno of ["ENOSYS", "EPERM"]) {
  test(
    `batch calls refused (${runtime}, ${errno}): one call per datagram, nothing lost, said once per process`,
    async () => {
      const { out, stderr } = await underStrace([`recvmmsg:error=${errno}`, `sendmmsg:error=${errno}`], "batch");
      assert.equal(out.error, undefined, String(out.error));
      assert.equal(out.sent0, 5, String(out.error0));
      assert.equal(out.sent1, 5, String(out.error1));
      assert.deepEqual(out.got, expected);
      assert.deepEqual(out.readAhead, { open: 0, arenas: 0 }, "no socket reads ahead and no arena is left mapped");
      assert.equal(count(stderr, /refuses recvmmsg/), 1, stderr);
      assert.equal(count(stderr, /refuses sendmmsg/), 1, stderr);
      assert.match(stderr, new RegExp(`refuses recvmmsg \\(${errno}`));
    },
    { skip, timeout: 90_000 },
  );
}

test(
  `ENOBUFS on a send (${runtime}): waited out like a full buffer, then sent`,
  async () => {
    const { out, trace } = await underStrace(["sendmsg:error=ENOBUFS:when=1..3"], "nobufs");
    assert.equal(count(trace, /sendmsg\(.*ENOBUFS/), 3, trace);
    assert.equal(out.error, undefined, String(out.error));
    assert.equal(out.sent, 8);
    assert.equal(out.got, "squeezed");
  },
  { skip, timeout: 90_000 },
);

test(
  `ENOBUFS on every send (${runtime}): a bounded wait, then the ENOBUFS error`,
  async () => {
    const { out, trace } = await underStrace(["sendmsg:error=ENOBUFS"], "nobufs");
    assert.equal(out.error, "ENOBUFS");
    // Retried after pauses (a full buffer), a bounded number of times: not given up at the first.
    const tries = count(trace, /sendmsg\(.*ENOBUFS/);
    assert.ok(tries > 1 && tries <= 20, `${tries} sendmsg calls met ENOBUFS`);
  },
  { skip, timeout: 90_000 },
);
