// A multi-homed test network in namespaces: a server with two links (A and B) and an alias address on
// A, and a client on each link. IPv4 and IPv6 (nodad, DAD off so link-locals are usable at once).
// Addresses from the benchmarking range 198.18.0.0/15 (RFC 2544) and 2001:db8::/32 (RFC 3849), only
// inside these namespaces.
import { TestNet } from "./netns.ts";

/** The network's names, indexes and addresses. */
export interface MultiHomed {
  readonly net: TestNet;
  /** Namespaces. */
  readonly server: string;
  readonly clientA: string;
  readonly clientB: string;
  /** Interface names and the kernel's indexes (read from /sys in each namespace). */
  readonly serverIfA: string;
  readonly serverIfB: string;
  readonly indexA: number;
  readonly indexB: number;
  readonly clientIndexA: number;
  readonly clientIndexB: number;
}

/** The addresses, by role. */
export const ADDR = {
  serverA: "198.18.10.1",
  serverAlias: "198.18.10.100",
  serverB: "198.18.20.1",
  clientA: "198.18.10.2",
  clientA2: "198.18.10.3",
  clientB: "198.18.20.2",
  serverA6: "2001:db8:a::1",
  serverB6: "2001:db8:b::1",
  clientA6: "2001:db8:a::2",
  clientB6: "2001:db8:b::2",
} as const;

/** Builds the network; dispose the returned TestNet (through `net`) to remove it. */
export function multiHomed(tag: string): MultiHomed {
  const net = new TestNet(tag);
  try {
    const server = net.ns("s");
    const clientA = net.ns("a");
    const clientB = net.ns("b");
    for (const ns of [server, clientA, clientB]) {
      net.exec(ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0");
    }
    const p = net.prefix.slice(-6);
    const [serverIfA, serverIfB, cA, cB] = [`s${p}a`, `s${p}b`, `c${p}a`, `c${p}b`];
    net.link(server, serverIfA, clientA, cA);
    net.link(server, serverIfB, clientB, cB);
    net.addr(server, serverIfA, `${ADDR.serverA}/24`);
    net.addr(server, serverIfA, `${ADDR.serverAlias}/24`);
    net.addr(server, serverIfB, `${ADDR.serverB}/24`);
    net.addr(clientA, cA, `${ADDR.clientA}/24`);
    net.addr(clientA, cA, `${ADDR.clientA2}/24`);
    net.addr(clientB, cB, `${ADDR.clientB}/24`);
    net.addr(server, serverIfA, `${ADDR.serverA6}/64`);
    net.addr(server, serverIfB, `${ADDR.serverB6}/64`);
    net.addr(clientA, cA, `${ADDR.clientA6}/64`);
    net.addr(clientB, cB, `${ADDR.clientB6}/64`);
    return {
      net,
      server,
      clientA,
      clientB,
      serverIfA,
      serverIfB,
      indexA: net.ifindex(server, serverIfA),
      indexB: net.ifindex(server, serverIfB),
      clientIndexA: net.ifindex(clientA, cA),
      clientIndexB: net.ifindex(clientB, cB),
    };
  } catch (e) {
    net[Symbol.dispose]();
    throw e;
  }
}
