#!/usr/bin/env node
// Slipway is written in TypeScript and runs from source through tsx's loader, so a clone
// works with `npm ci` alone (no build step to forget).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../runner/cli.ts");
process.exitCode = await main(process.argv.slice(2));
