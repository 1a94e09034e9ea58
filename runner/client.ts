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

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: this.headers(body === undefined ? {} : { "content-type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
    if (!res.ok) throw new ApiError(res.status, payload.error ?? "SLIPWAY_E_API", payload.message ?? res.statusText);
    return payload as T;
  }

  /** A stage's whole log from `offset`, as text. */
  async log(runId: string, stage: string, offset = 0): Promise<string> {
    const res = await fetch(`${this.baseUrl}/api/runs/${runId}/logs/${encodeURIComponent(stage)}?offset=${offset}`, {
      headers: this.headers(),
    });
    if (!res.ok) throw new ApiError(res.status, "SLIPWAY_E_API", await res.text());
    return res.text();
  }

  /** Follows a stage's log over SSE until the stage ends; returns the offset reached. */
  async followLog(runId: string, stage: string, offset: number, onText: (text: string) => void): Promise<number> {
    const res = await fetch(
      `${this.baseUrl}/api/runs/${runId}/logs/${encodeURIComponent(stage)}?follow=1&offset=${offset}`,
      {
        headers: this.headers({ accept: "text/event-stream" }),
      },
    );
    if (!res.ok || !res.body) throw new ApiError(res.status, "SLIPWAY_E_API", await res.text());
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

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${code} (HTTP ${status}): ${message}`);
    this.name = "ApiError";
  }
}
