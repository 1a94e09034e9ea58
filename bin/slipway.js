#!/usr/bin/env node
// The `slipway` binary runs the compiled JavaScript in dist/ (`npm run build`; `npm ci` and
// `npm pack` run it through the `prepare` script), so no TypeScript loader is paid at start.
import { existsSync } from "node:fs";

const cli = new URL("../dist/runner/cli.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    `slipway: the compiled build is missing (${cli.pathname}): run \`npm run build\` in ${new URL("..", import.meta.url).pathname}\n`,
  );
  process.exit(2);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
