// An existing package that takes a dgram socket — multicast-dns (npm, MIT; `opts.socket`) — handed
// recvmsg/dgram's: each query it reports now says which local address and interface it arrived on
// (rinfo.localAddress / rinfo.interface), and the answer goes out from there ({ source: rinfo }).
//
//   cd <a folder where `npm install multicast-dns@7` was run> && node <repo>/tests/node_dgram/packages/multicast_dns.mjs
//
// Traffic stays on the loopback interface (a port the system picks, multicast sent out of 127.0.0.1).
import { createRequire } from "node:module";
import assert from "node:assert";
import dgram from "../../../dgram.ts";
import { listenDatagram } from "../../../mod.ts";

let multicastDns;
try {
  multicastDns = createRequire(`${process.cwd()}/`)("multicast-dns");
} catch {
  console.log(
    "multicast-dns: not installed here (npm install multicast-dns@7); nothing run",
  );
  process.exit(0);
}

// A free port (multicast-dns binds only to a port it is given), from a socket that never waited.
const probe = listenDatagram({ hostname: "0.0.0.0" });
const port = probe.addr.port;
probe.close();

const socket = dgram.createSocket({ type: "udp4", reuseAddr: true });
const mdns = multicastDns({
  socket,
  port,
  bind: "0.0.0.0",
  interface: "127.0.0.1",
  loopback: true,
});

const answered = new Promise((resolve, reject) => {
  const timer = setTimeout(
    () => reject(new Error("no query arrived within 5 s")),
    5000,
  );
  mdns.on("query", (query, rinfo) => {
    clearTimeout(timer);
    console.log(
      `query for ${
        query.questions[0].name
      } from ${rinfo.address}:${rinfo.port} reached ${rinfo.localAddress} on ${rinfo.interface} (index ${rinfo.interfaceIndex})`,
    );
    resolve(rinfo);
  });
});
mdns.query({ questions: [{ name: "recvmsg.local", type: "A" }] });
const rinfo = await answered;
assert.strictEqual(
  rinfo.localAddress,
  "224.0.0.251",
  "the query was sent to the mDNS group",
);
assert.strictEqual(typeof rinfo.interfaceIndex, "number");
assert.strictEqual(typeof rinfo.interface, "string");
mdns.destroy();
console.log("multicast-dns: ok");
