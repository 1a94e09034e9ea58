import { XMLParser, XMLValidator } from "fast-xml-parser";
import { ComposeError } from "./errors.js";

const ATTRS = "$attributes";

/** Test counts of one JUnit XML file, or of several added up. */
export interface JUnitCounts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

/** What a compose stage reports about the JUnit files its tests wrote. */
export interface JUnitSummary {
  tests: number;
  /** tests - failed - errors - skipped, never below zero. */
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  /** Collected files, relative to the artifacts dir. */
  files: string[];
}

const ZERO: JUnitCounts = { tests: 0, failures: 0, errors: 0, skipped: 0 };

/**
 * Attributes are grouped apart from child elements because JUnit uses the same names for
 * both (`<testsuite skipped="1">` and `<testcase><skipped/></testcase>`). Numeric character
 * references (`&#55;`) are decoded only by the `htmlEntities` switch; the named XML ones
 * (`&lt;`) always are, and DOCTYPE entities stay within fast-xml-parser's expansion limits.
 */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributesGroupName: ATTRS,
  attributeNamePrefix: "",
  parseAttributeValue: false,
  htmlEntities: true,
  isArray: (name) => name === "testsuite" || name === "testcase",
});

type Element = { [ATTRS]?: Record<string, string>; testsuite?: Node[]; testcase?: Node[] } & Record<string, unknown>;
/** An element without attributes or children parses as "" (or its text). */
type Node = Element | string;

/**
 * Counts the tests of a JUnit XML report, as written by JUnit/Surefire, pytest,
 * go-junit-report, jest-junit, mocha and friends, through fast-xml-parser. Totals come from
 * the outermost element that carries them: `<testsuites tests=..>` if present, else each
 * top-level `<testsuite>`: its own `tests=..` attributes, or else its nested suites and test
 * cases counted the same way (a case with a `<failure>`, `<error>` or `<skipped>` child).
 * `file` names the report in errors: a malformed file is SLIPWAY_E_COMPOSE_JUNIT at
 * `file:line:column`.
 */
export function parseJUnit(xml: string, file = "JUnit report"): JUnitCounts {
  return countsOf(parseDocument(xml, file), file);
}

/** A failing test case of a report: `classname.name`, and the failure's message when it has one. */
export interface JUnitFailure {
  name: string;
  message?: string;
}

/** A report's counts (as `parseJUnit`) and its failing cases (`<failure>` or `<error>`), in one parse. */
export function parseJUnitReport(
  xml: string,
  file = "JUnit report",
): { counts: JUnitCounts; failures: JUnitFailure[] } {
  const doc = parseDocument(xml, file);
  const counts = countsOf(doc, file);
  const failures: JUnitFailure[] = [];
  const visitSuite = (node: Node) => {
    const suite = asElement(node);
    for (const tc of suite.testcase ?? []) visitCase(tc);
    for (const child of suite.testsuite ?? []) visitSuite(child);
  };
  const visitCase = (node: Node) => {
    const tc = asElement(node);
    const failure = tc.failure ?? tc.error;
    if (failure === undefined) return;
    const attrs = tc[ATTRS] ?? {};
    const name = [attrs.classname, attrs.name].filter((part) => part).join(".");
    const message = asElement(failure as Node)[ATTRS]?.message;
    failures.push(message ? { name, message } : { name });
  };
  // The root is <testsuites>, or the document itself holds the <testsuite>/<testcase> roots.
  visitSuite((doc.testsuites as Node | undefined) ?? { testsuite: doc.testsuite, testcase: doc.testcase });
  return { counts, failures };
}

function parseDocument(xml: string, file: string): Record<string, unknown> & Element {
  const verdict = XMLValidator.validate(xml);
  if (verdict !== true) {
    const { line, col, msg } = verdict.err;
    throw new ComposeError("SLIPWAY_E_COMPOSE_JUNIT", `${file}:${line}:${col}: not well-formed XML: ${msg}`, {
      position: { file, line, column: col },
    });
  }
  return parser.parse(xml) as Record<string, unknown> & Element;
}

function countsOf(doc: Record<string, unknown>, file: string): JUnitCounts {
  if (doc.testsuites !== undefined) {
    const root = asElement(doc.testsuites as Node);
    return countsFrom(root[ATTRS]) ?? sum((root.testsuite ?? []).map(suiteCounts));
  }
  if (doc.testsuite !== undefined) return sum((doc.testsuite as Node[]).map(suiteCounts));
  // A lone <testcase> root (some tools write one file per case) still counts.
  if (doc.testcase !== undefined) return sum((doc.testcase as Node[]).map(caseCounts));
  throw new ComposeError(
    "SLIPWAY_E_COMPOSE_JUNIT",
    `${file}: not a JUnit XML report: no <testsuites> or <testsuite> element`,
  );
}

function suiteCounts(node: Node): JUnitCounts {
  const suite = asElement(node);
  return (
    countsFrom(suite[ATTRS]) ??
    sum([...(suite.testsuite ?? []).map(suiteCounts), ...(suite.testcase ?? []).map(caseCounts)])
  );
}

function caseCounts(node: Node): JUnitCounts {
  const c = asElement(node);
  // The first outcome wins, as a case has one; a failure with a skipped marker is a failure.
  if (c.failure !== undefined) return { ...ZERO, tests: 1, failures: 1 };
  if (c.error !== undefined) return { ...ZERO, tests: 1, errors: 1 };
  if (c.skipped !== undefined) return { ...ZERO, tests: 1, skipped: 1 };
  return { ...ZERO, tests: 1 };
}

function asElement(node: Node): Element {
  return typeof node === "object" && node !== null ? node : {};
}

function sum(parts: JUnitCounts[]): JUnitCounts {
  const total = { ...ZERO };
  for (const part of parts) add(total, part);
  return total;
}

/** Adds up several files' counts into the stage's summary. */
export function summariseJUnit(counts: JUnitCounts[], files: string[]): JUnitSummary {
  const total = sum(counts);
  return {
    tests: total.tests,
    passed: Math.max(0, total.tests - total.failures - total.errors - total.skipped),
    failed: total.failures,
    errors: total.errors,
    skipped: total.skipped,
    files,
  };
}

function add(into: JUnitCounts, from: JUnitCounts): void {
  into.tests += from.tests;
  into.failures += from.failures;
  into.errors += from.errors;
  into.skipped += from.skipped;
}

/** Counts from `tests`/`failures`/`errors`/`skipped` (or `disabled`) attributes; undefined without `tests`. */
function countsFrom(attrs: Record<string, string> = {}): JUnitCounts | undefined {
  const tests = toInt(attrs.tests);
  if (tests === undefined) return undefined;
  return {
    tests,
    failures: toInt(attrs.failures) ?? 0,
    errors: toInt(attrs.errors) ?? 0,
    skipped: toInt(attrs.skipped) ?? toInt(attrs.skips) ?? toInt(attrs.disabled) ?? 0,
  };
}

function toInt(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
