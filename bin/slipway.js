#!/usr/bin/env node
// The `slipway` binary runs the compiled JavaScript, bundled: dist/bundle/ (`npm run build`:
// tsc into dist/, then bin/bundle-cli.mjs; `npm ci` and `npm pack` run it through the
// `prepare` script), so neither a TypeScript loader nor ~190 module files are paid at start.
import { existsSync } from "node:fs";

const cli = new URL("../dist/bundle/cli.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    `slipway: the compiled build is missing (${cli.pathname}): run \`npm run build\` in ${new URL("..", import.meta.url).pathname}\n`,
  );
  process.exit(2);
}
const { main } = await import(cli.href);
const code = await main(process.argv.slice(2));
// The command is done (every verb awaits its own work and cleanup). What can still hold the
// event loop is idle keep-alive sockets (fetch's pool to the daemon, dockerode's agent), which
// kept a finished `slipway runs` alive for another ~50-100 ms. Exit once stdout and stderr
// are flushed (a piped stdout is written asynchronously).
await Promise.all([process.stdout, process.stderr].map((s) => new Promise((done) => s.write("", done))));
process.exit(code);
