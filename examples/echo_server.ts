// A dual-stack UDP echo server bound to the wildcard address that answers every datagram from the
// local address it reached, the way a DNS or DHCP server on a multi-homed host must.
//
//   deno run --allow-ffi examples/echo_server.ts [port]      bun examples/echo_server.ts [port]
import { type DatagramConn, listenDatagram } from "../mod.ts";

/**
 * Echoes every datagram back to its sender, from the address and interface it arrived on, until the
 * connection closes. Resolves with the number of datagrams answered.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "../mod.ts";
 * import { serveEcho } from "./echo_server.ts";
 * using conn = listenDatagram({ hostname: "::", port: 7007 });
 * await serveEcho(conn);
 * ```
 */
export async function serveEcho(conn: DatagramConn): Promise<number> {
  let answered = 0;
  const buffer = new Uint8Array(65536);
  for await (const msg of conn.messages({ buffer })) {
    await conn.sendMsg(msg.data, msg.remoteAddr, { localAddr: msg.localAddr ?? undefined });
    answered++;
  }
  return answered;
}

if (import.meta.main) {
  const args = "Deno" in globalThis
    ? (globalThis as unknown as { Deno: { args: string[] } }).Deno.args
    : (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);
  using conn = listenDatagram({ hostname: "::", port: Number(args[0] ?? 7007) });
  console.log(`echo server on [::]:${conn.addr.port}, answering from the address each datagram reached`);
  await serveEcho(conn);
}
