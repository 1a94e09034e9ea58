import { SlipwayError } from "../core/index.js";
import type { RunnerErrorCode } from "./errors.js";

/** A small client of the daemon's HTTP API, used by the CLI verbs (runs, logs, trigger, ...). */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): ApiClient {
    return new ApiClient((env.SLIPWAY_URL ?? "http://127.0.0.1:8080").replace(/\/$/, ""), env.SLIPWAY_TOKEN);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  /** `fetch`, with a refused connection or bad address reported as an ApiError naming the URL. */
  private async request(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, init);
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new ApiError(
        0,
        "SLIPWAY_E_API_UNREACHABLE" satisfies RunnerErrorCode,
        `cannot reach slipway serve at ${this.baseUrl} (${cause}); set SLIPWAY_URL`,
      );
    }
  }

  /**
   * One whole request and answer through node:http (what every verb but `logs --follow` does):
   * loading fetch's undici costs ~25 ms of each CLI command, a third of `slipway runs`.
   */
  private async exchange(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
    try {
      return await plainRequest(`${this.baseUrl}${path}`, method, this.headers(headers), body);
    } catch (err) {
      throw new ApiError(
        0,
        "SLIPWAY_E_API_UNREACHABLE" satisfies RunnerErrorCode,
        `cannot reach slipway serve at ${this.baseUrl} (${(err as Error).message}); set SLIPWAY_URL`,
      );
    }
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.exchange(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
      body === undefined ? {} : { "content-type": "application/json" },
    );
    if (res.status < 200 || res.status > 299) throw errorFrom(res.status, res.statusText, res.text);
    return JSON.parse(res.text) as T;
  }

  /** A stage's whole log from `offset`, as text. */
  async log(runId: string, stage: string, offset = 0): Promise<string> {
    const res = await this.exchange("GET", `/api/runs/${runId}/logs/${encodeURIComponent(stage)}?offset=${offset}`);
    if (res.status < 200 || res.status > 299) throw errorFrom(res.status, res.statusText, res.text);
    return res.text;
  }

  /** Follows a stage's log over SSE until the stage ends; returns the offset reached. */
  async followLog(runId: string, stage: string, offset: number, onText: (text: string) => void): Promise<number> {
    const res = await this.request(`/api/runs/${runId}/logs/${encodeURIComponent(stage)}?follow=1&offset=${offset}`, {
      headers: this.headers({ accept: "text/event-stream" }),
    });
    if (!res.ok || !res.body) throw await errorOf(res);
    let buffer = "";
    let reached = offset;
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end !== -1) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        const data = /^data: (.*)$/m.exec(event)?.[1];
        if (!data) continue;
        if (/^event: end$/m.test(event)) return (JSON.parse(data) as { offset: number }).offset;
        const { text } = JSON.parse(data) as { text: string };
        reached = Number(/^id: (\d+)$/m.exec(event)?.[1] ?? reached);
        onText(text);
      }
    }
    return reached;
  }
}

/** The API's `{error, message}` answer as an ApiError; other bodies keep the HTTP status text. */
async function errorOf(res: Response): Promise<ApiError> {
  return errorFrom(res.status, res.statusText, await res.text().catch(() => ""));
}

function errorFrom(status: number, statusText: string, text: string): ApiError {
  let payload: { error?: unknown; message?: unknown } = {};
  try {
    payload = JSON.parse(text) as typeof payload;
  } catch {}
  const code =
    typeof payload.error === "string" && /^SLIPWAY_E_[A-Z0-9_]+$/.test(payload.error)
      ? payload.error
      : ("SLIPWAY_E_API" satisfies RunnerErrorCode);
  const message = typeof payload.message === "string" ? payload.message : statusText;
  return new ApiError(status, code, message);
}

/** Headers give up after 300 s, as fetch's do: `--wait` holds a request at most 240 s. */
const ANSWER_TIMEOUT_MS = 300_000;

/** GET/POST with a whole body and a whole answer, over http: or https: (loaded only then). */
async function plainRequest(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<{ status: number; statusText: string; text: string }> {
  const target = new URL(url);
  const transport = target.protocol === "https:" ? await import("node:https") : await import("node:http");
  return new Promise((resolve, reject) => {
    const req = transport.request(
      target,
      {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { "content-length": Buffer.byteLength(body) }) },
        timeout: ANSWER_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? "",
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s`)));
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * An error answer of the daemon (its own `SLIPWAY_E_*` code, carried through) or no answer at
 * all (`status` 0, SLIPWAY_E_API_UNREACHABLE). The CLI exits 1 for any of them.
 */
export class ApiError extends SlipwayError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    // The CLI prints `code: message`, so the code is not repeated in the message.
    super(code, status === 0 ? message : `${message} (HTTP ${status})`, status === 0 ? {} : { httpStatus: status });
  }
}
