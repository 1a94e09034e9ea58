import { describe, expect, it } from "vitest";
import { ComposeError, parseJUnit, parseJUnitReport, summariseJUnit } from "../../../compose/index.js";

describe("parseJUnit", () => {
  it("takes the totals of a <testsuites> root", () => {
    const xml = `<?xml version="1.0"?>
<testsuites tests="7" failures="2" errors="1" skipped="1">
  <testsuite name="a" tests="3" failures="1"><testcase name="x"/></testsuite>
</testsuites>`;
    expect(parseJUnit(xml)).toEqual({ tests: 7, failures: 2, errors: 1, skipped: 1 });
  });

  it("adds up top-level <testsuite> attributes when the root has none", () => {
    const xml = `<testsuites>
  <testsuite name="a" tests="3" failures="1" errors="0" skipped="0"/>
  <testsuite name='b' tests='4' failures='0' errors='2' disabled='1'></testsuite>
</testsuites>`;
    expect(parseJUnit(xml)).toEqual({ tests: 7, failures: 1, errors: 2, skipped: 1 });
  });

  it("counts test cases when suites carry no counts, nested suites included", () => {
    const xml = `<testsuite name="outer">
  <testsuite name="inner">
    <testcase name="ok"/>
    <testcase name="bad"><failure message="a > b">stack</failure></testcase>
  </testsuite>
  <testcase name="boom"><error type="E"/></testcase>
  <testcase name="later"><skipped/></testcase>
  <testcase name="fine"></testcase>
</testsuite>`;
    expect(parseJUnit(xml)).toEqual({ tests: 5, failures: 1, errors: 1, skipped: 1 });
  });

  it("ignores tags inside comments and CDATA (test output can contain anything)", () => {
    const xml = `<testsuite tests="1" failures="0">
<!-- <testsuite tests="100"/> -->
<testcase name="t"><system-out><![CDATA[<testsuite tests="50" failures="50">]]></system-out></testcase>
</testsuite>`;
    expect(parseJUnit(xml)).toEqual({ tests: 1, failures: 0, errors: 0, skipped: 0 });
  });

  it("a single suite of the fixture's shape", () => {
    const xml = `<testsuite name="shard-0" tests="3" failures="0" errors="0" skipped="1"><testcase name="a"/></testsuite>`;
    expect(parseJUnit(xml)).toEqual({ tests: 3, failures: 0, errors: 0, skipped: 1 });
  });

  it("rejects what is not JUnit with SLIPWAY_E_COMPOSE_JUNIT", () => {
    expect(() => parseJUnit("<html><body>nope</body></html>")).toThrow(ComposeError);
    try {
      parseJUnit("{}");
    } catch (err) {
      expect((err as ComposeError).code).toBe("SLIPWAY_E_COMPOSE_JUNIT");
    }
  });
});

