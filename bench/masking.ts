/**
 * What masking costs on a big log: 50 MB of typical build output (lines of 50–120 bytes, a few
 * of them carrying a secret in one of its masked forms) fed in 64 KiB chunks, as a container's
 * log stream arrives, through the stream masker with 0, 1, 10 and 50 secrets. Reports MB/s and
 * the time per 50 MB, and checks that no secret survives.
 *
 *   node bin/run-ts.js bench/masking.ts [megabytes]
 */
import { randomBytes } from "node:crypto";
import { createStreamMasker, maskForms } from "../secrets/index.js";
import { median } from "./lib.js";

const MEGABYTES = Number(process.argv[2] ?? 50);
const CHUNK = 64 * 1024;
const WORDS = ["compiling", "module", "ok", "PASS", "src/app/handler.ts", "webpack", "npm", "warn", "built in"];

function secretsOf(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `s${i}-${randomBytes(18).toString("base64url")}`);
}

/** Deterministic build-log-like text; every 500th line prints a secret form (raw, base64, url-encoded...). */
function makeLog(bytes: number, secrets: string[]): string {
  const forms = secrets.flatMap((s) => maskForms(s));
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    let line = `[${String(i).padStart(7, "0")}] ${WORDS[i % WORDS.length]} ${"x".repeat(20 + (i % 70))}`;
    if (forms.length > 0 && i % 500 === 0) line += ` token=${forms[i % forms.length]}`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join("\n")}\n`;
}

function run(log: string, secrets: string[]): { ms: number; out: string } {
  const masker = createStreamMasker(secrets);
  const parts: string[] = [];
  const started = performance.now();
  for (let at = 0; at < log.length; at += CHUNK) parts.push(masker.write(log.slice(at, at + CHUNK)));
  parts.push(masker.end());
  return { ms: performance.now() - started, out: parts.join("") };
}

const bytes = MEGABYTES * 1024 * 1024;
console.log(`masking ${MEGABYTES} MB in ${CHUNK / 1024} KiB chunks (median of 3)`);
for (const n of [0, 1, 10, 50]) {
  const secrets = secretsOf(n);
  const log = makeLog(bytes, secrets);
  const times: number[] = [];
  let out = "";
  for (let i = 0; i < 3; i++) ({ ms: times[i] = 0, out } = run(log, secrets));
  for (const s of secrets) if (out.includes(s)) throw new Error(`secret ${s.slice(0, 4)}... leaked`);
  const ms = median(times);
  console.log(
    `${String(n).padStart(2)} secret(s): ${ms.toFixed(0).padStart(5)} ms per ${MEGABYTES} MB, ${((bytes / 1024 / 1024 / ms) * 1000).toFixed(0)} MB/s`,
  );
}
