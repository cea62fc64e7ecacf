// Test networks in Linux network namespaces that the suite makes and removes itself. Addresses come
// from ranges reserved for testing and documentation (198.18.0.0/15, RFC 2544; 2001:db8::/32, RFC 3849)
// and exist only inside these namespaces. Needs root and iproute2; `netnsUnavailable()` says why not.
import { spawnSync } from "node:child_process";
import process from "node:process";
import { withNetns } from "./raw_posix.ts";

/** Why namespaces cannot be made here, or null when they can. */
export function netnsUnavailable(): string | null {
  const p = process as unknown as { getuid?: () => number; platform: string };
  if (p.platform !== "linux") return "network namespaces are a Linux feature";
  if (p.getuid?.() !== 0) return "making network namespaces needs root";
  if (spawnSync("ip", ["-V"]).status !== 0) return "iproute2's ip command is missing";
  return null;
}

/** Runs `ip ARGS` (or another command) and throws with its output when it fails. */
export function sh(cmd: string, ...args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}${r.error ?? ""}`);
  return r.stdout;
}

/** A set of namespaces removed together; `run` gives the argv prefix that runs a command inside one. */
export class TestNet implements Disposable {
  readonly prefix: string;
  readonly #names: string[] = [];
  constructor(tag: string) {
    this.prefix = `rmsg${process.pid % 100000}${tag}`;
    // A run that was killed may have left namespaces of the same name behind.
    for (const name of sh("ip", "netns", "list").split("\n").map((l) => l.split(" ")[0])) {
      if (name.startsWith(this.prefix)) spawnSync("ip", ["netns", "del", name]);
    }
  }
  /** Makes a namespace with loopback up; returns its name. */
  ns(suffix: string): string {
    const name = `${this.prefix}${suffix}`;
    sh("ip", "netns", "add", name);
    this.#names.push(name);
    this.exec(name, "ip", "link", "set", "lo", "up");
    return name;
  }
  /** Runs a command inside namespace `ns`. */
  exec(ns: string, cmd: string, ...args: string[]): string {
    return sh("ip", "netns", "exec", ns, cmd, ...args);
  }
  /** Links two namespaces with a veth pair named `ifA` / `ifB` (at most 15 characters), both up. */
  link(nsA: string, ifA: string, nsB: string, ifB: string): void {
    sh("ip", "link", "add", ifA, "netns", nsA, "type", "veth", "peer", "name", ifB, "netns", nsB);
    this.exec(nsA, "ip", "link", "set", ifA, "up");
    this.exec(nsB, "ip", "link", "set", ifB, "up");
  }
  /** Adds an address (CIDR) to an interface, without duplicate address detection. */
  addr(ns: string, ifName: string, cidr: string): void {
    this.exec(ns, "ip", "addr", "add", cidr, "dev", ifName, ...(cidr.includes(":") ? ["nodad"] : []));
  }
  /** The kernel's index of an interface, read from the namespace, never assumed. */
  ifindex(ns: string, ifName: string): number {
    return Number(this.exec(ns, "cat", `/sys/class/net/${ifName}/ifindex`).trim());
  }
  /** Runs `fn` on this thread inside namespace `ns`: sockets it opens through the module live there. */
  within<T>(ns: string, fn: () => T): T {
    return withNetns(`/run/netns/${ns}`, fn);
  }
  /** The argv prefix that runs a program inside `ns`. */
  run(ns: string): string[] {
    return ["ip", "netns", "exec", ns];
  }
  [Symbol.dispose](): void {
    for (const name of this.#names.splice(0)) spawnSync("ip", ["netns", "del", name]);
  }
}

/**
 * Two namespaces `a` and `b` joined by a veth pair whose `a` end is shaped to `rate` with tc's token
 * bucket (a deep queue, so that a sending socket's buffer fills before the queue does), with
 * `198.18.SUBNET.1` on `a` and `.2` on `b`.
 */
export function shapedLink(
  tag: string,
  subnet: number,
  rate: string,
): { net: TestNet; a: string; b: string; to: string } {
  const net = new TestNet(tag);
  const a = net.ns("a");
  const b = net.ns("b");
  const [ia, ib] = [`rm${tag}a`, `rm${tag}b`];
  net.link(a, ia, b, ib);
  net.addr(a, ia, `198.18.${subnet}.1/24`);
  net.addr(b, ib, `198.18.${subnet}.2/24`);
  net.exec(a, "tc", "qdisc", "add", "dev", ia, "root", "tbf", "rate", rate, "burst", "4kb", "limit", "4mb");
  return { net, a, b, to: `198.18.${subnet}.2` };
}

/**
 * For tests that run a Windows runtime under Wine inside a namespace (the wineserver makes the
 * sockets, so it must be started there): the argv prefix of scripts/wine.sh for this runtime, and
 * `stop`, which ends the wineserver (call it before and after). Only from the Linux suite.
 */
export const wineInNamespace = {
  argv(runtime: string): string[] {
    return [
      "bash",
      "scripts/wine.sh",
      ...(runtime === "deno"
        ? ["deno", "run", "-A"]
        : runtime === "node"
        ? ["node", "--disable-warning=ExperimentalWarning"]
        : ["bun"]),
    ];
  },
  stop(): void {
    spawnSync("bash", ["scripts/wine.sh", "stop"], { timeout: 30_000 });
  },
  /** Why such a test cannot run here, or null. */
  unavailable(_runtime: string): string | null {
    const p = process as unknown as { platform: string };
    if (p.platform !== "linux") return "drives Wine from Linux";
    return netnsUnavailable();
  },
};
