// The workers benchmark's server: examples/workers_echo.ts with N workers on 0.0.0.0 (one reusePort
// socket each, answering from each request's arrival address), as users run it. Prints the shared port
// once every worker listens, then answers until killed (scripts/bench.mjs kills the process, and its
// worker threads with it).   usage: workers_echo.ts N
import process from "node:process";
import { startEchoWorkers } from "../examples/workers_echo.ts";

const workers = Number(process.argv[2]);
const server = await startEchoWorkers({ hostname: "0.0.0.0", workers, receiveBufferSize: 32 << 20 });
process.stdout.write(`${server.port}\n`);
// For a run by hand: Ctrl-C stops the workers (closing every socket) and prints what each answered.
process.once("SIGINT", async () => {
  process.stderr.write(`answered per worker: ${(await server.stop()).join(" ")}\n`);
  process.exit(0);
});
