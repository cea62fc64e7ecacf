// interfaces() and interfaceByIndex(): one interface per index, labelled addresses on their interface,
// and a lookup by index that finds an interface added after it took its list. In namespaces this test
// makes; the host's own list only read.
import assert from "node:assert/strict";
import { interfaceByIndex, interfaces } from "../../connection/interfaces.ts";
import { child, onWindows, runtime, runtimeArgv, test } from "./harness.ts";
import { netnsUnavailable, TestNet } from "./netns.ts";

test(`interfaces (${runtime}): every index once, sorted; loopback listed with an address`, () => {
  const list = interfaces();
  const indexes = list.map((i) => i.index);
  assert.deepEqual(indexes, [...new Set(indexes)].sort((a, b) => a - b), "one interface per index, by index");
  const lo = list.find((i) => i.loopback);
  assert.ok(lo, "a loopback interface");
  assert.ok(lo.addresses.some((a) => a.family === "IPv4" || a.family === "IPv6"));
  for (const i of list) {
    assert.ok(Number.isInteger(i.index) && i.index > 0, `${i.name}: index ${i.index}`);
    for (const a of i.addresses) {
      assert.ok(a.prefixLength >= 0 && a.prefixLength <= (a.family === "IPv4" ? 32 : 128), `${i.name} ${a.address}`);
    }
  }
});

test(`interfaces (${runtime}): interfaceByIndex refuses what is not an index, naming it, before asking the system`, () => {
  for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) {
    assert.throws(
      () => interfaceByIndex(bad),
      (e: Error) => e instanceof RangeError && /index must be an integer/.test(e.message),
    );
  }
  for (const bad of ["1", null, undefined, 1n]) {
    assert.throws(
      () => interfaceByIndex(bad as unknown as number),
      (e: Error) => e instanceof TypeError && /interfaceByIndex: index must be an integer/.test(e.message),
    );
  }
  assert.equal(interfaceByIndex(0), undefined, "0 is no interface");
  const lo = interfaces().find((i) => i.loopback)!;
  assert.equal(interfaceByIndex(lo.index)?.name, lo.name);
});

test(
  `interfaces (${runtime}): a labelled address stays on its interface (one index, one entry), as ip -j addr lists it`,
  () => {
    using net = new TestNet("if");
    const ns = net.ns("a");
    net.link(ns, "rmifa", ns, "rmifb");
    net.addr(ns, "rmifa", "10.9.0.1/24");
    net.exec(ns, "ip", "addr", "add", "10.9.0.2/24", "dev", "rmifa", "label", "rmifa:web");
    net.exec(ns, "ip", "addr", "add", "10.9.2.2/24", "dev", "rmifb", "label", "rmifb:x");
    net.addr(ns, "rmifa", "2001:db8::a/64");
    const ours = net.within(ns, () => interfaces());
    const theirs = JSON.parse(net.exec(ns, "ip", "-j", "addr")) as {
      ifindex: number;
      ifname: string;
      addr_info: { family: string; local: string; prefixlen: number; label?: string }[];
    }[];
    assert.deepEqual(
      ours.map((i) => [i.index, i.name]),
      theirs.map((i) => [i.ifindex, i.ifname]).sort((a, b) => +a[0] - +b[0]),
    );
    for (const t of theirs) {
      const o = ours.find((i) => i.index === t.ifindex)!;
      const want = t.addr_info.map((a) =>
        `${a.family === "inet" ? "IPv4" : "IPv6"} ${a.local}/${a.prefixlen} ${
          a.label && a.label !== t.ifname ? a.label : "-"
        }`
      ).sort();
      const got = o.addresses.map((a) => `${a.family} ${a.address}/${a.prefixLength} ${a.label ?? "-"}`).sort();
      assert.deepEqual(got, want, t.ifname);
    }
    const a = ours.find((i) => i.name === "rmifa")!;
    assert.equal(a.index, net.ifindex(ns, "rmifa"));
    assert.deepEqual(
      a.addresses.filter((x) => x.family === "IPv4"),
      [
        { family: "IPv4", address: "10.9.0.1", prefixLength: 24 },
        { family: "IPv4", address: "10.9.0.2", prefixLength: 24, label: "rmifa:web" },
      ],
    );
    assert.equal(ours.filter((i) => i.index === a.index).length, 1, "no second interface with the same index");
    assert.ok(!ours.some((i) => i.name.includes(":")), "no interface named after a label");
    const b = ours.find((i) => i.name === "rmifb")!;
    assert.deepEqual(b.addresses.filter((x) => x.family === "IPv4"), [
      { family: "IPv4", address: "10.9.2.2", prefixLength: 24, label: "rmifb:x" },
    ]);
  },
  { windows: false, skip: netnsUnavailable() },
);

test(
  `interfaces (${runtime}): interfaceByIndex finds an interface added after it took its list, at its first lookup`,
  async () => {
    using net = new TestNet("il");
    const ns = net.ns("a");
    const c = child(
      [...net.run(ns), ...runtimeArgv("tests/runtime/fixtures/interface_lookup.ts"), "rmilx", "rmily"],
      60_000,
    );
    const done = await c.done;
    assert.equal(done.code, 0, done.stderr);
    const r = JSON.parse(done.stdout.trim().split("\n").pop()!);
    assert.deepEqual(r.lo, { index: 1, name: "lo", loopback: true, frozen: true });
    assert.deepEqual(r.before, [1], "the namespace had only loopback");
    assert.equal(r.index, net.ifindex(ns, "rmilx"));
    assert.deepEqual(r.added, {
      index: r.index,
      name: "rmilx",
      addresses: [{ family: "IPv4", address: "10.9.1.2", prefixLength: 24, label: "rmilx:web" }],
    });
    assert.equal(r.addedFrozen, true);
    assert.equal(r.none, null);
    assert.equal(r.unknown, null);
  },
  { windows: false, skip: onWindows ? null : netnsUnavailable() },
);
