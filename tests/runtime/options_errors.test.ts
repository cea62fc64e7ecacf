// Error sentences as Node users read them (issue 20, section 3): a bind failure names the address and port,
// `bind EADDRINUSE 127.0.0.1:53`, and says what to try; the code, number and call stay the system's.
import assert from "node:assert/strict";
import { listenDatagram, SocketError } from "../../mod.ts";
import { amendSocketError, bindFailure } from "../../errors.ts";
import { onWindows, runtime, test } from "./harness.ts";

const prefix = onWindows ? "WSA" : "";

test(`bind errors (${runtime}): EADDRINUSE names the address and port, hints at another port or reusePort`, () => {
  using first = listenDatagram({ hostname: "127.0.0.1" });
  const port = first.addr.port;
  let error: unknown;
  try {
    listenDatagram({ hostname: "127.0.0.1", port }).close();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof SocketError, String(error));
  assert.ok(error.message.startsWith(`bind ${prefix}EADDRINUSE 127.0.0.1:${port} (`), error.message);
  assert.match(error.message, /choose another port \(0 lets the system pick a free one\)/);
  assert.match(error.message, new RegExp(`when port ${port} is shared on purpose .* set reusePort: true`));
  assert.equal(error.code, `${prefix}EADDRINUSE`);
  assert.equal(error.errno, onWindows ? 10048 : 98);
  assert.equal(error.syscall, "bind");
  assert.equal(error.address, "127.0.0.1");
  assert.equal(error.port, port);
  const denoErrors = (globalThis as { Deno?: { errors: { AddrInUse: new () => Error } } }).Deno?.errors;
  if (denoErrors) assert.ok(error instanceof denoErrors.AddrInUse, "still a Deno.errors.AddrInUse on Deno");
});

test(`bind errors (${runtime}): an address this machine lacks is EADDRNOTAVAIL with address, port and a hint`, () => {
  assert.throws(
    () => listenDatagram({ hostname: "192.0.2.77", port: 4000 }), // TEST-NET-1: on no interface here
    (e: Error) => {
      assert.ok(e instanceof SocketError);
      assert.ok(e.message.startsWith(`bind ${prefix}EADDRNOTAVAIL 192.0.2.77:4000 (`), e.message);
      assert.match(e.message, /bind a wildcard \(0\.0\.0\.0 or ::\) or an address that interfaces\(\) lists\.$/);
      assert.equal(e.syscall, "bind");
      return true;
    },
  );
});

test(`bind errors (${runtime}): other errors keep their form; amending keeps address and port`, () => {
  const plain = new SocketError("EMSGSIZE", 90, "sendmsg", "The datagram is too large.");
  assert.equal(plain.message, "sendmsg failed with EMSGSIZE (90): The datagram is too large.");
  assert.equal(plain.address, undefined);
  const amended = amendSocketError(plain, "; the path MTU is 1280 bytes", { pathMtu: 1280 });
  assert.equal(
    amended.message,
    "sendmsg failed with EMSGSIZE (90): The datagram is too large; the path MTU is 1280 bytes.",
  );
  const bind = bindFailure(new SocketError("EACCES", 13, "bind", "Permission denied."), "::", 53);
  assert.match(bind.message, /^bind EACCES :::53 \(13\): Permission denied; ports below 1024 need privileges/);
  const again = amendSocketError(bind, "; more");
  assert.equal(again.address, "::");
  assert.equal(again.port, 53);
  assert.ok(again.message.startsWith("bind EACCES :::53 (13): Permission denied; ports below 1024"), again.message);
  assert.ok(again.message.endsWith("; more."), again.message);
  const unknown = bindFailure(new SocketError("ENOBUFS", 105, "bind", "No buffer space."), "0.0.0.0", 9);
  assert.equal(unknown.message, "bind ENOBUFS 0.0.0.0:9 (105): No buffer space.");
});
