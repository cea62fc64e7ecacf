// The examples' server loops survive any datagram (issue 19, item 1): a datagram sent to the broadcast
// address 127.255.255.255 (its localAddr is no source the kernel accepts for the reply) and one from
// UDP source port 0 (an answer to port 0 is refused) cost at most their own reply, which is reported;
// the server keeps answering. Checked for examples/echo_server.ts and `recvmsg listen --echo` on loopback,
// and for examples/mdns_responder.ts on the namespace network it serves in tests/runtime/mdns.test.ts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import dgram from "node:dgram";
import process from "node:process";
import { main } from "../../cli.ts";
import { serveEcho } from "../../examples/echo_server.ts";
import { listenDatagram } from "../../mod.ts";
import { child, runtimeArgv, test } from "./harness.ts";
import { ADDR, multiHomed } from "./multihomed.ts";
import { netnsUnavailable } from "./netns.ts";

// A UDP datagram with source port 0 cannot come from a UDP socket: Python writes the UDP header itself
// on a raw socket (root, or CAP_NET_RAW), and the kernel adds the IP header.
const PORT_ZERO = `
import socket, struct, sys
to, port, data = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
s.sendto(struct.pack("!HHHH", 0, port, 8 + len(data), 0) + data, (to, 0))
`;
const portZeroSkip = process.getuid?.() !== 0
  ? "a datagram from port 0 needs a raw socket (root)"
  : spawnSync("python3", ["-c", "import socket"]).status !== 0
  ? "python3 is needed to write a UDP header with source port 0"
  : null;

function sendFromPortZero(
  port: number,
  to = "127.0.0.1",
  data: Uint8Array = new TextEncoder().encode("from port 0"),
  prefix: string[] = [],
): void {
  const hex = Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
  const argv = [...prefix, "python3", "-c", PORT_ZERO, to, String(port), hex];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
}

/**
 * A client on 127.0.0.1 that sends `hostile` to the server's port, then "still there?" to 127.0.0.2,
 * and resolves with the answers it got up to and including the answer to that last one.
 */
async function afterHostile(port: number, hostile: (client: dgram.Socket) => Promise<void>): Promise<string[]> {
  const client = dgram.createSocket("udp4");
  try {
    await new Promise<void>((r) => client.bind(0, "127.0.0.1", () => r()));
    client.setBroadcast(true);
    const answers: string[] = [];
    let failed: (e: Error) => void = () => {};
    const last = new Promise<void>((resolve, reject) => {
      failed = reject;
      client.on("message", (data, rinfo) => {
        answers.push(`${data} from ${rinfo.address}`);
        if (String(data) === "still there?") resolve();
      });
    });
    // The raw sends start a process each: the wait for the answer is counted from the last datagram on.
    await hostile(client);
    await new Promise<void>((r, j) => client.send("still there?", port, "127.0.0.2", (e) => e ? j(e) : r()));
    const timer = setTimeout(() => failed(new Error(`no answer after the hostile datagrams: ${answers}`)), 10_000);
    try {
      await last;
    } finally {
      clearTimeout(timer);
    }
    return answers;
  } finally {
    client.close();
  }
}

const toBroadcast = (port: number) => (client: dgram.Socket) =>
  new Promise<void>((r, j) => client.send("to broadcast", port, "127.255.255.255", (e) => e ? j(e) : r()));

