import { describe, expect, it } from "vitest";
import {
  classifyRef,
  computeVersion,
  defaultFlow,
  type FlowConfig,
  globMatch,
  type RefInfo,
  sanitizeTag,
} from "../../../pipelines/index.js";

const flow = defaultFlow();
const custom: FlowConfig = {
  develop: "dev",
  main: "trunk",
  feature: "feat/",
  release: "rel/",
  hotfix: "fix/",
  tag: "release-*",
};
const masterFlow: FlowConfig = { ...flow, main: "master" };

describe("classifyRef", () => {
  it.each<[string, FlowConfig, { isTag?: boolean } | undefined, Partial<RefInfo>]>([
    ["develop", flow, undefined, { ref: "refs/heads/develop", name: "develop", kind: "develop", isTag: false }],
    ["refs/heads/develop", flow, undefined, { name: "develop", kind: "develop" }],
    ["main", flow, undefined, { kind: "main", ref: "refs/heads/main" }],
    ["master", flow, undefined, { kind: "main" }],
    ["main", masterFlow, undefined, { kind: "main" }],
    ["master", masterFlow, undefined, { kind: "main" }],
    ["master", custom, undefined, { kind: "other" }],
    ["trunk", custom, undefined, { kind: "main" }],
    ["feature/login", flow, undefined, { kind: "feature", suffix: "login" }],
    ["refs/heads/feature/a/b", flow, undefined, { kind: "feature", suffix: "a/b", name: "feature/a/b" }],
    ["feature/", flow, undefined, { kind: "other" }],
    ["release/1.2", flow, undefined, { kind: "release", suffix: "1.2" }],
    ["hotfix/1.2.1", flow, undefined, { kind: "hotfix", suffix: "1.2.1" }],
    ["Feature/Login", flow, undefined, { kind: "other" }],
    ["feat/x", custom, undefined, { kind: "feature", suffix: "x" }],
    ["rel/2.0", custom, undefined, { kind: "release", suffix: "2.0" }],
    ["fix/2.0.1", custom, undefined, { kind: "hotfix", suffix: "2.0.1" }],
    ["dev", custom, undefined, { kind: "develop" }],
    ["develop", custom, undefined, { kind: "other" }],
    ["refs/tags/v1.2.0", flow, undefined, { ref: "refs/tags/v1.2.0", name: "v1.2.0", kind: "tag", isTag: true }],
    ["refs/tags/nightly", flow, undefined, { kind: "other", isTag: true }],
    ["v1.2.0", flow, { isTag: true }, { ref: "refs/tags/v1.2.0", kind: "tag", isTag: true }],
    ["v1.2.0", flow, undefined, { ref: "refs/heads/v1.2.0", kind: "other", isTag: false }],
    ["release-7", custom, { isTag: true }, { kind: "tag" }],
    ["v7", custom, { isTag: true }, { kind: "other", isTag: true }],
    ["bugfix/x", flow, undefined, { kind: "other" }],
  ])("%s (%#)", (ref, f, opts, expected) => {
    const info = classifyRef(ref, f, opts);
    expect(info).toMatchObject(expected);
    if (expected.suffix === undefined) expect(info.suffix).toBeUndefined();
  });

  it("uses the longest matching prefix when prefixes overlap", () => {
    const nested = { ...flow, release: "rel/", hotfix: "rel/hot/" };
    expect(classifyRef("rel/hot/1", nested)).toMatchObject({ kind: "hotfix", suffix: "1" });
    expect(classifyRef("rel/1", nested)).toMatchObject({ kind: "release", suffix: "1" });
  });
});

describe("globMatch", () => {
  it.each([
    ["v*", "v1.0", true],
    ["v*", "1.0", false],
    ["v?.?", "v1.2", true],
    ["v?.?", "v1.22", false],
    ["v1.*", "v1x2", false],
    // A ref name is never empty (git refuses one); what matters is that `*` spans `/`.
    ["*", "feature/a/b", true],
  ])("%s ~ %s = %s", (pattern, text, expected) => {
    expect(globMatch(pattern, text)).toBe(expected);
  });
});

