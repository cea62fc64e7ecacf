// macOS cannot be compiled for or run here. Source of every expected value below: Apple's XNU headers
// (github.com/apple-oss-distributions/xnu): bsd/sys/socket.h (struct msghdr, struct cmsghdr with
// socklen_t cmsg_len and __DARWIN_ALIGN32, MSG_*), bsd/netinet/in.h (struct sockaddr_in with sin_len,
// struct in_pktinfo, IP_* options), bsd/netinet6/in6.h (RFC 3542 numbering under __APPLE_USE_RFC_3542:
// IPV6_RECVPKTINFO 61, IPV6_RECVHOPLIMIT 37, IPV6_3542PKTINFO 46, IPV6_3542HOPLIMIT 47) and
// bsd/sys/errno.h. The values were copied from those headers by hand; this test holds the tables to them.
import { describe, expect, it } from "vitest";
import * as S from "../../structs/mod.ts";

describe("Darwin tables against Apple's XNU headers", () => {
  it("layouts: sizes and offsets of msghdr, cmsghdr, sockaddr_in/in6, in_pktinfo, in6_pktinfo", () => {
    const off = (l: S.Layout) => Object.fromEntries(S.flatFields(l).map((f) => [f.path, f.offset]));
    expect(S.DRW.msghdr.size).toBe(48);
    expect(off(S.DRW.msghdr)).toEqual({
      msg_name: 0,
      msg_namelen: 8,
      msg_iov: 16,
      msg_iovlen: 24,
      msg_control: 32,
      msg_controllen: 40,
      msg_flags: 44,
    });
    expect(S.DRW.cmsghdr.size).toBe(12);
    expect(off(S.DRW.cmsghdr)).toEqual({ cmsg_len: 0, cmsg_level: 4, cmsg_type: 8 });
    expect(S.DRW.sockaddr_in.size).toBe(16);
    expect(off(S.DRW.sockaddr_in)).toEqual({
      sin_len: 0,
      sin_family: 1,
      sin_port: 2,
      "sin_addr.s_addr": 4,
      sin_zero: 8,
    });
    expect(S.DRW.sockaddr_in6.size).toBe(28);
    expect(off(S.DRW.sockaddr_in6)).toMatchObject({
      sin6_len: 0,
      sin6_family: 1,
      sin6_port: 2,
      sin6_flowinfo: 4,
      "sin6_addr.__u6_addr": 8,
      sin6_scope_id: 24,
    });
    expect(S.DRW.in_pktinfo.size).toBe(12);
    expect(off(S.DRW.in_pktinfo)).toEqual({ ipi_ifindex: 0, "ipi_spec_dst.s_addr": 4, "ipi_addr.s_addr": 8 });
    expect(S.DRW.in6_pktinfo.size).toBe(20);
    expect(S.DRW.iovec.size).toBe(16);
  });

  it("constants", () => {
    expect(S.DARWIN).toEqual({
      AF_INET: 2,
      AF_INET6: 30,
      SOCK_STREAM: 1,
      SOCK_DGRAM: 2,
      SOCK_RAW: 3,
      IPPROTO_IP: 0,
      IPPROTO_ICMP: 1,
      IPPROTO_TCP: 6,
      IPPROTO_UDP: 17,
      IPPROTO_IPV6: 41,
      IPPROTO_ICMPV6: 58,
      SOL_SOCKET: 0xffff,
      SO_REUSEADDR: 0x4,
      SO_BROADCAST: 0x20,
      SO_RCVBUF: 0x1002,
      IP_TOS: 3,
      IP_TTL: 4,
      IP_RECVTTL: 24,
      IP_PKTINFO: 26,
      IP_RECVTOS: 27,
      IPV6_UNICAST_HOPS: 4,
      IPV6_V6ONLY: 27,
      IPV6_RECVTCLASS: 35,
      IPV6_TCLASS: 36,
      IPV6_RECVHOPLIMIT: 37,
      IPV6_PKTINFO: 46,
      IPV6_HOPLIMIT: 47,
      IPV6_RECVPKTINFO: 61,
      MSG_PEEK: 0x2,
      MSG_TRUNC: 0x10,
      MSG_CTRUNC: 0x20,
      MSG_DONTWAIT: 0x80,
      POLLIN: 0x1,
      F_SETFD: 2,
      F_GETFL: 3,
      F_SETFL: 4,
      FD_CLOEXEC: 1,
      O_NONBLOCK: 0x4,
      // sys/socket.h SO_REUSEPORT; netinet/in.h IP_MULTICAST_* and IP_MULTICAST_IFINDEX, MCAST_* (80-83);
      // netinet6/in6.h IPV6_MULTICAST_*, IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP; net/if.h IFF_*; sys/socket.h AF_LINK.
      SO_REUSEPORT: 0x200,
      SO_TIMESTAMP: 0x400,
      SCM_TIMESTAMP: 2,
      SO_SNDBUF: 0x1001,
      IP_DONTFRAG: 28,
      IPV6_DONTFRAG: 62,
      IP_MULTICAST_IF: 9,
      IP_MULTICAST_TTL: 10,
      IP_MULTICAST_LOOP: 11,
      IP_ADD_MEMBERSHIP: 12,
      IP_DROP_MEMBERSHIP: 13,
      IP_MULTICAST_IFINDEX: 66,
      MCAST_JOIN_GROUP: 80,
      MCAST_LEAVE_GROUP: 81,
      MCAST_JOIN_SOURCE_GROUP: 82,
      MCAST_LEAVE_SOURCE_GROUP: 83,
      IPV6_MULTICAST_IF: 9,
      IPV6_MULTICAST_HOPS: 10,
      IPV6_MULTICAST_LOOP: 11,
      IPV6_JOIN_GROUP: 12,
      IPV6_LEAVE_GROUP: 13,
      IFF_UP: 0x1,
      IFF_LOOPBACK: 0x8,
      IFF_MULTICAST: 0x8000,
      AF_LINK: 18,
    });
  });

  it("group_req and group_source_req are packed to 4 (netinet/in.h #pragma pack(4)); ifaddrs as LP64 lays it out", () => {
    expect([S.DRW.group_req.size, S.DRW.group_req.fields.gr_group.offset]).toEqual([132, 4]);
    expect([S.DRW.group_source_req.size, S.DRW.group_source_req.fields.gsr_source.offset]).toEqual([260, 132]);
    expect([S.DRW.ifaddrs.size, S.DRW.ifaddrs.fields.ifa_addr.offset, S.DRW.ifaddrs.fields.ifa_netmask.offset]).toEqual(
      [56, 24, 32],
    );
  });

  it("struct addrinfo: ai_canonname before ai_addr, 48 bytes (XNU netdb.h); getaddrinfo's EAI_* codes", () => {
    const f = S.DRW.addrinfo.fields;
    expect([S.DRW.addrinfo.size, f.ai_addrlen.offset, f.ai_canonname.offset, f.ai_addr.offset, f.ai_next.offset])
      .toEqual([48, 16, 24, 32, 40]);
    const names = Object.fromEntries([...S.DARWIN_EAI.values()].map((e) => [e.name, e.code]));
    expect(names).toEqual({
      EAI_AGAIN: 2,
      EAI_FAIL: 4,
      EAI_FAMILY: 5,
      EAI_MEMORY: 6,
      EAI_NODATA: 7,
      EAI_NONAME: 8,
      EAI_SYSTEM: 11,
    });
  });

  it("errno values", () => {
    const names = Object.fromEntries([...S.DARWIN_ERRNO.values()].map((e) => [e.name, e.code]));
    expect(names).toMatchObject({
      EAGAIN: 35,
      EADDRINUSE: 48,
      EADDRNOTAVAIL: 49,
      ENOTCONN: 57,
      ECONNREFUSED: 61,
      EOPNOTSUPP: 102,
      EMSGSIZE: 40,
      EBADF: 9,
      EACCES: 13,
      ENODEV: 19,
      ECONNRESET: 54,
      ENETDOWN: 50,
      ENOTSUP: 45,
      EPROTO: 100,
    });
  });

  it("CMSG_SPACE / CMSG_LEN with 12-byte headers aligned to 4, as __DARWIN_ALIGN32 computes them", () => {
    // CMSG_SPACE(l) = ALIGN32(sizeof(struct cmsghdr)) + ALIGN32(l); CMSG_LEN(l) = ALIGN32(sizeof(struct cmsghdr)) + l.
    expect(S.cmsgSpace(12, S.CMSG_DARWIN)).toBe(24); // in_pktinfo
    expect(S.cmsgSpace(20, S.CMSG_DARWIN)).toBe(32); // in6_pktinfo
    expect(S.cmsgSpace(1, S.CMSG_DARWIN)).toBe(16); // the TTL byte of IP_RECVTTL
    expect(S.cmsgLen(20, S.CMSG_DARWIN)).toBe(32);
  });
});

