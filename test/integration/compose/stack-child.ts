/**
 * Child process of gc.test.ts: brings a test stack up (labelled with this process's pid and
 * start time), prints READY and then waits to be killed with SIGKILL, leaving the stack behind.
 * Usage: node --import tsx stack-child.ts <runId> <owner> <stack dir>
 */
import { join } from "node:path";
import { EphemeralStack, stackProjectName } from "../../../compose/index.js";
import { DockerEngine } from "../../../engine/index.js";

const [runId = "", owner = "", dir = ""] = process.argv.slice(2);
const engine = new DockerEngine();
const stack = await EphemeralStack.create({
  engine,
  file: join(dir, "docker-compose.yml"),
  project: stackProjectName(runId, "doomed", 0),
  owner,
  runId,
  stage: "doomed",
  env: {},
  log: () => {},
});
await stack.up();
process.stdout.write(`READY ${stack.project}\n`);
setInterval(() => {}, 60_000);