for (
  const [what, hostile, count, skip] of [
    ["a datagram to 127.255.255.255", toBroadcast, 1, null],
    ["a datagram from source port 0", (port: number) => () => Promise.resolve(sendFromPortZero(port)), 1, portZeroSkip],
    [
      "both, twice",
      (port: number) => async (client: dgram.Socket) => {
        for (let i = 0; i < 2; i++) {
          await toBroadcast(port)(client);
          if (!portZeroSkip) sendFromPortZero(port);
        }
      },
      portZeroSkip ? 2 : 4,
      null,
    ],
  ] as const
) {
  test(
    `examples/echo_server.ts on :: keeps answering after ${what}; a failed reply is reported, not lost (Linux)`,
    async () => {
      const server = listenDatagram({ hostname: "::" });
      const failures: string[] = [];
      const served = serveEcho(server, {
        onError: (e, msg) => failures.push(`${msg.localAddr?.hostname} port ${msg.remoteAddr.port}: ${e}`),
      });
      let answers: string[];
      try {
        answers = await afterHostile(server.addr.port, hostile(server.addr.port));
      } finally {
        server.close();
      }
      assert.equal(answers.at(-1), "still there? from 127.0.0.2");
      const answered = await served;
      // Every datagram the server got was either answered or reported: count + the last one.
      assert.equal(answered + failures.length, count + 1, `answered ${answered}, failures ${failures}`);
      for (const f of failures) assert.match(f, /SocketError|Error: .*\((EINVAL|ENETUNREACH|EACCES)/);
    },
    { windows: false, skip },
  );

  test(`recvmsg listen --echo keeps answering after ${what} (Linux)`, async () => {
    const out: string[] = [];
    const err: string[] = [];
    const ac = new AbortController();
    let started!: (port: number) => void;
    const listening = new Promise<number>((r) => started = r);
    const done = main(["listen", "--port", "0", "--echo"], {
      write: (l) => out.push(l),
      error: (l) => {
        err.push(l);
        const m = l.match(/listening on .*:(\d+)/);
        if (m) started(Number(m[1]));
      },
      signal: ac.signal,
    });
    const port = await Promise.race([listening, done.then(() => assert.fail(err.join("\n")))]);
    let answers: string[];
    try {
      answers = await afterHostile(port, hostile(port));
    } finally {
      ac.abort();
    }
    assert.equal(await done, 0);
    assert.equal(answers.at(-1), "still there? from 127.0.0.2");
    assert.equal(out.length, count + 1, "one line per datagram");
    const failed = err.filter((l) => / failed: /.test(l));
    assert.equal(answers.length + failed.length, count + 1, `${answers} / ${failed}`);
    assert.match(err.at(-1)!, new RegExp(`stopped after ${count + 1} datagrams$`));
  }, { windows: false, skip, timeout: 60_000 });
}

/** A DNS query for `name`, type A. */
function query(id: number, name: string): Uint8Array {
  const parts = [id >> 8, id & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
  for (const l of name.split(".")) parts.push(l.length, ...new TextEncoder().encode(l));
  parts.push(0, 0, 1, 0, 1);
  return new Uint8Array(parts);
}

test(
  "examples/mdns_responder.ts keeps answering after a query from source port 0 and one to the link's broadcast address; the failed answer is logged",
  async () => {
    const h = multiHomed("x");
    using _net = h.net;
    const responder = child([...h.net.run(h.server), ...runtimeArgv("examples/mdns_responder.ts"), "myhost"], 30_000);
    try {
      assert.equal((await responder.lines.next()).value, "ready");
      // Legacy unicast queries (RFC 6762 §6.7) are answered to the sender's port: to port 0, that must fail.
      sendFromPortZero(5353, ADDR.serverA, query(1, "myhost.local"), h.net.run(h.clientA));
      using asker = h.net.within(h.clientA, () => listenDatagram({ hostname: ADDR.clientA, broadcast: true }));
      await asker.send(query(2, "myhost.local"), { hostname: "198.18.10.255", port: 5353 });
      await asker.send(query(3, "myhost.local"), { hostname: ADDR.serverA, port: 5353 });
      const ids: number[] = [];
      while (!ids.includes(3)) {
        const r = await asker.receiveMsg({ signal: AbortSignal.timeout(5000) });
        ids.push(new DataView(r.data.buffer, r.data.byteOffset).getUint16(0));
      }
      assert.ok(ids.every((id) => id === 2 || id === 3), `answers ${ids}`);
    } finally {
      responder.kill();
    }
    const { stderr } = await responder.done;
    assert.match(stderr, /answer failed: /, "the answer to port 0 failed, and said so");
  },
  { windows: false, skip: netnsUnavailable() ?? portZeroSkip, timeout: 60_000 },
);
