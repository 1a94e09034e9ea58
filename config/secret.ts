import { inspect } from "node:util";

const REDACTED = "[secret]";

/**
 * A resolved secret value. Every accidental way of turning it into text (template strings,
 * `JSON.stringify` of the whole config, `console.log`, pino's serialisers) prints
 * `[secret]`, so a config dumped into a log never leaks; only `.reveal()` gives the value,
 * which makes each real use easy to find in review. The value lives in a private field, which
 * neither `Object.keys`, spreading nor `util.inspect` can see.
 */
export class Secret {
  readonly #value: string;

  /** @param source where the value came from (`env GO_AUTH_TOKEN`, `file /run/secrets/x`), safe to log */
  constructor(
    value: string,
    readonly source: string,
  ) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
