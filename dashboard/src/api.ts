import type { BodyOf, ErrorJson, ReplyOf, RouteName } from "../../api-schema/index.js";

/**
 * The dashboard's client of the daemon's API. Bodies are typed from the same JSON schemas the
 * server validates with (api-schema/). The token lives in sessionStorage (gone with the tab,
 * never in a URL) and goes out only as an Authorization header, so SSE is read with fetch
 * rather than EventSource (which cannot send headers).
 */
const TOKEN_KEY = "slipway.token";

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = getToken();
  return { ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
}

async function failure(res: Response): Promise<ApiFailure> {
  const body = (await res.json().catch(() => ({}))) as Partial<ErrorJson>;
  return new ApiFailure(res.status, body.error ?? "SLIPWAY_E_API", body.message ?? res.statusText);
}

/** Calls a route by its schema name: `call("getRun", "GET", "/api/runs/X")` is typed `ReplyOf<"getRun">`. */
export async function call<R extends RouteName>(
  _route: R,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: BodyOf<R>,
): Promise<ReplyOf<R>> {
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { "content-type": "application/json" }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as ReplyOf<R>;
}

export async function text(path: string, signal?: AbortSignal): Promise<string> {
  const res = await fetch(path, { headers: headers(), signal });
  if (!res.ok) throw await failure(res);
  return res.text();
}

/** Saves a download fetched with the token (a plain link could not carry it). */
export async function download(path: string, filename: string): Promise<void> {
  const res = await fetch(path, { headers: headers() });
  if (!res.ok) throw await failure(res);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface SseMessage {
  event: string;
  id?: string;
  data: string;
}

/**
 * Reads server-sent events with fetch until `signal` aborts or the server ends the stream.
 * Reconnects after a dropped connection (with Last-Event-ID when `resume` is set), like EventSource.
 * `onOpen` is called on each (re)connection, once the server answered: what happened while
 * the page was not connected is for the caller to read again.
 */
export async function streamEvents(
  path: string,
  onMessage: (m: SseMessage) => void,
  signal: AbortSignal,
  opts: { resume?: boolean; onOpen?: () => void } = {},
): Promise<void> {
  let lastId: string | undefined;
  while (!signal.aborted) {
    try {
      const extra: Record<string, string> = { accept: "text/event-stream" };
      if (opts.resume && lastId) extra["last-event-id"] = lastId;
      const res = await fetch(path, { headers: headers(extra), signal });
      if (!res.ok || !res.body) throw await failure(res);
      opts.onOpen?.();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const msg: SseMessage = { event: "message", data: "" };
          for (const line of block.split("\n")) {
            const colon = line.indexOf(":");
            if (colon <= 0) continue;
            const field = line.slice(0, colon);
            const value = line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") msg.event = value;
            else if (field === "id") msg.id = value;
            else if (field === "data") msg.data += value;
          }
          if (!msg.data) continue;
          if (msg.id) lastId = msg.id;
          onMessage(msg);
          if (msg.event === "end") return;
        }
      }
      if (opts.resume) continue; // the server closed without `end`: reconnect
      return;
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiFailure && err.status < 500) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
