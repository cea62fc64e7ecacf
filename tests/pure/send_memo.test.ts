// The first half of every send (ffi/common/send_memo.ts, reply_source.ts): what is rewritten and what is
// kept between sends, byte by byte against the layouts the C compilers prove, and which source a reply
// to a broadcast or multicast datagram names.
import { describe, expect, it } from "vitest";
import { markNotASource, replySource } from "../../ffi/common/reply_source.ts";
import { sendMemo, type SendSlot, writeControl, writeName } from "../../ffi/common/send_memo.ts";
import { LINUX, LNX } from "../../structs/linux.ts";

const slot = (): SendSlot & { bytes: Uint8Array } => {
  const bytes = new Uint8Array(256);
  return {
    bytes,
    memo: sendMemo(),
    name: new DataView(bytes.buffer, 0, 32),
    control: bytes.subarray(128, 256),
    families: { inet: LINUX.AF_INET, inet6: LINUX.AF_INET6 },
    socketIsIPv6: false,
    platform: "linux",
  };
};
const PKT = LNX.in_pktinfo.fields;
const DATA = 16; // CMSG_LEN(0) on LP64: where the record's data starts
const data = new Uint8Array(1);

describe("writeName", () => {
  it("a frozen destination is written once; a mutable one every time", () => {
    const s = slot();
    const to = Object.freeze({ hostname: "127.0.0.2", port: 9 });
    expect(writeName(s, to)).toBe(LNX.sockaddr_in.size);
    expect(Array.from(s.bytes.subarray(4, 8))).toEqual([127, 0, 0, 2]);
    s.bytes.fill(0, 0, 32); // were it rewritten, the bytes would come back
    expect(writeName(s, to)).toBe(LNX.sockaddr_in.size);
    expect(s.bytes[4]).toBe(0);
    const mutable = { hostname: "127.0.0.3", port: 9 };
    writeName(s, mutable);
    s.bytes.fill(0, 0, 32);
    writeName(s, mutable);
    expect(Array.from(s.bytes.subarray(4, 8))).toEqual([127, 0, 0, 3]);
  });
  it("an IPv4 destination on an IPv6 socket is written v4-mapped, and still travels over IPv4", () => {
    const s = { ...slot(), socketIsIPv6: true, memo: sendMemo() };
    expect(writeName(s, { hostname: "127.0.0.1", port: 9 })).toBe(LNX.sockaddr_in6.size);
    expect(s.memo.ipv4).toBe(true);
  });
});

describe("writeControl", () => {
  it("the same frozen source is kept; a changed hop limit or a mutable source rewrites", () => {
    const s = slot();
    const source = Object.freeze({ hostname: "127.0.0.5", interfaceIndex: 0 });
    const n = writeControl(s, { data, to: null, source }, true);
    expect(n).toBeGreaterThan(0);
    expect(Array.from(s.control.subarray(DATA + PKT.ipi_spec_dst.offset, DATA + PKT.ipi_spec_dst.offset + 4)))
      .toEqual([127, 0, 0, 5]);
    s.control.fill(0);
    expect(writeControl(s, { data, to: null, source }, true)).toBe(n);
    expect(s.control[DATA + PKT.ipi_spec_dst.offset]).toBe(0); // kept, not rewritten
    expect(writeControl(s, { data, to: null, source, hopLimit: 3 }, true)).toBeGreaterThan(n);
    const mutable = { hostname: "127.0.0.6" };
    writeControl(s, { data, to: null, source: mutable }, true);
    s.control.fill(0);
    writeControl(s, { data, to: null, source: mutable }, true);
    expect(s.control[DATA + PKT.ipi_spec_dst.offset + 3]).toBe(6);
  });
  it("a received broadcast localAddr names only its interface: ipi_spec_dst 0, the index kept", () => {
    const s = slot();
    const local = Object.freeze({ hostname: "127.255.255.255", interfaceIndex: 1 });
    markNotASource(local);
    writeControl(s, { data, to: null, source: local }, true);
    const v = new DataView(s.control.buffer, s.control.byteOffset);
    expect(v.getUint32(DATA + PKT.ipi_spec_dst.offset, true)).toBe(0);
    expect(v.getInt32(DATA + PKT.ipi_ifindex.offset, true)).toBe(1);
  });
});

describe("replySource", () => {
  it("groups and 255.255.255.255 name their interface only; unicast addresses stay", () => {
    expect(replySource({ hostname: "224.0.0.251", interfaceIndex: 3 })).toEqual({ interfaceIndex: 3 });
    expect(replySource({ hostname: "ff02::fb%3", interfaceIndex: 3 })).toEqual({ interfaceIndex: 3 });
    expect(replySource({ hostname: "::ffff:239.1.1.1", interfaceIndex: 2 })).toEqual({ interfaceIndex: 2 });
    expect(replySource({ hostname: "255.255.255.255", interfaceIndex: 2 })).toEqual({ interfaceIndex: 2 });
    const unicast = { hostname: "192.0.2.1", interfaceIndex: 2 };
    expect(replySource(unicast)).toBe(unicast);
    expect(replySource(undefined)).toBe(undefined);
    // A directed broadcast is recognised only as a received message's own (marked) object.
    expect(replySource({ hostname: "192.0.2.255", interfaceIndex: 2 })).toEqual({
      hostname: "192.0.2.255",
      interfaceIndex: 2,
    });
  });
});
