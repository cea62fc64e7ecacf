// The membership requests and sender options each platform's table builds, byte by byte, against the
// layouts the C compilers prove (WIN, LNX, DRW): the order of fields is where the platforms differ.
import { describe, expect, it } from "vitest";
import { membershipRequest, settings } from "../../ffi/tables/settings.ts";
import * as S from "../../structs/mod.ts";

const group4 = new Uint8Array([224, 0, 0, 251]);
const group6 = S.parseIPv6("ff02::fb")!.bytes;
const src4 = new Uint8Array([198, 18, 10, 2]);
const ifAddr = new Uint8Array([198, 18, 10, 1]);
const u32 = (b: Uint8Array, at: number, le = true) => new DataView(b.buffer, b.byteOffset).getUint32(at, le);

describe("Linux", () => {
  it("IPv4 any-source: ip_mreqn with the interface by address and index", () => {
    const r = membershipRequest("linux", true, {
      group: group4,
      interfaceIndex: 3,
      interfaceAddress: ifAddr,
      source: null,
    });
    expect([r.level, r.name, r.label, r.bytes.length]).toEqual([
      S.LINUX.IPPROTO_IP,
      S.LINUX.IP_ADD_MEMBERSHIP,
      "IP_ADD_MEMBERSHIP",
      S.LNX.ip_mreqn.size,
    ]);
    expect([...r.bytes.subarray(0, 8)]).toEqual([224, 0, 0, 251, 198, 18, 10, 1]);
    expect(u32(r.bytes, S.LNX.ip_mreqn.fields.imr_ifindex.offset)).toBe(3);
    expect(
      membershipRequest("linux", false, { group: group4, interfaceIndex: 3, interfaceAddress: null, source: null })
        .name,
    ).toBe(S.LINUX.IP_DROP_MEMBERSHIP);
  });
  it("source-specific and IPv6: group_source_req / group_req with sockaddrs of Linux's families", () => {
    const r = membershipRequest("linux", true, {
      group: group4,
      interfaceIndex: 7,
      interfaceAddress: null,
      source: src4,
    });
    const L = S.LNX.group_source_req;
    expect([r.level, r.name, r.bytes.length]).toEqual([S.LINUX.IPPROTO_IP, S.LINUX.MCAST_JOIN_SOURCE_GROUP, L.size]);
    expect(u32(r.bytes, L.fields.gsr_interface.offset)).toBe(7);
    const g = L.fields.gsr_group.offset;
    expect([r.bytes[g], r.bytes[g + 1], ...r.bytes.subarray(g + 4, g + 8)]).toEqual([
      S.LINUX.AF_INET,
      0,
      224,
      0,
      0,
      251,
    ]);
    const s = L.fields.gsr_source.offset;
    expect([...r.bytes.subarray(s + 4, s + 8)]).toEqual([198, 18, 10, 2]);
    const v6 = membershipRequest("linux", true, {
      group: group6,
      interfaceIndex: 2,
      interfaceAddress: null,
      source: null,
    });
    expect([v6.level, v6.name, v6.bytes.length]).toEqual([
      S.LINUX.IPPROTO_IPV6,
      S.LINUX.MCAST_JOIN_GROUP,
      S.LNX.group_req.size,
    ]);
    expect(r.bytes.length).toBe(264);
  });
  it("sender options: IP_MULTICAST_IF takes an ip_mreqn with the index; the rest ints", () => {
    const o = settings("linux", "multicastInterface", 5, { ipv4: true, ipv6: true });
    expect(o.map((x) => x.label)).toEqual(["IP_MULTICAST_IF", "IPV6_MULTICAST_IF"]);
    expect(u32(o[0].bytes, 8)).toBe(5);
    expect(o[0].bytes.length).toBe(12);
    expect(settings("linux", "hopLimit", 9, { ipv4: false, ipv6: true }).map((x) => [x.label, u32(x.bytes, 0)]))
      .toEqual([["IPV6_UNICAST_HOPS", 9]]);
  });
});

