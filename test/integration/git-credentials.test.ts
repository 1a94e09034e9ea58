import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitMirror } from "../../engine/index.js";
import { git } from "../helpers/fixture-repo.js";

/**
 * Git credentials never appear on a command line: a real git smart-HTTP server (git's own
 * `git http-backend` CGI behind a small Node server that demands basic auth and answers
 * slowly) is fetched from while every process's argv is read from /proc.
 */
const USER = "ci-bot";
const PASSWORD = `pw-${Math.random().toString(36).slice(2)}-Secret`;
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");

let root: string;
let server: Server;
let url: string;
const seen = { authorized: 0, refused: 0 };

/** Runs git-http-backend for one request (CGI), after a delay that makes the fetch last a while. */
function cgi(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const [path = "", query = ""] = (req.url ?? "").split("?");
  const child = spawn("git", ["http-backend"], {
    env: {
      PATH: process.env.PATH ?? "",
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: "1",
      REQUEST_METHOD: req.method ?? "GET",
      PATH_INFO: path.replace(/^\/git/, ""),
      QUERY_STRING: query,
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      CONTENT_LENGTH: String(body.length),
      REMOTE_USER: USER,
      REMOTE_ADDR: "127.0.0.1",
    },
  });
  const out: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => out.push(c));
  child.on("close", () => {
    const all = Buffer.concat(out);
    const split = all.indexOf("\r\n\r\n");
    const head = all.subarray(0, split).toString();
    let status = 200;
    for (const line of head.split("\r\n")) {
      const [key = "", ...rest] = line.split(":");
      const value = rest.join(":").trim();
      if (key.toLowerCase() === "status") status = Number(value.split(" ")[0]);
      else if (key) res.setHeader(key, value);
    }
    res.statusCode = status;
    res.end(all.subarray(split + 4));
  });
  child.stdin.end(body);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "slipway-git-auth-"));
  const work = join(root, "work");
  git(root, "init", "-q", "-b", "main", work);
  git(work, "commit", "-q", "--allow-empty", "-m", "first");
  git(root, "clone", "-q", "--bare", work, join(root, "repo.git"));
  server = createServer((req, res) => {
    if (req.headers.authorization !== `Basic ${BASIC}`) {
      seen.refused++;
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="slipway-test"' }).end();
      return;
    }
    seen.authorized++;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    // Slow on purpose: the fetch's processes stay alive long enough to be inspected.
    req.on("end", () => setTimeout(() => cgi(req, res, Buffer.concat(chunks)), 700));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/git/repo.git`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

/** Every process's command line that contains the password, in clear or base64. */
function leakingProcesses(): string[] {
  const leaks: string[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let argv: string;
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
      continue;
    }
    if (argv.includes(PASSWORD) || argv.includes(BASIC)) leaks.push(`${pid}: ${argv}`);
  }
  return leaks;
}

/** Runs `work` while scanning /proc every few ms; returns the leaks and how many git processes were seen. */
async function watchWhile(work: Promise<unknown>): Promise<{ leaks: string[]; gitSeen: number }> {
  const leaks = new Set<string>();
  let gitSeen = 0;
  let finished = false;
  void work.finally(() => {
    finished = true;
  });
  while (!finished) {
    for (const l of leakingProcesses()) leaks.add(l);
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(url)) gitSeen++;
      } catch {}
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  await work;
  return { leaks: [...leaks], gitSeen };
}

describe("git credentials over http(s) (real git, real smart-HTTP server with basic auth)", () => {
  it("clones, fetches and lists refs with the password in no process's argv", async () => {
    const mirror = new GitMirror(join(root, "mirror.git"), url, { username: USER, password: PASSWORD });
    const clone = await watchWhile(mirror.sync());
    expect(clone.leaks).toEqual([]);
    expect(clone.gitSeen).toBeGreaterThan(0);
    expect(await mirror.resolve("main")).toMatch(/^[0-9a-f]{40}$/);

    git(join(root, "work"), "commit", "-q", "--allow-empty", "-m", "second");
    git(join(root, "work"), "push", "-q", join(root, "repo.git"), "main");
    const fetch = await watchWhile(mirror.sync());
    expect(fetch.leaks).toEqual([]);
    expect(await mirror.resolve("main")).toBe(git(join(root, "work"), "rev-parse", "HEAD"));

    const refs = await watchWhile(mirror.lsRemote());
    expect(refs.leaks).toEqual([]);
    expect(seen.authorized).toBeGreaterThan(2);
  });

  it("fails without prompting when the password is wrong", async () => {
    const mirror = new GitMirror(join(root, "mirror-bad.git"), url, { username: USER, password: "wrong-password" });
    const before = seen.refused;
    await expect(mirror.lsRemote()).rejects.toThrow(/Authentication failed|401|could not read/i);
    expect(seen.refused).toBeGreaterThan(before);
  });
});
