// The struct layer on its own (any runtime, any OS): lay out a WSAMSG the way WSARecvMsg fills it —
// a sender address, a data buffer, and a control buffer with IP_PKTINFO and IP_HOPLIMIT records —
// then decode it back, walking the control messages as WSA_CMSG_NXTHDR does.
//
//   deno run examples/wsamsg.ts      bun examples/wsamsg.ts      npx tsx examples/wsamsg.ts
import {
  AncillaryDecoder,
  buildControlMessages,
  controlMessages,
  decodeSockaddr,
  encodeInPktinfo,
  encodeSockaddr,
  IP_HOPLIMIT,
  IP_PKTINFO,
  IPPROTO_IP,
  WIN,
  WSA_CMSG_NXTHDR,
} from "../structs/mod.ts";

const M = WIN.WSAMSG.fields;
console.log(
  `WSAMSG is ${WIN.WSAMSG.size} bytes: name@${M.name.offset} namelen@${M.namelen.offset} lpBuffers@${M.lpBuffers.offset} ` +
    `dwBufferCount@${M.dwBufferCount.offset} Control@${M.Control.offset} dwFlags@${M.dwFlags.offset}`,
);

// What the kernel would write: the sender's address ...
const name = new DataView(new ArrayBuffer(WIN.SOCKADDR_STORAGE.size));
const namelen = encodeSockaddr(name, 0, { hostname: "192.0.2.7", port: 5353 });
// ... and the control messages.
const pktinfo = new DataView(new ArrayBuffer(WIN.IN_PKTINFO.size));
encodeInPktinfo(pktinfo, 0, { address: "10.1.2.3", interfaceIndex: 12 });
const hop = new Uint8Array(4);
new DataView(hop.buffer).setInt32(0, 57, true);
const control = buildControlMessages([
  { level: IPPROTO_IP, type: IP_PKTINFO, data: new Uint8Array(pktinfo.buffer) },
  { level: IPPROTO_IP, type: IP_HOPLIMIT, data: hop },
]);

console.log(`\nsender (namelen ${namelen}):`, decodeSockaddr(name, 0, namelen));
console.log(`control buffer, ${control.length} bytes:`);
const view = new DataView(control.buffer);
for (
  let at = WSA_CMSG_NXTHDR(view, control.length, null);
  at !== null;
  at = WSA_CMSG_NXTHDR(view, control.length, at)
) {
  console.log(
    `  header at ${at}: cmsg_len ${view.getBigUint64(at, true)}, level ${view.getInt32(at + 8, true)}, type ${
      view.getInt32(at + 12, true)
    }`,
  );
}
for (const m of controlMessages(control)) console.log(`  level ${m.level} type ${m.type}: ${[...m.data].join(" ")}`);
const decoded = new AncillaryDecoder().decode(control, control.length);
console.log("\ndecoded:", { localAddr: decoded.local4, hopLimit: decoded.hopLimit });
