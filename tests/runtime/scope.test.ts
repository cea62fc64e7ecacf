// IPv6 zones (RFC 4007) on a real link: a link-local sender's remoteAddr carries its interface, so that a
// reply to it leaves by the right one, on a host where two interfaces route fe80::/64.
import assert from "node:assert/strict";
import { listenDatagram } from "../../mod.ts";
import { runtime, test } from "./harness.ts";
import { netnsUnavailable, TestNet } from "./netns.ts";

const why = netnsUnavailable();

test(
  `link-local peers (${runtime}): remoteAddr and localAddr carry the zone, and a reply to remoteAddr arrives`,
  async () => {
    using net = new TestNet("zs");
    const server = net.ns("s");
    const client = net.ns("c");
    const other = net.ns("o");
    // The server has two links, so fe80::/64 is routed by both: the zone decides.
    net.link(server, "rmzs0", other, "rmzo0");
    net.link(server, "rmzs1", client, "rmzc1");
    net.addr(server, "rmzs0", "fe80::a/64");
    net.addr(server, "rmzs1", "fe80::a/64");
    net.addr(client, "rmzc1", "fe80::b/64");
    net.addr(other, "rmzo0", "fe80::b/64");
    const serverIf = net.ifindex(server, "rmzs1");
    const clientIf = net.ifindex(client, "rmzc1");
    assert.notEqual(serverIf, net.ifindex(server, "rmzs0"));
    using srv = net.within(server, () => listenDatagram({ hostname: "::", port: 0 }));
    using cli = net.within(client, () => listenDatagram({ hostname: "::", port: 0 }));
    using bystander = net.within(other, () => listenDatagram({ hostname: "::", port: cli.addr.port }));
    // Zones given by the caller are honoured: the client names its interface in the destination.
    const sent = await cli.send(new TextEncoder().encode("query"), {
      hostname: `fe80::a%${clientIf}`,
      port: srv.addr.port,
    });
    assert.equal(sent, 5);
    const q = await srv.receiveMsg({ signal: AbortSignal.timeout(5000) });
    assert.equal(q.remoteAddr.hostname, `fe80::b%${serverIf}`, "the sender's zone is the interface it came in on");
    assert.equal(q.localAddr?.hostname, `fe80::a%${serverIf}`);
    assert.equal(q.localAddr?.interfaceIndex, serverIf);
    // The reply goes to remoteAddr as it is, from localAddr as it is.
    await srv.sendMsg(new TextEncoder().encode("answer"), q.remoteAddr, { localAddr: q.localAddr ?? undefined });
    const a = await cli.receiveMsg({ signal: AbortSignal.timeout(5000) });
    assert.equal(new TextDecoder().decode(a.data), "answer");
    assert.equal(a.remoteAddr.hostname, `fe80::a%${clientIf}`);
    assert.equal(bystander.tryReceiveMsg(), null, "nothing went out the other link");
  },
  { windows: false, skip: why },
);