describe("Darwin control buffers, hand-built", () => {
  it("a dual-stack IPv4 datagram's records decode with the Darwin dialect", () => {
    const pk = new Uint8Array(12);
    new DataView(pk.buffer).setUint32(0, 4, true); // ipi_ifindex
    pk.set([127, 0, 0, 7], 8); // ipi_addr
    const buf = S.buildControlMessages([
      { level: S.DARWIN.IPPROTO_IP, type: S.DARWIN.IP_PKTINFO, data: pk },
      { level: S.DARWIN.IPPROTO_IP, type: S.DARWIN.IP_RECVTTL, data: new Uint8Array([57]) },
      { level: S.DARWIN.IPPROTO_IP, type: S.DARWIN.IP_RECVTOS, data: new Uint8Array([0x03]) },
    ], S.CMSG_DARWIN);
    expect(buf.length).toBe(24 + 16 + 16);
    expect(new DataView(buf.buffer).getUint32(0, true)).toBe(24); // a 32-bit cmsg_len
    const d = new S.AncillaryDecoder(S.DARWIN_DIALECT).decode(buf, buf.length);
    expect(d.local4).toEqual({ hostname: "127.0.0.7", interfaceIndex: 4 });
    expect(d.hopLimit).toBe(57);
    expect(d.ecn).toBe(3);
    expect(d.control.map((c) => [c.type, c.data.length])).toEqual([[26, 12], [24, 1], [27, 1]]);
    expect(d.error).toBeNull();
  });

  it("IPv6 records with RFC 3542 types, and a malformed 32-bit cmsg_len, on the Darwin walker", () => {
    const pk6 = new Uint8Array(20);
    pk6.set(S.parseIPv6("::1")!.bytes);
    new DataView(pk6.buffer).setUint32(16, 1, true);
    const hop = new Uint8Array(4);
    new DataView(hop.buffer).setInt32(0, 64, true);
    const buf = S.buildControlMessages([
      { level: 41, type: S.DARWIN.IPV6_PKTINFO, data: pk6 },
      { level: 41, type: S.DARWIN.IPV6_HOPLIMIT, data: hop },
    ], S.CMSG_DARWIN);
    const d = new S.AncillaryDecoder(S.DARWIN_DIALECT).decode(buf, buf.length);
    expect(d.local6).toEqual({ hostname: "::1", interfaceIndex: 1 });
    expect(d.hopLimit).toBe(64);
    const bad = new Uint8Array(buf);
    new DataView(bad.buffer).setUint32(32, 8, true); // second header's cmsg_len below 12
    const e = new S.AncillaryDecoder(S.DARWIN_DIALECT).decode(bad, bad.length);
    expect(e.local6?.hostname).toBe("::1");
    expect(e.error?.reason).toBe("short");
    expect(e.error?.message).toMatch(/12-byte header/);
  });

  it("the send control data: IP_PKTINFO with the source in ipi_spec_dst, 12-byte headers", () => {
    const t = new Uint8Array(128);
    const n = S.writeSendControl(t, "darwin", true, { hostname: "10.0.0.2", interfaceIndex: 5 }, 9);
    expect(n).toBe(24 + 16); // CMSG_SPACE(12) + CMSG_SPACE(4) with Darwin's rules
    const seen: number[][] = [];
    S.visitControlMessages(
      new DataView(t.buffer),
      n,
      (level, type, at, len) => seen.push([level, type, len, ...t.subarray(at, at + len)]),
      S.CMSG_DARWIN,
    );
    expect(seen).toEqual([[0, 26, 12, 5, 0, 0, 0, 10, 0, 0, 2, 0, 0, 0, 0], [0, 4, 4, 9, 0, 0, 0]]);
  });

  it("sockaddr: the first two bytes are sin_len and the family, written as one little-endian u16", () => {
    const fam = { inet: (2 << 8) | 16, inet6: (30 << 8) | 28 };
    const v = new DataView(new ArrayBuffer(28));
    expect(S.encodeSockaddr(v, 0, { hostname: "127.0.0.1", port: 53 }, fam)).toBe(16);
    expect([...new Uint8Array(v.buffer, 0, 8)]).toEqual([16, 2, 0, 53, 127, 0, 0, 1]);
    expect(S.encodeSockaddr(v, 0, { hostname: "::1", port: 53 }, fam)).toBe(28);
    expect([...new Uint8Array(v.buffer, 0, 2)]).toEqual([28, 30]);
    expect(S.decodeSockaddr(v, 0, 28, fam)?.hostname).toBe("::1");
  });
});

describe("receive timestamps, hand-built", () => {
  it("macOS SCM_TIMESTAMP (a timeval) and Linux SO_TIMESTAMPNS (a timespec) become nanoseconds since the epoch", () => {
    const tv = new Uint8Array(16);
    const dv = new DataView(tv.buffer);
    dv.setUint32(0, 1_700_000_000, true);
    dv.setUint32(8, 123_456, true);
    const d = S.buildControlMessages(
      [{ level: S.DARWIN.SOL_SOCKET, type: S.DARWIN.SCM_TIMESTAMP, data: tv }],
      S.CMSG_DARWIN,
    );
    expect(new S.AncillaryDecoder(S.DARWIN_DIALECT).decode(d, d.length).timestamp).toBe(1_700_000_000_123_456_000n);
    dv.setUint32(8, 987_654_321, true);
    const l = S.buildControlMessages([{ level: S.LINUX.SOL_SOCKET, type: S.LINUX.SO_TIMESTAMPNS, data: tv }]);
    expect(new S.AncillaryDecoder(S.LINUX_DIALECT).decode(l, l.length).timestamp).toBe(1_700_000_000_987_654_321n);
    expect(new S.AncillaryDecoder().decode(l, l.length).timestamp).toBeUndefined();
  });
});
