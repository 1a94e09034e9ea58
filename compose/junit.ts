import { ComposeError } from "./errors.js";

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

const TAG = /<(\/?)(testsuites|testsuite|testcase|failure|error|skipped)\b((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g;

/**
 * Counts the tests of a JUnit XML report, as written by JUnit/Surefire, pytest, go-junit-report,
 * jest-junit, mocha and friends. Small on purpose (no XML dependency): comments and CDATA are
 * dropped, then the tags that matter are scanned. Totals come from the outermost element that
 * carries them: `<testsuites tests=..>` if present, else each top-level `<testsuite tests=..>`,
 * else the `<testcase>` elements and their `<failure>`/`<error>`/`<skipped>` children.
 */
export function parseJUnit(xml: string): JUnitCounts {
  const text = xml.replace(/<!--[\s\S]*?-->/g, "").replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, "");
  let sawRoot = false;
  let suitesTotals: JUnitCounts | undefined;
  const total: JUnitCounts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  let suiteDepth = 0;
  // Per top-level suite: attribute totals if it has them, else counted test cases.
  let suiteAttrs: JUnitCounts | undefined;
  let counted: JUnitCounts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  let caseOutcome: "ok" | "failure" | "error" | "skipped" = "ok";
  let inCase = false;
  const closeCase = () => {
    if (!inCase) return;
    inCase = false;
    counted.tests++;
    if (caseOutcome === "failure") counted.failures++;
    else if (caseOutcome === "error") counted.errors++;
    else if (caseOutcome === "skipped") counted.skipped++;
  };
  const closeSuite = () => {
    closeCase();
    add(total, suiteAttrs ?? counted);
    suiteAttrs = undefined;
    counted = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  };
  for (const match of text.matchAll(TAG)) {
    const [, closing, name, attrText = "", selfClosing] = match;
    if (name === "testsuites") {
      sawRoot = true;
      if (!closing) suitesTotals = countsFrom(attributes(attrText));
      continue;
    }
    if (name === "testsuite") {
      sawRoot = true;
      if (closing) {
        suiteDepth--;
        if (suiteDepth === 0) closeSuite();
        continue;
      }
      suiteDepth++;
      if (suiteDepth === 1) suiteAttrs = countsFrom(attributes(attrText));
      if (selfClosing) {
        suiteDepth--;
        if (suiteDepth === 0) closeSuite();
      }
      continue;
    }
    if (name === "testcase") {
      if (closing) {
        closeCase();
        continue;
      }
      closeCase();
      inCase = true;
      caseOutcome = "ok";
      if (selfClosing) closeCase();
      continue;
    }
    if (!closing && inCase && caseOutcome === "ok")
      caseOutcome = name === "skipped" ? "skipped" : (name as "failure" | "error");
  }
  // A file holding bare <testcase> elements without any suite still counts.
  closeCase();
  if (counted.tests > 0) add(total, counted);
  if (!sawRoot && total.tests === 0) {
    throw new ComposeError("SLIPWAY_E_COMPOSE_JUNIT", "not a JUnit XML report: no <testsuites> or <testsuite> element");
  }
  return suitesTotals ?? total;
}

/** Adds up several files' counts into the stage's summary. */
export function summariseJUnit(counts: JUnitCounts[], files: string[]): JUnitSummary {
  const sum: JUnitCounts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const c of counts) add(sum, c);
  return {
    tests: sum.tests,
    passed: Math.max(0, sum.tests - sum.failures - sum.errors - sum.skipped),
    failed: sum.failures,
    errors: sum.errors,
    skipped: sum.skipped,
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
function countsFrom(attrs: Record<string, string>): JUnitCounts | undefined {
  const tests = toInt(attrs.tests);
  if (tests === undefined) return undefined;
  return {
    tests,
    failures: toInt(attrs.failures) ?? 0,
    errors: toInt(attrs.errors) ?? 0,
    skipped: toInt(attrs.skipped) ?? toInt(attrs.skips) ?? toInt(attrs.disabled) ?? 0,
  };
}

function attributes(text: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of text.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    attrs[m[1] ?? ""] = m[2] ?? m[3] ?? "";
  }
  return attrs;
}

function toInt(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
