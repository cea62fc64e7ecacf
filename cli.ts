#!/usr/bin/env bun
/**
 * The `recvmsg` command: `listen` prints one line per datagram with the address and interface it reached,
 * `interfaces` lists the interfaces with their indexes (what packet info reports), and `send` sends a
 * datagram from a chosen source address or out of a chosen interface, with a hop limit.
 *
 *   deno run -A jsr:@recvmsg/recvmsg/cli listen --port 5353 [--hostname ::] [--json] [--echo] [--hop-limit]
 *   bunx recvmsg interfaces            npx recvmsg send 127.0.0.1 7007 hello --from 127.0.0.2 --reply
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
import { parseArgs } from "node:util";
import type { DatagramMessage } from "./message.ts";
import { runtimeVersion } from "./ffi/native.ts";
import { type DatagramConn, interfaces, listenDatagram, type NetworkInterface, SocketError } from "./mod.ts";

/**
 * The package's version, as `recvmsg --version` prints it (tests/runtime/cli.test.ts holds it equal to
 * package.json's and deno.json's).
 *
 * @example
 * ```ts
 * import { VERSION } from "@recvmsg/recvmsg/cli";
 * console.log(VERSION); // "0.1.0"
 * ```
 */
export const VERSION = "0.1.0";

const LISTEN_USAGE = `usage: recvmsg listen [--port N] [--hostname ADDR] [--json] [--echo] [--hop-limit] [--reuse-port]

  --port N          UDP port to listen on (default 0: the system picks one, printed at start)
  --hostname ADDR   IPv4 or IPv6 address or host name to bind (default "::", dual-stack)
  --json            one JSON object per datagram (NDJSON) instead of text
  --echo            answer each datagram, from the local address it reached
  --hop-limit       report each datagram's TTL / hop limit
  --reuse-port      share the port with programs that allow it (SO_REUSEPORT), e.g. 5353 beside an mDNS
                    daemon; unicast datagrams are then spread over the sharers, multicast reaches each

One line per datagram: time, remote address, the local address it reached and its interface index,
hop limit, size, flags, and a printable preview. Ctrl-C stops.`;

const INTERFACES_USAGE = `usage: recvmsg interfaces [--json]

  --json            one JSON object per interface (NDJSON) instead of a table

Every network interface: its index (the interfaceIndex packet info reports and sends and joins take),
name, whether it is up, loopback, multicast-capable, and its addresses with their prefix lengths.`;

const SEND_USAGE = `usage: recvmsg send ADDRESS PORT [TEXT] [--from ADDR] [--interface NAME|INDEX] [--hop-limit N]
                   [--hex] [--reply] [--timeout SECONDS]

  ADDRESS           numeric IPv4 or IPv6 destination; a zone may be an index or a name (fe80::1%eth0)
  TEXT              the payload (default empty); with --hex, hexadecimal bytes ("68 69" or "6869")
  --from ADDR       send from this local address (IP_PKTINFO / IPV6_PKTINFO), of the destination's family
  --interface I     send out of this interface, by name or index (as \`recvmsg interfaces\` lists them)
  --hop-limit N     the datagram's TTL / hop limit, 1 to 255
  --reply           wait for one answer and print it as listen does (exit 1 when none comes)
  --timeout S       how long --reply waits, in seconds (default 5)`;

const USAGE = `usage: recvmsg listen [--port N] [--hostname ADDR] [--json] [--echo] [--hop-limit] [--reuse-port]
       recvmsg interfaces [--json]
       recvmsg send ADDRESS PORT [TEXT] [--from ADDR] [--interface NAME|INDEX] [--hop-limit N] [--hex]
                    [--reply] [--timeout SECONDS]
       recvmsg --help | --version       recvmsg COMMAND --help

UDP with packet info: each datagram's local address and interface (recvmsg ${VERSION}).`;

/** `recvmsg 0.1.0 (Bun/1.4.5, linux x64)`: which runtime runs the command matters (`bunx` once started Node). */
function versionLine(): string {
  return `recvmsg ${VERSION} (${runtimeVersion()}, ${process.platform} ${process.arch})`;
}

/** Where the CLI writes, and what stops it (Ctrl-C by default). */
export interface CliIo {
  /** Writes one line (no newline) to standard output. */
  write(line: string): void;
  /** Writes one line to standard error; defaults to `write`. */
  error?(line: string): void;
  /** Stops listening; the CLI closes the socket and returns 0. */
  signal?: AbortSignal;
}