describe("parseJUnit through an XML parser", () => {
  it("a malformed file is SLIPWAY_E_COMPOSE_JUNIT naming the file, line and column", () => {
    const xml = `<testsuite tests="1">\n  <testcase name="a">\n</testsuite>`;
    let caught: unknown;
    try {
      parseJUnit(xml, "reports/bad.xml");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ComposeError);
    const err = caught as ComposeError;
    expect(err.code).toBe("SLIPWAY_E_COMPOSE_JUNIT");
    expect(err.message).toMatch(/^reports\/bad\.xml:3:1: not well-formed XML: .*testcase/);
    expect(err.position).toEqual({ file: "reports/bad.xml", line: 3, column: 1 });
  });

  it("an unclosed attribute quote or a stray `<` is refused, not half-counted", () => {
    for (const xml of ['<testsuite tests="3><testcase/></testsuite>', '<testsuite tests="3">a < b</testsuite>']) {
      expect(() => parseJUnit(xml, "r.xml")).toThrow(/^r\.xml:\d+:\d+: not well-formed XML/);
    }
  });

  it("nested suites: a nested suite's own totals count where the outer one has none", () => {
    const xml = `<testsuites>
  <testsuite name="outer">
    <testsuite name="inner-with-totals" tests="10" failures="2" errors="0" skipped="3">
      <testcase name="only-one-listed"/>
    </testsuite>
    <testsuite name="inner-counted">
      <testsuite name="deeper"><testcase name="d"><error/></testcase></testsuite>
      <testcase name="c"><failure/></testcase>
    </testsuite>
    <testcase name="top-level-case"/>
  </testsuite>
</testsuites>`;
    expect(parseJUnit(xml)).toEqual({ tests: 13, failures: 3, errors: 1, skipped: 3 });
  });

  it("CDATA holding markup, even a closing tag, is text", () => {
    const xml = `<testsuite name="s">
<testcase name="t"><system-out><![CDATA[</testcase></testsuite><testsuite tests="50"><testcase/>]]></system-out></testcase>
<testcase name="u"><failure><![CDATA[expected <a> got ]]]]><![CDATA[>]]></failure></testcase>
</testsuite>`;
    expect(parseJUnit(xml)).toEqual({ tests: 2, failures: 1, errors: 0, skipped: 0 });
  });

  it("entities: named and numeric references are decoded, in attributes too", () => {
    const xml = `<testsuite name="a &amp; b &lt;c&gt;" tests="&#51;" failures="&#x31;" errors="0" skipped="0">
<testcase name="x"><failure message="1 &lt; 2 &quot;quoted&quot;"/></testcase>
</testsuite>`;
    expect(parseJUnit(xml)).toEqual({ tests: 3, failures: 1, errors: 0, skipped: 0 });
  });

  it("a DOCTYPE entity bomb stays bounded (no exponential expansion)", () => {
    const level = (n: number) => `<!ENTITY l${n} "${`&l${n - 1};`.repeat(10)}">`;
    const doctype = `<!DOCTYPE x [<!ENTITY l0 "lol">${[1, 2, 3, 4, 5, 6, 7].map(level).join("")}]>`;
    const xml = `<?xml version="1.0"?>${doctype}<testsuite tests="1" name="&l7;"><testcase name="&l7;"/></testsuite>`;
    const started = Date.now();
    let counts: unknown;
    try {
      counts = parseJUnit(xml, "bomb.xml");
    } catch (err) {
      counts = (err as ComposeError).code;
    }
    expect(Date.now() - started).toBeLessThan(2000);
    expect([{ tests: 1, failures: 0, errors: 0, skipped: 0 }, "SLIPWAY_E_COMPOSE_JUNIT"]).toContainEqual(counts);
  });

  it("a <skipped> child and a skipped= attribute do not collide", () => {
    const xml = `<testsuite name="s"><testcase name="a" skipped="no"/><testcase name="b"><skipped message="later"/></testcase></testsuite>`;
    expect(parseJUnit(xml)).toEqual({ tests: 2, failures: 0, errors: 0, skipped: 1 });
  });
});

describe("parseJUnitReport (counts and failing cases in one parse)", () => {
  it("names failing and erroring cases classname.name with their message, nested suites included", () => {
    const xml = `<testsuites>
  <testsuite name="outer">
    <testcase classname="math" name="adds"/>
    <testcase classname="math" name="divides"><failure message="division by zero &lt;0&gt;">trace</failure></testcase>
    <testsuite name="inner">
      <testcase name="boots"><error type="E"/></testcase>
      <testcase name="later"><skipped/></testcase>
    </testsuite>
  </testsuite>
</testsuites>`;
    const report = parseJUnitReport(xml, "reports/a.xml");
    expect(report.counts).toEqual({ tests: 4, failures: 1, errors: 1, skipped: 1 });
    expect(report.failures).toEqual([{ name: "math.divides", message: "division by zero <0>" }, { name: "boots" }]);
  });

  it("refuses malformed XML the same way parseJUnit does", () => {
    expect(() => parseJUnitReport("<testsuite><testcase></testsuite>", "r.xml")).toThrow(
      /^r\.xml:1:\d+: not well-formed/,
    );
  });
});

describe("summariseJUnit", () => {
  it("passed = tests - failures - errors - skipped", () => {
    expect(
      summariseJUnit(
        [
          { tests: 3, failures: 0, errors: 0, skipped: 1 },
          { tests: 5, failures: 1, errors: 1, skipped: 0 },
        ],
        ["a.xml", "b.xml"],
      ),
    ).toEqual({ tests: 8, passed: 5, failed: 1, errors: 1, skipped: 1, files: ["a.xml", "b.xml"] });
  });

  it("is zero for no files", () => {
    expect(summariseJUnit([], [])).toEqual({ tests: 0, passed: 0, failed: 0, errors: 0, skipped: 0, files: [] });
  });
});
