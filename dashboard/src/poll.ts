import { useEffect, useRef } from "preact/hooks";

/**
 * Calls `fn` at once, then again `intervalMs(result)` after each call settles (so a slow
 * answer never overlaps the next request), until the component unmounts or `deps` change.
 * The interval comes from the last answer so a page can poll fast while something moves and
 * slowly while nothing does. A hidden tab does not poll; it catches up when shown again.
 */
export function usePoll<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  intervalMs: (last: T | undefined) => number,
  deps: unknown[],
): void {
  const latest = useRef({ fn, intervalMs });
  latest.current = { fn, intervalMs };
  useEffect(() => {
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last: T | undefined;
    let inflight = false;
    const tick = async () => {
      timer = undefined;
      if (ac.signal.aborted || inflight) return;
      if (document.visibilityState === "hidden") return; // resumed by the visibility listener
      inflight = true;
      try {
        last = await latest.current.fn(ac.signal);
      } catch {
        // The page shows its own error; polling goes on (the daemon may be restarting).
      } finally {
        inflight = false;
      }
      if (!ac.signal.aborted) timer = setTimeout(tick, latest.current.intervalMs(last));
    };
    const onVisible = () => {
      if (document.visibilityState === "visible" && timer === undefined && !inflight) void tick();
    };
    document.addEventListener("visibilitychange", onVisible);
    void tick();
    return () => {
      ac.abort();
      if (timer) clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
    // The caller names what restarts the poll (`fn` changes every render; the ref holds the newest).
  }, deps);
}
