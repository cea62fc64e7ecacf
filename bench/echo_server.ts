// One echo server of the benchmark: binds 0.0.0.0:0, prints the port, answers every request with its
// own bytes until killed. bench/c/echo_client.c measures the answers per second.
// Modes:
//   idiomatic      for await (const m of conn.messages()) await conn.sendMsg(m.data, m.remoteAddr, { localAddr: m.localAddr })
//   idiomatic-held the same loop on a socket opened with batchSends: true (answers held, sent together)
//   batch          receiveMsgs(64) into one buffer, each answer with trySendMsg (sendMsg when the buffer is full)
//   sendmsgs       receiveMsgs(64), all answers in one sendMsgs (sendmmsg on Linux)
//   deno-builtin   Deno.listenDatagram: receive, then send (no source selection)
//   bun-builtin    Bun.udpSocket: send from the data callback (no source selection)
//   node-dgram     node:dgram: send from the message event (no source selection)
// The module's modes answer from the address each request arrived at; the built-ins cannot.
import dgram from "node:dgram";
import process from "node:process";
import type { DatagramMessage, OutgoingMessage } from "../mod.ts";

const mode = process.argv[2];
const RCVBUF = 32 << 20;
const BATCH = 64;
const announce = (port: number) => process.stdout.write(`${port}\n`);
// For profiling (--cpu-prof writes its profile on a normal exit): ECHO_EXIT_MS=3000 ends the server then.
if (process.env.ECHO_EXIT_MS) setTimeout(() => process.exit(0), Number(process.env.ECHO_EXIT_MS));

if (mode === "idiomatic" || mode === "idiomatic-held" || mode === "batch" || mode === "sendmsgs") {
  const { listenDatagram } = await import("../mod.ts");
  const conn = listenDatagram({
    hostname: "0.0.0.0",
    receiveBufferSize: RCVBUF,
    batchSends: mode === "idiomatic-held",
  });
  announce(conn.addr.port);
  if (mode === "idiomatic" || mode === "idiomatic-held") {
    for await (const m of conn.messages()) {
      await conn.sendMsg(m.data, m.remoteAddr, { localAddr: m.localAddr ?? undefined });
    }
  } else {
    const options: { buffer: Uint8Array; reuse: DatagramMessage[] | null } = {
      buffer: new Uint8Array(BATCH * 2048),
      reuse: null,
    };
    const replies: OutgoingMessage[] = [];
    for (;;) {
      const got = await conn.receiveMsgs(BATCH, options);
      options.reuse = got;
      if (mode === "batch") {
        for (const m of got) {
          const localAddr = m.localAddr ?? undefined;
          if (conn.trySendMsg(m.data, m.remoteAddr, { localAddr }) === null) {
            await conn.sendMsg(m.data, m.remoteAddr, { localAddr });
          }
        }
      } else {
        replies.length = got.length;
        for (let i = 0; i < got.length; i++) {
          const m = got[i];
          replies[i] = { data: m.data, remoteAddr: m.remoteAddr, localAddr: m.localAddr ?? undefined };
        }
        await conn.sendMsgs(replies);
      }
    }
  }
} else if (mode === "deno-builtin") {
  type Conn = {
    addr: { port: number };
    receive(b?: Uint8Array): Promise<[Uint8Array, object]>;
    send(d: Uint8Array, a: object): Promise<number>;
  };
  const D = (globalThis as unknown as { Deno: { listenDatagram(o: object): Conn } }).Deno;
  const conn = D.listenDatagram({ hostname: "0.0.0.0", port: 0, transport: "udp" });
  announce(conn.addr.port);
  const buffer = new Uint8Array(2048);
  for (;;) {
    const [data, from] = await conn.receive(buffer);
    await conn.send(data, from);
  }
} else if (mode === "bun-builtin") {
  type Sock = { port: number; send(d: Uint8Array, port: number, address: string): boolean };
  const B = (globalThis as unknown as { Bun: { udpSocket(o: object): Promise<Sock> } }).Bun;
  const sock = await B.udpSocket({
    hostname: "0.0.0.0",
    socket: { data: (s: Sock, data: Uint8Array, port: number, address: string) => s.send(data, port, address) },
  });
  announce(sock.port);
} else if (mode === "node-dgram") {
  const sock = dgram.createSocket({ type: "udp4", recvBufferSize: RCVBUF });
  sock.on("message", (data, from) => sock.send(data, from.port, from.address));
  sock.bind(0, "0.0.0.0", () => announce(sock.address().port));
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
