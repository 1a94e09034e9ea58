import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { parseAnsi, stripAnsi } from "./ansi.js";
import { download, streamEvents, text } from "./api.js";

/** Pixel height of one log line (fixed, so any line's position is a multiplication). */
const LINE = 18;
const OVERSCAN = 12;

function Line(props: { text: string }) {
  return (
    <>
      {parseAnsi(props.text).map((s, i) => (
        <span
          key={i}
          class={[s.fg ? `fg${s.fg}` : "", s.bg ? `bg${s.bg}` : "", s.bold ? "b" : ""].join(" ").trim() || undefined}
        >
          {s.text}
        </span>
      ))}
    </>
  );
}

/** `#<stage>:L<n>` addresses line n (1-based) of a stage's log. */
export function lineFromHash(stage: string): number | undefined {
  const m = /^#(.+):L(\d+)$/.exec(decodeURIComponent(location.hash));
  return m && m[1] === stage ? Number(m[2]) : undefined;
}

/**
 * One stage's log: fetched whole when the stage is over, followed over SSE while it runs.
 * Only the lines in view (plus a margin) are in the DOM, so 200,000 lines scroll like 200.
 * It follows the tail until the user scrolls up, and resumes when they scroll back down.
 */
export function LogView(props: { runId: string; stage: string; live: boolean }) {
  const { runId, stage } = props;
  const lines = useRef<string[]>([]);
  const partial = useRef("");
  const box = useRef<HTMLDivElement>(null);
  const follow = useRef(true);
  const [count, setCount] = useState(0);
  const [following, setFollowing] = useState(true);
  const [state, setState] = useState<"loading" | "live" | "done" | "error">("loading");
  const [error, setError] = useState("");
  const [view, setView] = useState({ top: 0, height: 480 });
  const [query, setQuery] = useState("");
  const [matches, setMatches] = useState<number[]>([]);
  const [current, setCurrent] = useState(-1);
  const [selected, setSelected] = useState<number | undefined>(lineFromHash(stage));

  useEffect(() => {
    lines.current = [];
    partial.current = "";
    follow.current = lineFromHash(stage) === undefined;
    setFollowing(follow.current);
    setCount(0);
    setMatches([]);
    setState("loading");
    const ac = new AbortController();
    let frame = 0;
    const publish = () => {
      frame = 0;
      setCount(lines.current.length + (partial.current ? 1 : 0));
    };
    const append = (chunk: string) => {
      const parts = (partial.current + chunk).split("\n");
      partial.current = parts.pop() ?? "";
      const target = lines.current;
      for (const p of parts) target.push(p);
      frame ||= requestAnimationFrame(publish);
    };
    const url = `/api/runs/${runId}/logs/${encodeURIComponent(stage)}`;
    const done = () => {
      if (partial.current) {
        lines.current.push(partial.current);
        partial.current = "";
      }
      publish();
      setState("done");
    };
    const fail = (err: Error) => {
      if (ac.signal.aborted) return;
      setError(err.message);
      setState("error");
    };
    if (props.live) {
      setState("live");
      streamEvents(
        `${url}?follow=1`,
        (m) => {
          if (m.event === "end") return;
          append((JSON.parse(m.data) as { text: string }).text);
        },
        ac.signal,
        { resume: true },
      ).then(() => !ac.signal.aborted && done(), fail);
    } else {
      text(url, ac.signal).then((t) => {
        append(t);
        done();
      }, fail);
    }
    return () => {
      ac.abort();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [runId, stage]);

  const lineAt = (i: number) => (i < lines.current.length ? lines.current[i] : partial.current) ?? "";

  // Keep the tail in view while following; jump to a linked line once it has arrived.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (follow.current) el.scrollTop = el.scrollHeight;
    else if (
      selected !== undefined &&
      selected <= count &&
      state !== "loading" &&
      el.dataset.jumped !== String(selected)
    ) {
      el.dataset.jumped = String(selected);
      el.scrollTop = Math.max(0, (selected - 1) * LINE - el.clientHeight / 2);
    }
  }, [count, selected, state]);

  // A line link followed in this page (or typed into the address bar) selects that line.
  useEffect(() => {
    const onHash = () => {
      const n = lineFromHash(stage);
      if (n === undefined) return;
      follow.current = false;
      setFollowing(false);
      setSelected(n);
    };
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, [stage]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setView({ top: el.scrollTop, height: el.clientHeight }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - LINE * 2;
    if (follow.current !== atBottom) {
      follow.current = atBottom;
      setFollowing(atBottom);
    }
    setView({ top: el.scrollTop, height: el.clientHeight });
  };

  const jumpTo = (index: number) => {
    const el = box.current;
    follow.current = false;
    setFollowing(false);
    if (el) el.scrollTop = Math.max(0, index * LINE - el.clientHeight / 2);
  };

  const search = (e: Event) => {
    e.preventDefault();
    const q = query.toLowerCase();
    if (!q) return setMatches([]);
    const found: number[] = [];
    for (let i = 0; i < count; i++) if (stripAnsi(lineAt(i)).toLowerCase().includes(q)) found.push(i);
    setMatches(found);
    const next = found.findIndex((i) => i > (matches[current] ?? -1));
    const pick = next === -1 ? 0 : next;
    setCurrent(found.length ? pick : -1);
    if (found.length) jumpTo(found[pick] ?? 0);
  };
  const step = (delta: number) => {
    if (!matches.length) return;
    const next = (current + delta + matches.length) % matches.length;
    setCurrent(next);
    jumpTo(matches[next] ?? 0);
  };

  const first = Math.max(0, Math.floor(view.top / LINE) - OVERSCAN);
  const last = Math.min(count, Math.ceil((view.top + view.height) / LINE) + OVERSCAN);
  const matchSet = new Set(matches);
  const rows = [];
  for (let i = first; i < last; i++) {
    const n = i + 1;
    const cls = [
      "log-line",
      matchSet.has(i) ? "match" : "",
      matches[current] === i ? "current" : "",
      selected === n ? "selected" : "",
    ]
      .join(" ")
      .trim();
    rows.push(
      <div key={i} class={cls} style={{ top: `${i * LINE}px` }}>
        <a
          class="ln"
          href={`#${encodeURIComponent(stage)}:L${n}`}
          onClick={() => {
            follow.current = false;
            setFollowing(false);
            setSelected(n);
          }}
          aria-label={`line ${n}`}
        >
          {n}
        </a>
        <span class="lt">
          <Line text={lineAt(i)} />
        </span>
      </div>,
    );
  }

  return (
    <section class="log" aria-label={`log of ${stage}`}>
      <div class="log-tools">
        <form aria-label="Search the log" onSubmit={search}>
          <label>
            <span class="sr-only">Search the log</span>
            <input
              type="search"
              name="q"
              placeholder="Search log"
              value={query}
              onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
            />
          </label>
          <button type="submit">Find</button>
          <button type="button" onClick={() => step(-1)} disabled={!matches.length} aria-label="previous match">
            ↑
          </button>
          <button type="button" onClick={() => step(1)} disabled={!matches.length} aria-label="next match">
            ↓
          </button>
          <output class="match-count" aria-live="polite">
            {query && matches.length === 0 && current === -1
              ? ""
              : matches.length
                ? `${current + 1} of ${matches.length}`
                : ""}
          </output>
        </form>
        <span class="log-state" data-state={state}>
          {state === "live" ? "live" : state === "loading" ? "loading…" : state === "error" ? `error: ${error}` : ""}{" "}
          {count.toLocaleString()} lines
        </span>
        <button
          type="button"
          aria-pressed={following}
          onClick={() => {
            follow.current = true;
            setFollowing(true);
            const el = box.current;
            if (el) el.scrollTop = el.scrollHeight;
          }}
        >
          {following ? "Following" : "Follow tail"}
        </button>
        <button
          type="button"
          onClick={() => void download(`/api/runs/${runId}/logs/${encodeURIComponent(stage)}`, `${runId}-${stage}.log`)}
        >
          Download raw
        </button>
      </div>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus to scroll by keyboard */}
      <div class="log-box" ref={box} onScroll={onScroll} tabIndex={0} data-lines={count}>
        <div class="log-inner" style={{ height: `${count * LINE}px` }}>
          {rows}
        </div>
      </div>
    </section>
  );
}
