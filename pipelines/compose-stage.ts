import { isScalar } from "../core/index.js";
import { PIPELINE_LIMITS } from "./limits.js";
import {
  type Checker,
  readDuration,
  readInt,
  readList,
  readMap,
  readString,
  readStringItems,
  readStringList,
  type Slot,
} from "./schema.js";
import type { Reference, StageBody } from "./stage-body.js";
import type { ComposeRun, ComposeWait } from "./types.js";

const DEFAULT_WAIT_SECONDS = 120;
const TCP_TARGET = /^[A-Za-z0-9][A-Za-z0-9_.-]*:\d{1,5}$/;

/**
 * Splits a command string into words the way compose does for `command: "a b 'c d'"`:
 * whitespace separates, quotes group, a backslash escapes. There is deliberately no shell:
 * the test image need not have one, and a list form is always available for exact control.
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === "\\" && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** `{service, command}` runs in the stack; `{builder, commands}` runs in a builder attached to it. */
function readRun(c: Checker, slot: Slot, refs: Reference[]): ComposeRun | undefined {
  const map = readMap(c, slot);
  if (map === undefined) return undefined;
  const service = map.get("service");
  const builder = map.get("builder");
  if (service && builder) {
    c.report(
      c.position(builder.keyNode),
      builder.path,
      "SLIPWAY_E_PIPELINE_ONE_OF",
      `${slot.path} has both "service" and "builder"; a run happens in one of them`,
    );
    return undefined;
  }
  if (builder) {
    map.allowOnly(["builder", "commands"], ["builder", "commands", "service", "command"]);
    const name = readString(c, builder, { nonEmpty: true });
    if (name !== undefined) refs.push({ kind: "builder", name, slot: builder });
    const commandsSlot = map.require("commands", " (a run in a builder needs commands)");
    const commands = commandsSlot && readStringList(c, commandsSlot);
    return name !== undefined && commands ? { builder: name, commands } : undefined;
  }
  if (service) {
    map.allowOnly(["service", "command"], ["builder", "commands", "service", "command"]);
    const name = readString(c, service, { nonEmpty: true });
    const commandSlot = map.get("command");
    // No command means the service's own command from the compose file.
    let command: string[] | undefined = [];
    if (commandSlot && isScalar(commandSlot.value) && typeof commandSlot.value.value === "string") {
      command = splitCommand(commandSlot.value.value);
    } else if (commandSlot) command = readStringList(c, commandSlot);
    return name !== undefined && command ? { service: name, command } : undefined;
  }
  c.report(
    map.position,
    slot.path,
    "SLIPWAY_E_PIPELINE_ONE_OF",
    `${slot.path} needs either "service" (with "command") or "builder" (with "commands")`,
  );
  return undefined;
}

function readWait(c: Checker, slot: Slot | undefined): ComposeWait | undefined {
  if (slot === undefined) return { tcp: [], http: [], timeoutSeconds: DEFAULT_WAIT_SECONDS };
  const map = readMap(c, slot, { nullIsEmpty: true });
  if (map === undefined) return undefined;
  map.allowOnly(["tcp", "http", "timeout"]);
  let ok = true;
  const targets = (key: string, valid: (s: string) => boolean, example: string): string[] => {
    const entry = map.get(key);
    const items = entry ? readStringItems(c, entry) : [];
    if (items === undefined) ok = false;
    for (const { text, slot: item } of items ?? []) {
      if (valid(text)) continue;
      ok = false;
      c.report(
        c.slotPosition(item),
        item.path,
        "SLIPWAY_E_PIPELINE_BAD_VALUE",
        `"${text}" is not a valid ${key} target; write it like "${example}"`,
      );
    }
    return (items ?? []).map((x) => x.text);
  };
  const tcp = targets("tcp", (s) => TCP_TARGET.test(s), "db:5432");
  const http = targets("http", isHttpUrl, "http://api:8080/healthz");
  const timeoutSlot = map.get("timeout");
  const timeoutSeconds = timeoutSlot ? readDuration(c, timeoutSlot) : DEFAULT_WAIT_SECONDS;
  if (!ok || timeoutSeconds === undefined) return undefined;
  return { tcp, http, timeoutSeconds };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

export function readComposeStage(c: Checker, slot: Slot, refs: Reference[]): StageBody | undefined {
  const map = readMap(c, slot, { nullIsEmpty: true });
  if (map === undefined) return undefined;
  map.allowOnly(["file", "parallel", "shards", "run", "wait", "junit"]);
  const fileSlot = map.require("file", " (the compose file of the test stack)");
  const file = fileSlot && readString(c, fileSlot, { nonEmpty: true });
  const parallelSlot = map.get("parallel");
  const parallel = parallelSlot ? readInt(c, parallelSlot, 1) : 1;
  const runSlot = map.get("run");
  const shardsSlot = map.get("shards");
  const tooMany = (slot: Slot, n: number, what: string) => {
    const msg = `${slot.path} asks for ${n} ${what}; the most is ${PIPELINE_LIMITS.stacks} parallel test stacks`;
    c.report(c.slotPosition(slot), slot.path, "SLIPWAY_E_PIPELINE_TOO_MANY", msg);
  };
  let overLimit = false;
  if (parallelSlot && parallel !== undefined && parallel > PIPELINE_LIMITS.stacks) {
    tooMany(parallelSlot, parallel, "stacks");
    overLimit = true;
  }
  const run = runSlot && readRun(c, runSlot, refs);
  let shards: ComposeRun[] | undefined;
  let ok = !(runSlot && run === undefined) && parallel !== undefined && file !== undefined;
  if (shardsSlot) {
    const items = readList(c, shardsSlot);
    if (items?.length === 0)
      c.report(
        c.slotPosition(shardsSlot),
        shardsSlot.path,
        "SLIPWAY_E_PIPELINE_BAD_VALUE",
        `${shardsSlot.path} must list at least one run`,
      );
    if (items && items.length > PIPELINE_LIMITS.stacks) {
      tooMany(shardsSlot, items.length, "shards");
      overLimit = true;
    }
    const read = (items ?? []).map((item) => readRun(c, item, refs));
    if (items?.length && read.every((r) => r !== undefined)) shards = read as ComposeRun[];
    else ok = false;
    if (runSlot) {
      ok = false;
      c.report(
        c.position(shardsSlot.keyNode),
        shardsSlot.path,
        "SLIPWAY_E_PIPELINE_ONE_OF",
        `use either "run" (the same run in every stack) or "shards" (one run per stack), not both`,
      );
    }
    if (parallelSlot && parallel !== undefined && items?.length && parallel !== items.length) {
      ok = false;
      c.report(
        c.slotPosition(parallelSlot),
        parallelSlot.path,
        "SLIPWAY_E_PIPELINE_BAD_VALUE",
        `${parallelSlot.path} is ${parallel} but there are ${items.length} shards; with shards, omit parallel (it is their number)`,
      );
    }
  }
  const wait = readWait(c, map.get("wait"));
  const junitSlot = map.get("junit");
  const junit = junitSlot ? readStringList(c, junitSlot) : [];
  if (!ok || overLimit || wait === undefined || junit === undefined || file === undefined || parallel === undefined)
    return undefined;
  return {
    type: "compose",
    file,
    parallel: shards ? shards.length : parallel,
    ...(shards ? { shards } : {}),
    ...(run ? { run } : {}),
    wait,
    junit,
  };
}