interface ListenOptions {
  port: number;
  hostname: string;
  json: boolean;
  echo: boolean;
  hopLimit: boolean;
  reusePort: boolean;
}

/** Bad usage: the message, and the usage text of the command it concerns. */
class UsageError extends Error {
  readonly usage: string;
  constructor(message: string, usage: string) {
    super(message);
    this.usage = usage;
  }
}

type Spec = Record<string, { type: "string" | "boolean"; short?: string }>;

/** node:util's parseArgs (on Deno, Bun and Node alike), its errors as UsageErrors with the command's usage. */
function parseCommand(args: string[], options: Spec, usage: string, positionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message, usage);
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals])}`, usage);
  }
  return parsed as { values: Record<string, string | boolean | undefined>; positionals: string[] };
}

function portOf(v: string | undefined, name: string, usage: string): number {
  if (v === undefined) return 0;
  if (!/^[0-9]{1,5}$/.test(v) || Number(v) > 65535) {
    throw new UsageError(`${name} must be a number from 0 to 65535, got ${JSON.stringify(v)}`, usage);
  }
  return Number(v);
}

function parseListen(args: string[]): ListenOptions | null {
  const { values } = parseCommand(args, {
    port: { type: "string" },
    hostname: { type: "string" },
    json: { type: "boolean" },
    echo: { type: "boolean" },
    "hop-limit": { type: "boolean" },
    "reuse-port": { type: "boolean" },
  }, LISTEN_USAGE);
  if (values.help) return null;
  return {
    port: portOf(values.port as string | undefined, "--port", LISTEN_USAGE),
    hostname: (values.hostname as string | undefined) ?? "::",
    json: values.json === true,
    echo: values.echo === true,
    hopLimit: values["hop-limit"] === true,
    reusePort: values["reuse-port"] === true,
  };
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
function explainBind(e: unknown, hostname: string, port: number, option: string): string {
  if (e instanceof SocketError && e.syscall === "getaddrinfo") {
    return `${option} ${JSON.stringify(hostname)} could not be looked up (${e.code}): ${
      e.message.replace(/^[^:]*: /, "")
    }`;
  }
  if (e instanceof SocketError) {
    const where = hostPort(hostname, port);
    if (e.code === "WSAEADDRINUSE" || e.code === "EADDRINUSE") {
      return `port ${port} on ${hostname} is already in use (${e.code}); pick another --port, or --reuse-port ` +
        `to share it with a program that allows sharing`;
    }
    if (e.code === "WSAEACCES" || e.code === "EACCES") {
      return `permission denied binding ${where} (${e.code}): ports below 1024 need root or CAP_NET_BIND_SERVICE on Linux`;
    }
    if (e.code === "WSAEADDRNOTAVAIL" || e.code === "EADDRNOTAVAIL") {
      return `${hostname} is not an address of this machine (${e.code})`;
    }
    return e.message;
  }
  if (e instanceof TypeError && /hostname/.test(e.message)) {
    return `${option} must be an IPv4 or IPv6 address such as 0.0.0.0 or ::, or a host name (got ${
      JSON.stringify(hostname)
    })`;
  }
  return e instanceof Error ? e.message : String(e);
}

async function listen(o: ListenOptions, io: CliIo, error: (line: string) => void): Promise<number> {
  let conn: DatagramConn;
  try {
    conn = listenDatagram({ hostname: o.hostname, port: o.port, hopLimit: o.hopLimit, reusePort: o.reusePort });
  } catch (e) {
    error(`recvmsg: ${explainBind(e, o.hostname, o.port, "--hostname")}`);
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
    // One answer that fails (to a broadcast destination, to port 0) is reported; the loop goes on.
    if (o.echo) {
      await conn.sendMsg(m.data, m.remoteAddr, { localAddr: m.localAddr ?? undefined }).catch((e) =>
        error(`recvmsg: echo to ${hostPort(m.remoteAddr.hostname, m.remoteAddr.port)} failed: ${(e as Error).message}`)
      );
    }
  }
  io.signal?.removeEventListener("abort", stop);
  error(`recvmsg: stopped after ${count} datagram${count === 1 ? "" : "s"}`);
  return 0;
}

/**
 * The interfaces as `recvmsg interfaces` prints them: a header and one row per interface (index, name,
 * state, and every address with its prefix length; IPv6 scoped addresses with their zone).
 *
 * @example
 * ```ts
 * import { formatInterfaces } from "@recvmsg/recvmsg/cli";
 * import { interfaces } from "@recvmsg/recvmsg";
 * for (const line of formatInterfaces(interfaces())) console.log(line);
 * // index  name  state             addresses
 * // 1      lo    up,loopback,...   127.0.0.1/8 ::1/128
 * ```
 */
export function formatInterfaces(list: readonly NetworkInterface[]): string[] {
  const rows = list.map((i) => [
    String(i.index),
    i.name,
    [i.up ? "up" : "down", ...(i.loopback ? ["loopback"] : []), ...(i.multicast ? ["multicast"] : [])].join(","),
    i.addresses.map((a) => `${a.address}${a.scopeId ? `%${a.scopeId}` : ""}/${a.prefixLength}`).join(" ") || "-",
  ]);
  const header = ["index", "name", "state", "addresses"];
  const width = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => c === r.length - 1 ? cell : cell.padEnd(width[c] + 2)).join("");
  return [line(header), ...rows.map(line)];
}

interface SendOptions {
  to: { hostname: string; port: number };
  data: Uint8Array;
  from?: string;
  interface?: string;
  hopLimit?: number;
  reply: boolean;
  timeout: number;
}

function parseSend(args: string[]): SendOptions | null {
  const { values, positionals } = parseCommand(
    args,
    {
      from: { type: "string" },
      interface: { type: "string" },
      "hop-limit": { type: "string" },
      hex: { type: "boolean" },
      reply: { type: "boolean" },
      timeout: { type: "string" },
    },
    SEND_USAGE,
    3,
  );
  if (values.help) return null;
  const [hostname, port, text = ""] = positionals;
  if (hostname === undefined || port === undefined) {
    throw new UsageError("send needs an ADDRESS and a PORT", SEND_USAGE);
  }
  let data: Uint8Array;
  if (values.hex) {
    const hex = text.replace(/[\s:]/g, "");
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) {
      throw new UsageError(`--hex needs pairs of hexadecimal digits, got ${JSON.stringify(text)}`, SEND_USAGE);
    }
    data = new Uint8Array(hex.length / 2).map((_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
  } else data = new TextEncoder().encode(text);
  const hop = values["hop-limit"] as string | undefined;
  if (hop !== undefined && (!/^[0-9]{1,3}$/.test(hop) || Number(hop) < 1 || Number(hop) > 255)) {
    throw new UsageError(`--hop-limit must be a number from 1 to 255, got ${JSON.stringify(hop)}`, SEND_USAGE);
  }
  const timeout = Number(values.timeout ?? 5);
  if (!(timeout > 0 && timeout <= 3600)) {
    throw new UsageError(
      `--timeout must be a number of seconds above 0 and at most 3600, got ${JSON.stringify(values.timeout)}`,
      SEND_USAGE,
    );
  }
  return {
    to: { hostname, port: portOf(port, "PORT", SEND_USAGE) },
    data,
    from: values.from as string | undefined,
    interface: values.interface as string | undefined,
    hopLimit: hop === undefined ? undefined : Number(hop),
    reply: values.reply === true,
    timeout,
  };
}

/** The module's parameter names in its errors, and the options a person typed for them. */
const OPTION_OF: [RegExp, string][] = [
  [/localAddr\.hostname/g, "--from"],
  [/localAddr\.interfaceIndex/g, "--interface"],
  [/\bhopLimit\b/g, "--hop-limit"],
  [/^(remoteAddr\.)?hostname\b/, "ADDRESS"],
];

/** An interface named by index or name; a UsageError naming what exists otherwise. */
function interfaceIndex(spec: string, what: string): number {
  const list = interfaces();
  const found = /^[0-9]+$/.test(spec) ? list.find((i) => i.index === Number(spec)) : list.find((i) => i.name === spec);
  if (!found) {
    throw new UsageError(
      `${what}: no interface ${JSON.stringify(spec)} (there are ${list.map((i) => `${i.index} ${i.name}`).join(", ")})`,
      SEND_USAGE,
    );
  }
  return found.index;
}

async function send(o: SendOptions, io: CliIo, error: (line: string) => void): Promise<number> {
  // A zone given as a name (fe80::1%eth0) becomes the index the module takes.
  const zone = o.to.hostname.match(/^(.*%)(.*[^0-9].*)$/);
  const to = zone ? { ...o.to, hostname: zone[1] + interfaceIndex(zone[2], "ADDRESS") } : o.to;
  const index = o.interface === undefined ? undefined : interfaceIndex(o.interface, "--interface");
  const v6 = to.hostname.includes(":");
  let conn: DatagramConn;
  try {
    conn = listenDatagram({ hostname: v6 ? "::" : "0.0.0.0", ipv6Only: v6, broadcast: true });
  } catch (e) {
    error(`recvmsg: ${explainBind(e, v6 ? "::" : "0.0.0.0", 0, "--from")}`);
    return 2;
  }
  try {
    const localAddr = o.from !== undefined || index !== undefined
      ? { ...(o.from !== undefined && { hostname: o.from }), ...(index !== undefined && { interfaceIndex: index }) }
      : undefined;
    try {
      await conn.sendMsg(o.data, to, { localAddr, hopLimit: o.hopLimit });
    } catch (e) {
      if (e instanceof TypeError || e instanceof RangeError) {
        // The module names its own parameters; a person typed the command's options.
        let named = e.message.replace(/^sendMsg: /, "");
        for (const [param, option] of OPTION_OF) named = named.replace(param, option);
        error(`recvmsg: ${named}`);
        error(SEND_USAGE);
        return 2;
      }
      const unknownSource = e instanceof SocketError && o.from !== undefined &&
        /^(EINVAL|EADDRNOTAVAIL|ENETUNREACH|WSAEADDRNOTAVAIL|WSAEINVAL)$/.test(e.code);
      const hint = unknownSource
        ? ` (is ${o.from} an address of this machine${index === undefined ? "" : ` and of interface ${index}`}?)`
        : "";
      error(`recvmsg: ${(e as Error).message}${hint}`);
      return 1;
    }
    const via = [
      o.from !== undefined ? ` from ${o.from}` : "",
      index !== undefined ? ` via interface ${index}` : "",
      o.hopLimit !== undefined ? ` hop limit ${o.hopLimit}` : "",
    ].join("");
    error(
      `recvmsg: sent ${o.data.length} bytes to ${hostPort(to.hostname, to.port)}${via} (source port ${conn.addr.port})`,
    );
    if (!o.reply) return 0;
    const signals = [AbortSignal.timeout(o.timeout * 1000), ...(io.signal ? [io.signal] : [])];
    try {
      const m = await conn.receiveMsg({ buffer: new Uint8Array(65536), signal: AbortSignal.any(signals) });
      io.write(formatText(m, new Date()));
      return 0;
    } catch (e) {
      if (io.signal?.aborted) return 0;
      error(`recvmsg: no reply within ${o.timeout} s${e instanceof SocketError ? `: ${e.message}` : ""}`);
      return 1;
    }
  } finally {
    conn.close();
  }
}

/**
 * Runs the CLI. Resolves with the exit code: 0 after a clean stop, 1 when a send failed or no reply
 * came, 2 for bad usage or a socket that could not be opened.
 *
 * @example
 * ```ts
 * import { main } from "@recvmsg/recvmsg/cli";
 * const code = await main(["listen", "--port", "5353", "--json"], { write: console.log });
 * ```
 */
export async function main(args: string[], io: CliIo): Promise<number> {
  const error = io.error ?? io.write;
  const [command, ...rest] = args;
  try {
    if (command === "listen") {
      const o = parseListen(rest);
      if (o === null) return (io.write(LISTEN_USAGE), 0);
      return await listen(o, io, error);
    }
    if (command === "interfaces") {
      const { values } = parseCommand(rest, { json: { type: "boolean" } }, INTERFACES_USAGE);
      if (values.help) return (io.write(INTERFACES_USAGE), 0);
      const list = interfaces();
      for (const line of values.json ? list.map((i) => JSON.stringify(i)) : formatInterfaces(list)) io.write(line);
      return 0;
    }
    if (command === "send") {
      const o = parseSend(rest);
      if (o === null) return (io.write(SEND_USAGE), 0);
      return await send(o, io, error);
    }
    if (command === "help") return await main([...rest.slice(0, 1), "--help"], io);
    if (command !== undefined && !command.startsWith("-")) {
      throw new UsageError(`unknown command ${JSON.stringify(command)}`, USAGE);
    }
    const { values } = parseCommand(args, { version: { type: "boolean" } }, USAGE, 0);
    if (values.version) return (io.write(versionLine()), 0);
    if (values.help) return (io.write(USAGE), 0);
    throw new UsageError("a command is needed", USAGE);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    error(`recvmsg: ${e.message}`);
    error(e.usage);
    return 2;
  }
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
