import { parseArgs } from "node:util";
import type { RunRow, StageRow } from "../store/index.js";
import type { CliIo } from "./cli-io.js";
import { ApiClient } from "./client.js";

/** `slipway trigger REPO REF`: queues a manual run. */
export async function triggerCommand(args: string[], io: CliIo): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { sha: { type: "string" } } });
  const [repo, ref] = positionals;
  if (!repo || !ref) {
    io.err("usage: slipway trigger REPO REF [--sha SHA]");
    return 2;
  }
  const { run } = await ApiClient.fromEnv().json<{ run: RunRow }>("POST", `/api/repos/${repo}/runs`, {
    ref,
    sha: values.sha,
  });
  io.out(`queued ${run.repository} #${run.number} (${run.id}) ${run.ref} @ ${run.sha.slice(0, 12)}`);
  return 0;
}

/** `slipway runs [--repo R] [--status S] [--limit N]`: the newest runs. */
export async function runsCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { repo: { type: "string" }, status: { type: "string" }, limit: { type: "string", default: "20" } },
  });
  const q = new URLSearchParams({ limit: values.limit });
  if (values.repo) q.set("repository", values.repo);
  if (values.status) q.set("status", values.status);
  const { runs } = await ApiClient.fromEnv().json<{ runs: RunRow[] }>("GET", `/api/runs?${q}`);
  io.out("ID                          REPOSITORY  #    REF                       STATUS     VERSION");
  for (const r of runs) {
    io.out(
      `${r.id.padEnd(27)} ${r.repository.padEnd(11)} ${String(r.number).padEnd(4)} ${r.ref.replace(/^refs\/(heads|tags)\//, "").padEnd(25)} ${r.status.padEnd(10)} ${r.version ?? ""}`,
    );
  }
  return 0;
}

/** `slipway logs RUN [--follow]`: every stage's log in order; with --follow, live until the run ends. */
export async function logsCommand(args: string[], io: CliIo): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { follow: { type: "boolean", short: "f" } },
  });
  const [runId] = positionals;
  if (!runId) {
    io.err("usage: slipway logs RUN [--follow]");
    return 2;
  }
  const client = ApiClient.fromEnv();
  const write = (text: string) => process.stdout.write(text);
  const done = new Set<string>();
  for (;;) {
    const { run, stages } = await client.json<{ run: RunRow; stages: StageRow[] }>("GET", `/api/runs/${runId}`);
    const pending = stages
      .filter((s) => !done.has(s.name) && s.status !== "skipped")
      .sort((a, b) => a.position - b.position);
    const finished = run.status !== "queued" && run.status !== "running";
    for (const stage of pending) {
      if (stage.status === "running" && !values.follow) break;
      io.out(`── ${stage.name} (${stage.status}) ──`);
      if (stage.status === "running") await client.followLog(runId, stage.name, 0, write);
      else write(await client.log(runId, stage.name));
      done.add(stage.name);
    }
    if (!values.follow || finished) {
      const setup = await client.log(runId, "_setup");
      if (setup.trim()) io.out(`── setup ──\n${setup.trimEnd()}`);
      io.out(`run ${run.id} ${run.status}${run.error ? `: ${run.error}` : ""}`);
      return 0;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** How long `slipway cancel` waits for a run's cleanup before printing its status anyway. */
const CANCEL_WAIT_MS = 120_000;

/** `slipway cancel RUN` and `slipway retry RUN [--from STAGE|failed]`. */
export async function cancelCommand(args: string[], io: CliIo): Promise<number> {
  const [runId] = args;
  if (!runId) {
    io.err("usage: slipway cancel RUN");
    return 2;
  }
  const client = ApiClient.fromEnv();
  let { run } = await client.json<{ run: RunRow }>("POST", `/api/runs/${runId}/cancel`);
  // The API answers before the run's cleanup is done; the CLI waits for the final status.
  const deadline = Date.now() + CANCEL_WAIT_MS;
  while ((run.status === "running" || run.status === "queued") && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    ({ run } = await client.json<{ run: RunRow }>("GET", `/api/runs/${runId}`));
  }
  io.out(`run ${run.id} ${run.status}`);
  return 0;
}

export async function retryCommand(args: string[], io: CliIo): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { from: { type: "string" } } });
  const [runId] = positionals;
  if (!runId) {
    io.err("usage: slipway retry RUN [--from STAGE|failed]");
    return 2;
  }
  const { run, fromStage } = await ApiClient.fromEnv().json<{ run: RunRow; fromStage: string | null }>(
    "POST",
    `/api/runs/${runId}/retry`,
    values.from ? { fromStage: values.from } : {},
  );
  io.out(`queued retry ${run.id} (#${run.number})${fromStage ? ` from stage ${fromStage}` : ""}`);
  return 0;
}

/** `slipway token create NAME | list | revoke ID`: store-issued API tokens. */
export async function tokenCommand(args: string[], io: CliIo): Promise<number> {
  const [verb, arg] = args;
  const client = ApiClient.fromEnv();
  if (verb === "create" && arg) {
    const created = await client.json<{ id: string; name: string; token: string }>("POST", "/api/tokens", {
      name: arg,
    });
    io.out(`created token ${created.name} (${created.id}); it is shown only now:`);
    io.out(created.token);
    return 0;
  }
  if (verb === "list" && !arg) {
    const { tokens } = await client.json<{
      tokens: { id: string; name: string; createdAt: number; revokedAt: number | null }[];
    }>("GET", "/api/tokens");
    io.out("ID                          NAME                 CREATED               REVOKED");
    for (const t of tokens) {
      const when = (ms: number | null) =>
        ms === null ? "" : new Date(ms).toISOString().slice(0, 19).replace("T", " ");
      io.out(`${t.id.padEnd(27)} ${t.name.padEnd(20)} ${when(t.createdAt).padEnd(21)} ${when(t.revokedAt)}`);
    }
    return 0;
  }
  if (verb === "revoke" && arg) {
    await client.json("DELETE", `/api/tokens/${encodeURIComponent(arg)}`);
    io.out(`revoked token ${arg}`);
    return 0;
  }
  io.err("usage: slipway token create NAME | token list | token revoke ID");
  return 2;
}
