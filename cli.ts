#!/usr/bin/env bun
/**
 * `recvmsg listen`: prints one line per datagram with the address it reached.
 *
 *   deno run -A jsr:@recvmsg/recvmsg/cli listen --port 5353 [--hostname ::] [--json] [--echo] [--hop-limit]
 *   bunx recvmsg listen --port 5353
 *
 * @example
 * ```ts
 * import { main } from "@recvmsg/recvmsg/cli";
 * const ac = new AbortController();
 * setTimeout(() => ac.abort(), 1000);
 * await main(["listen", "--port", "0"], { write: (line) => console.log(line), signal: ac.signal });
 * ```
 *
 * @module
 */
import process from "node:process";
import type { DatagramMessage } from "./message.ts";
import { listenDatagram, SocketError } from "./mod.ts";

const USAGE = `usage: recvmsg listen [--port N] [--hostname ADDR] [--json] [--echo] [--hop-limit]

  --port N          UDP port to listen on (default 0: the system picks one, printed at start)
  --hostname ADDR   numeric IPv4 or IPv6 address to bind (default "::", dual-stack)
  --json            one JSON object per datagram (NDJSON) instead of text
  --echo            answer each datagram, from the local address it reached
  --hop-limit       report each datagram's TTL / hop limit

One line per datagram: time, remote address, the local address it reached and its interface index,
hop limit, size, flags, and a printable preview. Ctrl-C stops.`;

/** Where the CLI writes, and what stops it (Ctrl-C by default). */
export interface CliIo {
  /** Writes one line (no newline) to standard output. */
  write(line: string): void;
  /** Writes one line to standard error; defaults to `write`. */
  error?(line: string): void;
  /** Stops listening; the CLI closes the socket and returns 0. */
  signal?: AbortSignal;
}

interface Options {
  port: number;
  hostname: string;
  json: boolean;
  echo: boolean;
  hopLimit: boolean;
}

class UsageError extends Error {}

function parse(args: string[]): Options {
  const [command, ...rest] = args;
  if (command !== "listen") {
    throw new UsageError(command === undefined ? "a command is needed" : `unknown command ${JSON.stringify(command)}`);
  }
  const o: Options = { port: 0, hostname: "::", json: false, echo: false, hopLimit: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === "--port") {
      const v = value();
      if (!/^[0-9]{1,5}$/.test(v) || Number(v) > 65535) {
        throw new UsageError(`--port must be a number from 0 to 65535, got ${JSON.stringify(v)}`);
      }
      o.port = Number(v);
    } else if (a === "--hostname") o.hostname = value();
    else if (a === "--json") o.json = true;
    else if (a === "--echo") o.echo = true;
    else if (a === "--hop-limit") o.hopLimit = true;
    else throw new UsageError(`unknown option ${JSON.stringify(a)}`);
  }
  return o;
}

/**
 * A short printable preview of a payload: printable ASCII as is, other bytes as `\xNN`, at most 32 bytes.
 *
 * @example
 * ```ts
 * import { preview } from "@recvmsg/recvmsg/cli";
 * console.log(preview(new Uint8Array([104, 105, 0]))); // "hi\x00"
 * ```
 */
