// An mDNS responder (RFC 6762) for one name, `NAME.local`, on a multi-homed host: it answers A and
// AAAA queries on both groups (224.0.0.251 and ff02::fb) with the addresses *of the interface each
// query arrived on* (RFC 6762 §15) — the interface index comes from packet info, and interfaceByIndex()
// maps it to that interface's addresses (a map lookup, not a system call per query) — and sends the answer
// out that same interface.
//
//   deno run --allow-ffi examples/mdns_responder.ts NAME      bun examples/mdns_responder.ts NAME
//   node examples/mdns_responder.ts NAME                         (Node 26 and later)
//
// Queries from port 5353 are answered to the group; queries from another port ("legacy unicast",
// RFC 6762 §6.7, as `dig -p 5353 @224.0.0.251 NAME.local` sends them) are answered to the sender.
// It prints "ready" once it has joined the groups, and one line per answer.
import process from "node:process";
import { type DatagramMessage, interfaceByIndex, interfaces, listenDatagram } from "../mod.ts";

const name = (process.argv[2] ?? "recvmsg").toLowerCase();
const TYPE_A = 1;
const TYPE_AAAA = 28;
const TYPE_ANY = 255;
const TTL = 120;

/** The questions of a DNS query: (name, type) pairs; null when the message is not a query we can read. */
function questions(msg: Uint8Array): { id: number; questions: { name: string; type: number }[]; end: number } | null {
  if (msg.length < 12) return null;
  const dv = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  if ((dv.getUint16(2) & 0x8000) !== 0) return null; // a response, not a query
  const count = dv.getUint16(4);
  const out: { name: string; type: number }[] = [];
  let at = 12;
  for (let q = 0; q < count; q++) {
    const labels: string[] = [];
    let p = at;
    let jumped = false;
    for (let hops = 0; hops < 32; hops++) {
      if (p >= msg.length) return null;
      const len = msg[p];
      if (len === 0) {
        p++;
        break;
      }
      if ((len & 0xc0) === 0xc0) { // a compression pointer
        if (p + 1 >= msg.length) return null;
        if (!jumped) at = p + 2;
        jumped = true;
        p = ((len & 0x3f) << 8) | msg[p + 1];
        continue;
      }
      labels.push(new TextDecoder().decode(msg.subarray(p + 1, p + 1 + len)));
      p += 1 + len;
    }
    if (!jumped) at = p;
    if (at + 4 > msg.length) return null;
    out.push({ name: labels.join(".").toLowerCase(), type: dv.getUint16(at) });
    at += 4;
  }
  return { id: dv.getUint16(0), questions: out, end: at };
}

/** A DNS response for `host` with these addresses (4 bytes: A, 16 bytes: AAAA). */
function response(id: number, host: string, addresses: Uint8Array[], question: Uint8Array | null): Uint8Array {
  const nameBytes: number[] = [];
  for (const label of host.split(".")) nameBytes.push(label.length, ...new TextEncoder().encode(label));
  nameBytes.push(0);
  const parts: number[] = [];
  const u16 = (n: number) => parts.push(n >> 8, n & 0xff);
  u16(id);
  u16(0x8400); // response, authoritative
  u16(question ? 1 : 0);
  u16(addresses.length);
  u16(0);
  u16(0);
  if (question) parts.push(...question);
  for (const a of addresses) {
    parts.push(...nameBytes);
    u16(a.length === 4 ? TYPE_A : TYPE_AAAA);
    u16(0x8001); // class IN, cache-flush
    u16(TTL >> 16);
    u16(TTL & 0xffff);
    u16(a.length);
    parts.push(...a);
  }
  return new Uint8Array(parts);
}

function bytesOf(address: string): Uint8Array {
  if (!address.includes(":")) return new Uint8Array(address.split(".").map(Number));
  const [head, tail = ""] = address.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = address.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}

const host = `${name}.local`;
using conn = listenDatagram({ hostname: "::", port: 5353, reusePort: true, multicastHopLimit: 255 });
// Join both groups on every interface that can carry multicast.
for (const i of interfaces()) {
  if (!i.up || !i.multicast) continue;
  if (i.addresses.some((a) => a.family === "IPv4")) conn.joinMulticast("224.0.0.251", { interfaceIndex: i.index });
  conn.joinMulticast("ff02::fb", { interfaceIndex: i.index });
}
console.log("ready");

async function answer(m: DatagramMessage): Promise<void> {
  const q = questions(m.data);
  const index = m.localAddr?.interfaceIndex ?? 0;
  if (!q || index === 0) return;
  const wants = q.questions.filter((x) =>
    x.name === host && (x.type === TYPE_A || x.type === TYPE_AAAA || x.type === TYPE_ANY)
  );
  if (wants.length === 0) return;
  // The addresses of the interface the query came in on, and no other (RFC 6762 §15). interfaceByIndex keeps
  // the list in memory and asks the system again only when it is a second old or meets an index it lacks.
  const here = interfaceByIndex(index);
  const types = new Set(wants.map((w) => w.type));
  const addresses = (here?.addresses ?? [])
    .filter((a) => types.has(TYPE_ANY) || types.has(a.family === "IPv4" ? TYPE_A : TYPE_AAAA))
    .map((a) => bytesOf(a.address));
  if (addresses.length === 0) return;
  const legacy = m.remoteAddr.port !== 5353;
  const reply = response(legacy ? q.id : 0, host, addresses, legacy ? m.data.subarray(12, q.end) : null);
  const v6 = m.remoteAddr.hostname.includes(":");
  const to = legacy ? m.remoteAddr : { hostname: v6 ? `ff02::fb%${index}` : "224.0.0.251", port: 5353 };
  // Out the interface the query arrived on; the system picks that interface's address as the source.
  await conn.sendMsg(reply, to, { localAddr: { interfaceIndex: index } });
  console.log(
    `${m.remoteAddr.hostname} asked on ${here?.name} (${index}): answered ${addresses.length} address(es) to ${to.hostname}`,
  );
}

// Anyone can send a query whose answer the system refuses (a legacy query from source port 0): that one
// answer fails and is logged, and the responder goes on.
for await (const m of conn.messages()) await answer(m).catch((e) => console.error(`answer failed: ${e.message}`));
