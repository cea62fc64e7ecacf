/**
 * One datagram of a `recvmsg/dgram` socket handed to `DatagramConn.sendMsg`: its parts joined, the send
 * queue counted (`getSendQueueSize/Count`), the source of `{ source: rinfo }` passed on, and the outcome
 * given to the callback as node:dgram gives it (`send EMSGSIZE 127.0.0.1:9`).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import process from "node:process";
import { type DatagramConn, SocketClosedError } from "../mod.ts";
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
  const where = address ?? ip;
  const report = (e: unknown, bytes?: number) => {
    if (!callback) return;
    try {
      if (e instanceof SocketClosedError) {
        // Waiting when close() came: libuv cancels such a send, so node:dgram says ECANCELED.
        const out = errnoException("ECANCELED", "send", where, port || undefined);
        out.cause = e;
        callback(out);
      } else if (e) callback(fromSocketError(e, "send", where, port || undefined) as Error);
      else callback(null, bytes);
    } catch (thrown) {
      // node:dgram calls it from libuv, where a throw is the process's uncaught exception: so here too,
      // not a rejection of this promise chain.
      process.nextTick(() => {
        throw thrown;
      });
    }
  };
  if (data.length > 65535) {
    // What the system says of it (DatagramConn refuses it before the call, as a RangeError).
    if (callback) process.nextTick(callback, errnoException("EMSGSIZE", "send", where, port, 90));
    return;
  }
  const source = req.extras?.source;
  const to = port ? { hostname: ip, port } : null;
  const options = {
    localAddr: source
      ? {
        hostname: source.localAddress === undefined ? undefined : numericScope(source.localAddress),
        interfaceIndex: source.interfaceIndex,
      }
      : undefined,
    hopLimit: req.extras?.hopLimit,
  };
  // As libuv: tried at once, and a datagram that went (or failed) is reported in a process.nextTick, before
  // promise callbacks; only one that must wait for room (or behind others that wait) is queued.
  let sent: number | null;
  try {
    sent = conn.trySendMsg(data, to, options);
  } catch (e) {
    process.nextTick(report, e);
    return;
  }
  if (sent !== null) {
    process.nextTick(report, null, sent);
    return;
  }
  queue.count++;
  queue.size += data.length;
  const done = (e: unknown, bytes?: number) => {
    queue.count--;
    queue.size -= data.length;
    report(e, bytes);
  };
  conn.sendMsg(data, to, options).then((n) => done(null, n), done);
}
