import { useEffect, useRef } from "preact/hooks";
import { streamEvents } from "./api.js";
import type { DeploymentMessage } from "./deployment-state.js";

/**
 * How often the environments pages read everything again although events keep them current:
 * a safety net for what the stream cannot carry (a deployment by another runner sharing the
 * store, a message lost while reconnecting), not the way they update. Tests set
 * `globalThis.slipwayFallbackPollMs` (before the page loads) to a very long interval, to prove
 * that the page moves by events alone.
 */
export function fallbackPollMs(): number {
  const hook = (globalThis as { slipwayFallbackPollMs?: unknown }).slipwayFallbackPollMs;
  return typeof hook === "number" && hook > 0 ? hook : 30_000;
}

/**
 * Follows the deployment messages of `/api/events` while the component is mounted: `onMessage`
 * for each, `onOpen` on every (re)connection (read again what may have been missed).
 */
export function useDeploymentEvents(onMessage: (m: DeploymentMessage) => void, onOpen: () => void): void {
  const latest = useRef({ onMessage, onOpen });
  latest.current = { onMessage, onOpen };
  useEffect(() => {
    const ac = new AbortController();
    void streamEvents(
      "/api/events",
      (m) => {
        if (m.event !== "deployment" && m.event !== "batch" && m.event !== "lock") return;
        latest.current.onMessage({ type: m.event, data: JSON.parse(m.data) } as DeploymentMessage);
      },
      ac.signal,
      { resume: true, onOpen: () => latest.current.onOpen() },
    ).catch(() => {}); // refused (signed out, no read access): the fallback poll still runs
    return () => ac.abort();
  }, []);
}