export function preview(data: Uint8Array, max = 32): string {
  let out = "";
  for (let i = 0; i < Math.min(data.length, max); i++) {
    const b = data[i];
    out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return data.length > max ? `${out}...` : out;
}

function flagsOf(m: DatagramMessage): string[] {
  const f: string[] = [];
  if (m.truncated) f.push("trunc");
  if (m.controlTruncated) f.push("ctrunc");
  if (m.broadcast) f.push("bcast");
  if (m.multicast) f.push("mcast");
  return f;
}

const hostPort = (h: string, p: number) => h.includes(":") ? `[${h}]:${p}` : `${h}:${p}`;

/**
 * One datagram as the text line `recvmsg listen` prints.
 *
 * @example
 * ```ts
 * import { formatText } from "@recvmsg/recvmsg/cli";
 * // 2026-11-24T04:30:00.000Z 127.0.0.1:50000 -> 127.0.0.2 if 1 hop 64 5 bytes "hello"
 * ```
 */
export function formatText(m: DatagramMessage, time: Date): string {
  const local = m.localAddr ? `${m.localAddr.hostname} if ${m.localAddr.interfaceIndex}` : "(no packet info)";
  const hop = m.hopLimit !== undefined ? ` hop ${m.hopLimit}` : "";
  const flags = flagsOf(m);
  return `${time.toISOString()} ${
    hostPort(m.remoteAddr.hostname, m.remoteAddr.port)
  } -> ${local}${hop} ${m.data.length} bytes` +
    `${flags.length ? ` [${flags.join(",")}]` : ""} "${preview(m.data)}"`;
}

/**
 * One datagram as the JSON object `recvmsg listen --json` prints.
 *
 * @example
 * ```ts
 * import { formatJson } from "@recvmsg/recvmsg/cli";
 * // {"time":"...","remote":{"hostname":"127.0.0.1","port":50000},"local":{"hostname":"127.0.0.2","interfaceIndex":1},...}
 * ```
 */
export function formatJson(m: DatagramMessage, time: Date): string {
  return JSON.stringify({
    time: time.toISOString(),
    remote: { hostname: m.remoteAddr.hostname, port: m.remoteAddr.port },
    local: m.localAddr,
    hopLimit: m.hopLimit ?? null,
    size: m.data.length,
    flags: flagsOf(m),
    preview: preview(m.data),
  });
}

/** Turns a bind failure into a sentence for a person at a terminal. */
function explain(e: unknown, o: Options): string {
  if (e instanceof SocketError) {
    const where = hostPort(o.hostname, o.port);
    if (e.code === "WSAEADDRINUSE" || e.code === "EADDRINUSE") {
      return `port ${o.port} on ${o.hostname} is already in use (${e.code}); pick another --port`;
    }
    if (e.code === "WSAEACCES" || e.code === "EACCES") {
      return `permission denied binding ${where} (${e.code}): ports below 1024 need root or CAP_NET_BIND_SERVICE on Linux`;
    }
    if (e.code === "WSAEADDRNOTAVAIL" || e.code === "EADDRNOTAVAIL") {
      return `${o.hostname} is not an address of this machine (${e.code})`;
    }
    return e.message;
  }
  if (e instanceof TypeError && /hostname/.test(e.message)) {
    return `--hostname must be a numeric IPv4 or IPv6 address such as 0.0.0.0 or ::; names are not resolved (got ${
      JSON.stringify(o.hostname)
    })`;
  }
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs the CLI. Resolves with the exit code: 0 after a clean stop, 2 for bad usage or a socket that
 * could not be opened.
 *
 * @example
 * ```ts
 * import { main } from "@recvmsg/recvmsg/cli";
 * const code = await main(["listen", "--port", "5353", "--json"], { write: console.log });
 * ```
 */
export async function main(args: string[], io: CliIo): Promise<number> {
  const error = io.error ?? io.write;
  let o: Options;
  try {
    o = parse(args);
  } catch (e) {
    error(`recvmsg: ${(e as Error).message}`);
    error(USAGE);
    return 2;
  }
  let conn;
  try {
    conn = listenDatagram({ hostname: o.hostname, port: o.port, hopLimit: o.hopLimit });
  } catch (e) {
    error(`recvmsg: ${explain(e, o)}`);
    return 2;
  }
  const stop = () => conn.close();
  io.signal?.addEventListener("abort", stop, { once: true });
  if (io.signal?.aborted) stop();
  error(
    `recvmsg: listening on ${hostPort(conn.addr.hostname, conn.addr.port)}${
      o.echo ? ", echoing from the arrival address" : ""
    }`,
  );
  let count = 0;
  const buffer = new Uint8Array(65536);
  for await (const m of conn.messages({ buffer })) {
    count++;
    io.write(o.json ? formatJson(m, new Date()) : formatText(m, new Date()));
    if (o.echo) {
      await conn.sendMsg(m.data, m.remoteAddr, { localAddr: m.localAddr ?? undefined }).catch((e) =>
        error(`recvmsg: echo failed: ${explain(e, o)}`)
      );
    }
  }
  io.signal?.removeEventListener("abort", stop);
  error(`recvmsg: stopped after ${count} datagram${count === 1 ? "" : "s"}`);
  return 0;
}

if (import.meta.main) {
  const ac = new AbortController();
  // Ctrl-C closes the socket; the loop then ends and the summary is printed.
  process.on("SIGINT", () => ac.abort());
  const code = await main(process.argv.slice(2), {
    write: (line) => process.stdout.write(line + "\n"),
    error: (line) => process.stderr.write(line + "\n"),
    signal: ac.signal,
  });
  process.exit(code);
}