describe("Windows", () => {
  it("IPv4 any-source: IP_MREQ, an index written in 0.0.0.0/8 in network order", () => {
    const r = membershipRequest("windows", true, {
      group: group4,
      interfaceIndex: 0x010203,
      interfaceAddress: null,
      source: null,
    });
    expect([r.level, r.name, r.label]).toEqual([S.IPPROTO_IP, S.IP_ADD_MEMBERSHIP, "IP_ADD_MEMBERSHIP"]);
    expect([...r.bytes]).toEqual([224, 0, 0, 251, 0, 1, 2, 3]);
    const byAddr = membershipRequest("windows", true, {
      group: group4,
      interfaceIndex: 0,
      interfaceAddress: ifAddr,
      source: null,
    });
    expect([...byAddr.bytes]).toEqual([224, 0, 0, 251, 198, 18, 10, 1]);
  });
  it("IPv4 source-specific: IP_MREQ_SOURCE puts the source before the interface", () => {
    const r = membershipRequest("windows", true, {
      group: group4,
      interfaceIndex: 0,
      interfaceAddress: ifAddr,
      source: src4,
    });
    expect([r.name, r.bytes.length]).toEqual([S.IP_ADD_SOURCE_MEMBERSHIP, S.WIN.IP_MREQ_SOURCE.size]);
    expect([...r.bytes]).toEqual([224, 0, 0, 251, 198, 18, 10, 2, 198, 18, 10, 1]);
  });
  it("IPv6: IPV6_MREQ with the index; source-specific by GROUP_SOURCE_REQ", () => {
    const r = membershipRequest("windows", false, {
      group: group6,
      interfaceIndex: 9,
      interfaceAddress: null,
      source: null,
    });
    expect([r.level, r.name, r.bytes.length]).toEqual([S.IPPROTO_IPV6, S.IPV6_DROP_MEMBERSHIP, S.WIN.IPV6_MREQ.size]);
    expect(u32(r.bytes, 16)).toBe(9);
    const ssm = membershipRequest("windows", true, {
      group: group6,
      interfaceIndex: 9,
      interfaceAddress: null,
      source: S.parseIPv6("2001:db8::2")!.bytes,
    });
    expect([ssm.name, ssm.bytes.length, u32(ssm.bytes, 0)]).toEqual([
      S.MCAST_JOIN_SOURCE_GROUP,
      S.WIN.GROUP_SOURCE_REQ.size,
      9,
    ]);
    expect(ssm.bytes[S.WIN.GROUP_SOURCE_REQ.fields.gsr_group.offset]).toBe(S.AF_INET6);
  });
  it("sender options: IP_MULTICAST_IF is the index in network order", () => {
    const [o] = settings("windows", "multicastInterface", 7, { ipv4: true, ipv6: false });
    expect([o.label, ...o.bytes]).toEqual(["IP_MULTICAST_IF", 0, 0, 0, 7]);
  });
});

describe("macOS", () => {
  it("group_req packed to 4: the sockaddr (with sin_len) right after the index", () => {
    const r = membershipRequest("darwin", true, {
      group: group4,
      interfaceIndex: 4,
      interfaceAddress: null,
      source: null,
    });
    expect([r.name, r.bytes.length, u32(r.bytes, 0)]).toEqual([S.DARWIN.MCAST_JOIN_GROUP, 132, 4]);
    expect([...r.bytes.subarray(4, 12)]).toEqual([16, S.DARWIN.AF_INET, 0, 0, 224, 0, 0, 251]);
    const [loop] = settings("darwin", "multicastLoopback", 1, { ipv4: true, ipv6: false });
    expect([loop.label, loop.bytes.length]).toEqual(["IP_MULTICAST_LOOP", 1]);
  });
});

describe("traffic class of a send", () => {
  it("Linux: IP_TOS / IPV6_TCLASS with DSCP and ECN; Windows: IP_ECN / IPV6_ECN with the codepoint alone", () => {
    const t = new Uint8Array(128);
    const read = (platform: "linux" | "windows", v4: boolean) => {
      const n = S.writeSendControl(t, platform, v4, undefined, undefined, (46 << 2) | 1);
      const out: number[][] = [];
      S.visitControlMessages(new DataView(t.buffer), n, (level, type, at) => out.push([level, type, u32(t, at)]));
      return out;
    };
    expect(read("linux", true)).toEqual([[S.LINUX.IPPROTO_IP, S.LINUX.IP_TOS, 185]]);
    expect(read("linux", false)).toEqual([[S.LINUX.IPPROTO_IPV6, S.LINUX.IPV6_TCLASS, 185]]);
    expect(read("windows", true)).toEqual([[S.IPPROTO_IP, S.IP_ECN, 1]]);
    expect(read("windows", false)).toEqual([[S.IPPROTO_IPV6, S.IPV6_ECN, 1]]);
  });
});
