import { describe, expect, it } from "vitest";
import {
  buildInvocation,
  type ComposeCommand,
  type ComposeFlavor,
  invocationArgv,
  sanitizeProjectName,
  stackProjectName,
} from "../../../compose/index.js";

const target = { project: "slipway-r1-it-0", files: ["/tmp/s/docker-compose.yml"], projectDirectory: "/repo/test" };
const GLOBAL = [
  "--ansi",
  "never",
  "-p",
  "slipway-r1-it-0",
  "--project-directory",
  "/repo/test",
  "-f",
  "/tmp/s/docker-compose.yml",
];

function argv(flavor: ComposeFlavor, cmd: ComposeCommand) {
  return invocationArgv(flavor, buildInvocation(flavor, target, cmd));
}

describe("compose argument building", () => {
  const run: ComposeCommand = {
    kind: "run",
    service: "tests",
    command: ["npm", "test", "--", "-x"],
    env: { SLIPWAY_SHARD: "1", SLIPWAY_SHARDS: "2" },
    volumes: ["ws:/workspace"],
  };

  it.each([
    ["v2", { kind: "up", services: ["db", "app"] }, ["compose", ...GLOBAL, "up", "--quiet-pull", "-d", "db", "app"]],
    ["v1", { kind: "up", services: ["db", "app"] }, [...GLOBAL, "up", "-d", "db", "app"]],
    [
      "v1",
      { kind: "up", services: ["app"], noDeps: true, noRecreate: true, scale: { app: 4 } },
      [...GLOBAL, "up", "-d", "--no-deps", "--no-recreate", "--scale", "app=4", "app"],
    ],
    ["v2", { kind: "config", hash: true }, ["compose", ...GLOBAL, "config", "--hash=*"]],
    ["v1", { kind: "config" }, [...GLOBAL, "config"]],
    [
      "v2",
      { kind: "down", stopTimeoutSeconds: 1 },
      ["compose", ...GLOBAL, "down", "-v", "--remove-orphans", "--rmi", "local", "-t", "1"],
    ],
    [
      "v1",
      { kind: "down", stopTimeoutSeconds: 1 },
      [...GLOBAL, "down", "-v", "--remove-orphans", "--rmi", "local", "-t", "1"],
    ],
    [
      "v2",
      run,
      [
        "compose",
        ...GLOBAL,
        "run",
        "--rm",
        "-T",
        "-e",
        "SLIPWAY_SHARD=1",
        "-e",
        "SLIPWAY_SHARDS=2",
        "-v",
        "ws:/workspace",
        "--",
        "tests",
        "npm",
        "test",
        "--",
        "-x",
      ],
    ],
    [
      "v2",
      { kind: "logs", services: ["db"], tail: 50 },
      ["compose", ...GLOBAL, "logs", "--no-color", "--tail=50", "db"],
    ],
  ] as [ComposeFlavor, ComposeCommand, string[]][])("%s %j", (flavor, cmd, expected) => {
    const { file, argv: args } = argv(flavor, cmd);
    expect(file).toBe(flavor === "v2" ? "docker" : "docker-compose");
    expect(args).toEqual(expected);
  });

  it("runs v1 and v2 with the same compose arguments apart from the executable", () => {
    for (const cmd of [run, { kind: "down", stopTimeoutSeconds: 1 } as ComposeCommand]) {
      expect(argv("v2", cmd).argv.slice(1)).toEqual(argv("v1", cmd).argv);
    }
  });

  it("never pulls", () => {
    const cmds: ComposeCommand[] = [{ kind: "up", services: [] }, run, { kind: "down", stopTimeoutSeconds: 1 }];
    for (const flavor of ["v1", "v2"] as const) {
      for (const cmd of cmds) {
        const args = argv(flavor, cmd).argv;
        expect(args).not.toContain("pull");
        expect(args.join(" ")).not.toMatch(/--pull/);
      }
    }
  });

  it("asks for the version without a target", () => {
    expect(invocationArgv("v2", buildInvocation("v2", undefined, { kind: "version" })).argv).toEqual([
      "compose",
      "version",
      "--short",
    ]);
  });
});

describe("project names", () => {
  it.each([
    ["slipway-42-integration-0", "slipway-42-integration-0"],
    ["Slipway-42-Integration Tests-1", "slipway-42-integration-tests-1"],
    ["slipway-run.7/feature/x-0", "slipway-run-7-feature-x-0"],
    ["--weird__", "weird"],
    ["***", "slipway"],
  ])("%s → %s", (raw, expected) => {
    expect(sanitizeProjectName(raw)).toBe(expected);
  });

  it("only uses characters both compose versions accept", () => {
    expect(stackProjectName("Run#1", "Integration Tests", 3)).toMatch(/^[a-z0-9][a-z0-9_-]*$/);
  });

  it("keeps long names distinct and short", () => {
    const a = stackProjectName("a".repeat(80), "it", 0);
    const b = stackProjectName("a".repeat(80), "it", 1);
    expect(a.length).toBeLessThanOrEqual(60);
    expect(a).not.toBe(b);
  });
});
