// The load generator's own process (startLoad in helpers.ts): GET /version without pause from
// `concurrency` loops until stdin closes or `maxSeconds` pass, then one JSON report on stdout.
// A process of its own, started at nice 19 by startLoad: the load stands for the users'
// clients, not the deployer, and must not take CPU from the executor it measures.
import { fetch } from "undici";

const [url, concurrency, maxSeconds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const report = { ok: 0, failed: 0, errors: [], versions: {} };
let stopped = false;
let announced = false;
const hardStop = Date.now() + maxSeconds * 1000;
process.stdin.on("data", () => {});
process.stdin.on("end", () => {
  stopped = true;
});

async function loop() {
  while (!stopped && Date.now() < hardStop) {
    try {
      const res = await fetch(`${url}/version`, { signal: AbortSignal.timeout(10_000) });
      const body = (await res.text()).trim();
      if (res.status === 200) {
        report.ok++;
        report.versions[body] = (report.versions[body] ?? 0) + 1;
      } else {
        report.failed++;
        if (report.errors.length < 20) report.errors.push(`HTTP ${res.status}`);
      }
    } catch (err) {
      report.failed++;
      if (report.errors.length < 20) report.errors.push(err.message);
    }
    if (!announced) {
      announced = true;
      process.stderr.write("ready\n");
    }
  }
}

await Promise.all(Array.from({ length: concurrency }, loop));
process.stdout.write(JSON.stringify(report));
