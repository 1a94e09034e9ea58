import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BuilderError } from "../../../builders/index.js";
import { ComposeError } from "../../../compose/index.js";
import { ConfigError } from "../../../config/index.js";
import { EXIT_FAILURE, EXIT_INTERNAL, exitCodeOf, hasCode, isSlipwayError, SlipwayError } from "../../../core/index.js";
import { EngineError } from "../../../engine/index.js";
import { ApiError } from "../../../runner/client.js";
import { RunnerError } from "../../../runner/errors.js";
import { API_ERROR_CODES, ApiRequestError } from "../../../runner/serve/api-errors.js";
import { StoreError } from "../../../store/index.js";
import { ROOT } from "../../helpers/fixture-repo.js";

describe("SlipwayError", () => {
  it("carries code, cause, exit code and frozen details", () => {
    const cause = new Error("root");
    const err = new SlipwayError("SLIPWAY_E_X", "msg", { cause, details: { a: 1 } });
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: "SLIPWAY_E_X", message: "msg", cause, exitCode: EXIT_FAILURE });
    expect(err.httpStatus).toBeUndefined();
    expect(Object.isFrozen(err.details)).toBe(true);
    expect(err.toJSON()).toEqual({ error: "SLIPWAY_E_X", code: "SLIPWAY_E_X", message: "msg", a: 1 });
  });

  it("is the base of every layer's error, each named after its class", () => {
    const errors = [
      new EngineError("SLIPWAY_E_ENGINE_UNREACHABLE", "m"),
      new BuilderError("SLIPWAY_E_ARTIFACT_MISSING", "m"),
      new ComposeError("SLIPWAY_E_COMPOSE_UP", "m", { service: "db" }),
      new ConfigError("SLIPWAY_E_CONFIG_INVALID", []),
      new StoreError("SLIPWAY_E_STORE_URL", "m"),
      new RunnerError("SLIPWAY_E_RUN_NUMBER", "m"),
      new ApiError(404, "SLIPWAY_E_API_NOT_FOUND", "m"),
      new ApiRequestError("SLIPWAY_E_API_CONFLICT", "m"),
    ];
    for (const err of errors) {
      expect(isSlipwayError(err)).toBe(true);
      expect(err.name).toBe(err.constructor.name);
      expect(exitCodeOf(err)).toBe(EXIT_FAILURE);
    }
    expect(errors[2]?.details).toEqual({ service: "db" });
    expect(errors[6]?.httpStatus).toBe(404);
    expect(errors[7]?.httpStatus).toBe(409);
  });

  it("gives the CLI its exit code from the error, not from a `code` property", () => {
    expect(exitCodeOf(new SlipwayError("SLIPWAY_E_X", "m", { exitCode: 3 }))).toBe(3);
    // A Node system error has a `code` too, but is not a reported failure: it is internal.
    expect(exitCodeOf(Object.assign(new Error("no such file"), { code: "ENOENT" }))).toBe(EXIT_INTERNAL);
    expect(exitCodeOf("thrown string")).toBe(EXIT_INTERNAL);
    expect(hasCode(new StoreError("SLIPWAY_E_STORE_URL", "m"), "SLIPWAY_E_STORE_URL")).toBe(true);
    expect(hasCode({ code: "SLIPWAY_E_STORE_URL" }, "SLIPWAY_E_STORE_URL")).toBe(false);
  });

  it("answers with the HTTP status docs/api.md gives each API code", () => {
    const doc = readFileSync(join(ROOT, "docs/api.md"), "utf8");
    for (const [code, { status }] of Object.entries(API_ERROR_CODES)) {
      const row = doc.split("\n").find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      expect(row?.split("|")[2]?.trim().startsWith(String(status)), code).toBe(true);
    }
  });
});
