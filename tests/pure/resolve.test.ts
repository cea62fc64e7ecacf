// The form check of host names (connection/resolve.ts), in a module fresh for this file: the empty
// string is no address whatever was asked before (a cache of the last numeric address once said it was,
// before any address had been seen).
import { expect, it } from "vitest";
import { hostName } from "../../connection/resolve.ts";

it("the empty string is neither an address nor a name, as the first question and after others", () => {
  expect(hostName("")).toBe("");
  expect(hostName("127.0.0.1")).toBeNull();
  expect(hostName("")).toBe("");
  expect(hostName("[::1]")).toBeNull();
  expect(hostName("localhost")).toBe("localhost");
  for (const bad of [" localhost", "local host", "[localhost]", "a..b", "::1%lo", "a\0b"]) {
    expect(hostName(bad)).toBe("");
  }
});
