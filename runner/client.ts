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

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(path, {
      method,
      headers: this.headers(body === undefined ? {} : { "content-type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw await errorOf(res);
    return (await res.json()) as T;
  }

  /** A stage's whole log from `offset`, as text. */
  async log(runId: string, stage: string, offset = 0): Promise<string> {
    const res = await this.request(`/api/runs/${runId}/logs/${encodeURIComponent(stage)}?offset=${offset}`, {
      headers: this.headers(),
    });
    if (!res.ok) throw await errorOf(res);
    return res.text();
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
  const payload = (await res.json().catch(() => ({}))) as { error?: unknown; message?: unknown };
  const code =
    typeof payload.error === "string" && /^SLIPWAY_E_[A-Z0-9_]+$/.test(payload.error)
      ? payload.error
      : ("SLIPWAY_E_API" satisfies RunnerErrorCode);
  const message = typeof payload.message === "string" ? payload.message : res.statusText;
  return new ApiError(res.status, code, message);
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
