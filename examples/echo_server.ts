// A dual-stack UDP echo server bound to the wildcard address that answers every datagram from the
// local address it reached, the way a DNS or DHCP server on a multi-homed host must. A reply that
// fails (a datagram sent to a broadcast address, one from source port 0: anyone can send those) is
// reported and the loop goes on; one datagram from anyone must never stop a server.
//
//   deno run --allow-ffi examples/echo_server.ts [port]      bun examples/echo_server.ts [port]
//   node examples/echo_server.ts [port]                         (Node 26.1 and later)
import { type DatagramConn, type DatagramMessage, listenDatagram } from "../mod.ts";

/**
 * What {@link serveEcho} does with a reply that failed; by default it is logged to stderr.
 *
 * @example
 * ```ts
 * import type { EchoOptions } from "./echo_server.ts";
 * let failed = 0;
 * const options: EchoOptions = { onError: () => failed++ };
 * ```
 */
export interface EchoOptions {
  /** Called with each failed reply's error and the datagram it answered; the loop then goes on. */
  onError?: (error: unknown, msg: DatagramMessage) => void;
}

/**
 * Echoes every datagram back to its sender, from the address and interface it arrived on, until the
 * connection closes. Resolves with the number of datagrams answered; a reply that fails is handed to
 * `onError` (by default logged) and does not stop the loop.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "../mod.ts";
 * import { serveEcho } from "./echo_server.ts";
 * using conn = listenDatagram({ hostname: "::", port: 7007 });
 * await serveEcho(conn, { onError: (e, msg) => console.error(`no reply to ${msg.remoteAddr.hostname}:`, e) });
 * ```
 */
export async function serveEcho(conn: DatagramConn, options: EchoOptions = {}): Promise<number> {
  const onError = options.onError ??
    ((e: unknown, msg: DatagramMessage) =>
      console.error(
        `echo to ${msg.remoteAddr.hostname} port ${msg.remoteAddr.port} failed: ${e instanceof Error ? e.message : e}`,
      ));
  let answered = 0;
  const buffer = new Uint8Array(65536);
  for await (const msg of conn.messages({ buffer })) {
    try {
      await conn.sendMsg(msg.data, msg.remoteAddr, { localAddr: msg.localAddr ?? undefined });
      answered++;
    } catch (e) {
      onError(e, msg);
    }
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
