import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { stepContainerSpec, stepScript, WORKSPACE_PATH } from "../../../builders/index.js";
import { shellQuote } from "../../../core/index.js";

function sh(script: string) {
  return spawnSync("/bin/sh", ["-e", "-c", script], { encoding: "utf8" });
}

describe("stepScript", () => {
  it("echoes each command before running it, and stops at the first failure", () => {
    const r = sh(stepScript(["echo one", "false", "echo never"]));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("$ echo one\none\n$ false\n");
  });

  it("quotes commands with quotes, dollars and backslashes without running them twice", () => {
    const cmd = `echo 'it''s' "$HOME" \\n && printf '%s\\n' "a b"`;
    const r = sh(stepScript([cmd]));
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(`$ ${cmd}`);
  });

  it.each([
    ["plain", "'plain'"],
    ["it's", `'it'\\''s'`],
    ["", "''"],
  ])("shellQuote(%j)", (input, quoted) => {
    expect(shellQuote(input)).toBe(quoted);
    expect(sh(`printf %s ${quoted}`).stdout).toBe(input);
  });
});

describe("stepContainerSpec", () => {
  const base = { image: "b:1", commands: ["make"], env: { A: "1" }, workspaceVolume: "ws-1", labels: { l: "v" } };
  it.each([
    [
      "runs the script under /bin/sh -e",
      (s: ReturnType<typeof stepContainerSpec>) => s.entrypoint,
      ["/bin/sh", "-e", "-c"],
    ],
    [
      "mounts the workspace volume at the fixed path",
      (s: ReturnType<typeof stepContainerSpec>) => s.binds,
      [`ws-1:${WORKSPACE_PATH}`],
    ],
    ["works in the workspace", (s: ReturnType<typeof stepContainerSpec>) => s.workingDir, WORKSPACE_PATH],
    ["sets CI=true under the step's env", (s: ReturnType<typeof stepContainerSpec>) => s.env, { CI: "true", A: "1" }],
    ["keeps the labels", (s: ReturnType<typeof stepContainerSpec>) => s.labels, { l: "v" }],
    ["runs the image", (s: ReturnType<typeof stepContainerSpec>) => s.image, "b:1"],
    ["runs under an init that forwards signals", (s: ReturnType<typeof stepContainerSpec>) => s.init, true],
  ])("%s", (_name, pick, expected) => {
    expect(pick(stepContainerSpec(base))).toEqual(expected);
  });

  it("lets a step override CI", () => {
    expect(stepContainerSpec({ ...base, env: { CI: "false" } }).env?.CI).toBe("false");
  });
});
