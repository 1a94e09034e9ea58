import { describe, expect, it } from "vitest";
import { globBase, globStaysInside, nameGlob, pathGlob } from "../../../core/index.js";

describe("pathGlob (workspace paths)", () => {
  it.each([
    ["reports/*.xml", "reports/junit-0.xml", true],
    ["reports/*.xml", "reports/sub/junit.xml", false],
    ["reports/**/*.xml", "reports/sub/deep/junit.xml", true],
    ["reports/**/*.xml", "reports/junit.xml", true],
    ["**/TEST-*.xml", "target/surefire/TEST-a.xml", true],
    ["**/TEST-*.xml", "TEST-top.xml", true],
    ["./out/junit-?.xml", "out/junit-1.xml", true],
    ["out/junit-?.xml", "out/junit-12.xml", false],
    ["out/{unit,it}.xml", "out/it.xml", true],
    ["out/{unit,it}.xml", "out/e2e.xml", false],
    ["out/{unit,it}/*.xml", "out/unit/a.xml", true],
    ["out/a.b.xml", "out/aXb.xml", false],
    // The hand-written matcher escaped `[` here while its prefix finder treated it as a wildcard.
    ["reports/[abc].xml", "reports/a.xml", true],
    ["reports/[abc].xml", "reports/c.xml", true],
    ["reports/[abc].xml", "reports/d.xml", false],
    ["reports/shard-[0-9].xml", "reports/shard-7.xml", true],
    ["reports/shard-[^0-9].xml", "reports/shard-7.xml", false],
    // sh's negation: picomatch 4.0.x inverts it unless asked for POSIX (picomatch#187).
    ["reports/shard-[!0-9].xml", "reports/shard-7.xml", false],
    ["reports/shard-[!0-9].xml", "reports/shard-x.xml", true],
    ["reports/*.xml", "reports/.hidden.xml", true],
    // `!` selects literally: a pattern never turns into "everything but".
    ["!reports/*.xml", "out/a.xml", false],
    // picomatch never lets a segment match `..`, so a match cannot climb out of the tree.
    ["**/*.xml", "a/../b.xml", false],
  ])("%s matches %s: %s", (glob, path, expected) => {
    expect(pathGlob(glob)(path)).toBe(expected);
  });

  it.each([
    ["reports/unit/*.xml", "reports/unit"],
    ["**/junit.xml", ""],
    ["junit.xml", ""],
    ["out/junit.xml", "out"],
    ["./out/junit.xml", "out"],
    ["a/b*/c.xml", "a"],
    ["a/b[c]/d.xml", "a"],
    ["a/{b,c}/*.xml", "a"],
  ])("base of %s is %j", (glob, base) => {
    expect(globBase(glob)).toBe(base);
  });

  it.each([
    ["reports/*.xml", true],
    ["./reports/*.xml", true],
    ["../other/*.xml", false],
    ["reports/../../x.xml", false],
    ["/etc/*.xml", false],
    ["", false],
  ])("%j stays inside the tree: %s", (glob, inside) => {
    expect(globStaysInside(glob)).toBe(inside);
  });
});

describe("nameGlob (branch and tag names)", () => {
  it.each([
    // `*`, `?` and literal dots are table-tested through pipelines' globMatch (gitflow.test.ts).
    ["release/*", "release/1.2/rc", true],
    ["feature/*", "feature/a", true],
    ["v[12].*", "v2.0", true],
    ["v[12].*", "v3.0", false],
    ["{main,master}", "master", true],
    ["v[!0].*", "v0.1", false],
    ["v[!0].*", "v1.1", true],
  ])("%s ~ %s = %s", (pattern, text, expected) => {
    expect(nameGlob(pattern)(text)).toBe(expected);
  });
});
