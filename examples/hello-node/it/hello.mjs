// Integration test: runs in the builder container, attached to the stack's network, against
// the image this run packaged. Writes a JUnit report per shard.
import { mkdirSync, writeFileSync } from "node:fs";

const base = process.env.APP_URL ?? "http://app:8080";
const shard = process.env.SLIPWAY_SHARD ?? "0";
const cases = [];

async function check(name, fn) {
  try {
    await fn();
    cases.push({ name });
    console.log(`ok - ${name}`);
  } catch (err) {
    cases.push({ name, failure: String(err?.message ?? err) });
    console.log(`not ok - ${name}: ${err?.message ?? err}`);
  }
}

await check(`greets through HTTP (shard ${shard})`, async () => {
  const body = await (await fetch(`${base}/hello?name=ci`)).json();
  if (body.message !== "hello, ci") throw new Error(`unexpected message ${JSON.stringify(body.message)}`);
});
await check("serves the version this run packaged", async () => {
  const body = await (await fetch(`${base}/hello`)).json();
  if (body.version !== process.env.SLIPWAY_VERSION) {
    throw new Error(`app reports ${body.version}, run is ${process.env.SLIPWAY_VERSION}`);
  }
});

const failures = cases.filter((c) => c.failure).length;
const xml = [
  `<testsuite name="hello-node-it" tests="${cases.length}" failures="${failures}">`,
  ...cases.map((c) =>
    c.failure
      ? `  <testcase name="${c.name}"><failure message="${c.failure.replace(/"/g, "'")}"/></testcase>`
      : `  <testcase name="${c.name}"/>`,
  ),
  "</testsuite>",
].join("\n");
mkdirSync("reports", { recursive: true });
writeFileSync(`reports/it-${shard}.xml`, `${xml}\n`);
process.exit(failures ? 1 : 0);
