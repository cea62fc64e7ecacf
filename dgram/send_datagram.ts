/**
 * One datagram of a `recvmsg/dgram` socket handed to `DatagramConn.sendMsg`: its parts joined, the send
 * queue counted (`getSendQueueSize/Count`), the source of `{ source: rinfo }` passed on, and the outcome
 * given to the callback as node:dgram gives it (`send EMSGSIZE 127.0.0.1:9`).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import process from "node:process";
import type { DatagramConn } from "../mod.ts";
import { errnoException, fromSocketError } from "./errors.ts";
import { numericScope } from "./interface_names.ts";
import type { SendRequest } from "./send_args.ts";

/** Datagrams handed to `send` and not yet sent: how many, and their bytes. */
export interface SendQueue {
  /** Datagrams. */
  count: number;
  /** Their bytes. */
  size: number;
}

/**
 * Sends `req` to `ip` (ignored when `req.port` is 0: the connected peer) and reports to its callback.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "../mod.ts";
 * import { parseSendArgs } from "./send_args.ts";
 * import { sendDatagram } from "./send_datagram.ts";
 * const conn = listenDatagram({ hostname: "127.0.0.1" });
 * const queue = { count: 0, size: 0 };
 * sendDatagram(conn, parseSendArgs(["hi", 9, "127.0.0.1", (e: Error | null) => console.log(e)], false), "127.0.0.1", queue);
 * ```
 */
export function sendDatagram(conn: DatagramConn, req: SendRequest, ip: string, queue: SendQueue): void {
  const { callback, port, address } = req;
  const data = req.list.length === 1 ? req.list[0] : Buffer.concat(req.list);
  if (data.length > 65535) {
    // What the system says of it (DatagramConn refuses it before the call, as a RangeError).
    if (callback) process.nextTick(callback, errnoException("EMSGSIZE", "send", address ?? ip, port, 90));
    return;
  }
  const source = req.extras?.source;
  queue.count++;
  queue.size += data.length;
  const done = (e: unknown, bytes?: number) => {
    queue.count--;
    queue.size -= data.length;
    if (!callback) return;
    try {
      if (e) callback(fromSocketError(e, "send", address ?? ip, port || undefined) as Error);
      else callback(null, bytes);
    } catch (thrown) {
      // node:dgram calls it from libuv, where a throw is the process's uncaught exception: so here too,
      // not a rejection of this promise chain.
      process.nextTick(() => {
        throw thrown;
      });
    }
  };
  conn.sendMsg(data, port ? { hostname: ip, port } : null, {
    localAddr: source
      ? {
        hostname: source.localAddress === undefined ? undefined : numericScope(source.localAddress),
        interfaceIndex: source.interfaceIndex,
      }
      : undefined,
    hopLimit: req.extras?.hopLimit,
  }).then((n) => done(null, n), done);
}
