import { describe, expect, it } from "vitest";
import { ComposeError, parseJUnit, summariseJUnit } from "../../../compose/index.js";

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