describe("computeVersion", () => {
  it.each<[string, { isTag?: boolean } | undefined, number, string, string[]]>([
    ["develop", undefined, 42, "develop-42", ["develop-42", "develop"]],
    ["release/1.2", undefined, 7, "1.2-rc.7", ["1.2-rc.7"]],
    ["hotfix/1.2.1", undefined, 8, "1.2.1-rc.8", ["1.2.1-rc.8"]],
    ["refs/tags/v1.2.0", undefined, 9, "v1.2.0", ["v1.2.0", "latest"]],
    ["v2.0.0+build.5", { isTag: true }, 1, "v2.0.0-build.5", ["v2.0.0-build.5", "latest"]],
    ["feature/login", undefined, 3, "feature-login-3", ["feature-login-3"]],
    ["feature/JIRA-12/Big+Thing", undefined, 4, "feature-jira-12-big-thing-4", ["feature-jira-12-big-thing-4"]],
    ["main", undefined, 5, "main-5", ["main-5"]],
    ["master", undefined, 6, "main-6", ["main-6"]],
    ["renovate/lodash-4.x", undefined, 2, "renovate-lodash-4.x-2", ["renovate-lodash-4.x-2"]],
    ["release/RC_1", undefined, 0, "rc_1-rc.0", ["rc_1-rc.0"]],
  ])("%s run %i → %s", (ref, opts, run, version, tags) => {
    expect(computeVersion(classifyRef(ref, flow, opts), run)).toEqual({ version, tags });
  });

  it("keeps the run number on very long branch names", () => {
    const long = `feature/${"x".repeat(200)}`;
    const { version } = computeVersion(classifyRef(long, flow), 123456);
    expect(version.length).toBeLessThanOrEqual(128);
    expect(version.endsWith("-123456")).toBe(true);
    const release = computeVersion(classifyRef(`release/${"9".repeat(200)}`, flow), 77).version;
    expect(release.length).toBeLessThanOrEqual(128);
    expect(release.endsWith("-rc.77")).toBe(true);
  });

  it("rejects bad run numbers", () => {
    expect(() => computeVersion(classifyRef("develop", flow), -1)).toThrow(RangeError);
    expect(() => computeVersion(classifyRef("develop", flow), 1.5)).toThrow(RangeError);
  });
});

describe("sanitizeTag", () => {
  it.each([
    ["feature/login", "feature-login"],
    ["Feature/LOGIN", "feature-login"],
    ["v1.0.0+build", "v1.0.0-build"],
    ["a//b", "a-b"],
    ["a--b", "a-b"],
    ["-lead", "lead"],
    [".hidden", "hidden"],
    ["._-x", "_-x"],
    ["snake_case", "snake_case"],
    ["héllo wörld", "h-llo-w-rld"],
    ["", "unnamed"],
    ["///", "unnamed"],
    ["1.2.3", "1.2.3"],
  ])("%j → %j", (input, expected) => {
    expect(sanitizeTag(input)).toBe(expected);
  });

  it("produces valid Docker tags", () => {
    for (const s of ["x", "-.-.", "A+B/C", `${"é".repeat(300)}`, `..${"a".repeat(500)}`]) {
      expect(sanitizeTag(s)).toMatch(/^[a-z0-9_][a-z0-9_.-]{0,127}$/);
    }
  });

  it("shortens 200-character names deterministically and keeps distinct names distinct", () => {
    const a = `feature/${"a".repeat(200)}`;
    const b = `feature/${"a".repeat(199)}b`;
    const c = `FEATURE/${"a".repeat(200)}`;
    expect(sanitizeTag(a)).toHaveLength(128);
    expect(sanitizeTag(a)).toBe(sanitizeTag(a));
    expect(sanitizeTag(a)).toMatch(/^feature-a+-[0-9a-f]{8}$/);
    expect(new Set([sanitizeTag(a), sanitizeTag(b), sanitizeTag(c)]).size).toBe(3);
    expect(sanitizeTag("a".repeat(128))).toBe("a".repeat(128));
    expect(sanitizeTag("a".repeat(129))).toHaveLength(128);
  });
});
