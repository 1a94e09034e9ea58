import { Agent, request } from "undici";
import { parseRetryAfter } from "./backoff.js";
import { NotifyError } from "./errors.js";
import { SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from "./signing.js";

/** What one HTTP attempt came to. `error` starts with a SLIPWAY_E_NOTIFY_* code when it failed. */
export interface AttemptResult {
  ok: boolean;
  /** Whether trying again could help: false for a 4xx other than 408/429, a redirect, a bad URL. */
  retryable: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  retryAfterSeconds?: number;
}

export interface OutboundRequest {
  url: string;
  body: string;
  webhook: string;
  event: string;
  deliveryId: string;
  /** Signs with `X-Slipway-Signature` when given. */
  secret?: string;
  timeoutMs: number;
  /** The daemon stopping: the attempt is cut and reported `aborted`. */
  signal?: AbortSignal;
}

/** At most this much of a receiver's answer is read (and then discarded): a chatty receiver cannot tie us up. */
const MAX_ANSWER_BYTES = 64 * 1024;

export const USER_AGENT = "Slipway-Webhook/1";

/**
 * Sends webhook requests with undici. One connection pool for every webhook; redirects are
 * never followed (a 3xx is a refusal: the configured URL is the only destination).
 */
export class WebhookSender {
  private readonly agent = new Agent({ connections: 8, keepAliveTimeout: 10_000 });

  /** One attempt; never throws except NotifyError(SLIPWAY_E_NOTIFY_BAD_URL) for a non-http(s) URL. */
  async send(req: OutboundRequest, now = () => Date.now()): Promise<AttemptResult & { aborted: boolean }> {
    const url = new URL(req.url);
    // Checked at start-up already; checked again here because this is the one place that sends.
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new NotifyError("SLIPWAY_E_NOTIFY_BAD_URL", `webhook ${req.webhook}: only http(s) URLs are sent to`);
    }
    const timestamp = Math.floor(now() / 1000);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": USER_AGENT,
      "x-slipway-event": req.event,
      "x-slipway-delivery": req.deliveryId,
      [TIMESTAMP_HEADER]: String(timestamp),
    };
    if (req.secret !== undefined) headers[SIGNATURE_HEADER] = signBody(req.secret, timestamp, req.body);
    const timeout = AbortSignal.timeout(req.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    try {
      const res = await request(url, {
        method: "POST",
        headers,
        body: req.body,
        signal,
        dispatcher: this.agent,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      await drain(res.body);
      const status = res.statusCode;
      const ok = status >= 200 && status < 300;
      const retryable = !ok && (status >= 500 || status === 408 || status === 429);
      const retryAfter = parseRetryAfter(res.headers["retry-after"]);
      const error = ok
        ? null
        : `SLIPWAY_E_NOTIFY_REFUSED: HTTP ${status}${status >= 300 && status < 400 ? " (redirects are not followed)" : ""}`;
      return {
        ok,
        retryable,
        statusCode: status,
        error,
        durationMs: elapsed(),
        aborted: false,
        ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
      };
    } catch (err) {
      const aborted = req.signal?.aborted === true;
      const timedOut = timeout.aborted || /timeout/i.test((err as Error).name ?? "");
      const error = timedOut
        ? `SLIPWAY_E_NOTIFY_TIMEOUT: no answer within ${req.timeoutMs / 1000}s`
        : `SLIPWAY_E_NOTIFY_UNREACHABLE: ${describe(err)}`;
      return { ok: false, retryable: true, statusCode: null, error, durationMs: elapsed(), aborted };
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Reads and drops the answer, up to a bound: the connection is then reusable. */
async function drain(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<void> {
  let read = 0;
  for await (const chunk of body) {
    read += chunk.length;
    if (read > MAX_ANSWER_BYTES) {
      body.destroy();
      return;
    }
  }
}

/** The network error's code and message, without a stack. */
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? e.code;
  const message = e.cause?.message ?? e.message ?? String(err);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}
