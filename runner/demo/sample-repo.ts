import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RunnerError } from "../errors.js";

/** Names the demo owns: `--down` removes exactly what carries them. */
export const DEMO = {
  repository: "slipway-demo",
  runnerId: "slipway-demo",
  builder: "demo-node",
  imageRepo: "slipway-demo/hello-node",
  envProject: "slipway-demo-integration",
} as const;

/** examples/hello-node, found from this module whether it runs from runner/ (tsx) or dist/runner/. */
export function exampleDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "examples", "hello-node");
    if (existsSync(join(candidate, "slipway.yml"))) return candidate;
    dir = dirname(dir);
  }
  throw new RunnerError("SLIPWAY_E_DEMO", "examples/hello-node not found next to the slipway installation");
}

/**
 * The demo's pipeline: hello-node's stages under the demo's own names (so its builder image,
 * app image and environment project collide with nothing else). Without a registry there is
 * no push stage: the image stays local, which the deploy stage is content with.
 */
export function demoPipeline(registryHost: string | undefined): string {
  const image = registryHost ? `${registryHost}/${DEMO.imageRepo}` : DEMO.imageRepo;
  return [
    "# The `slipway demo` pipeline: examples/hello-node under the demo's names.",
    `name: ${DEMO.repository}`,
    `image: ${image}`,
    "builders:",
    `  ${DEMO.builder}: { dockerfile: build/Dockerfile, version: "18" }`,
    "stages:",
    "  - name: build",
    `    builder: ${DEMO.builder}`,
    "    commands:",
    "      - node --test test/",
    '      - mkdir -p out && cp src/*.js package.json out/ && echo "$SLIPWAY_VERSION" > out/VERSION',
    "    artifacts: [out]",
    "  - name: package",
    "    package: { dockerfile: Dockerfile, context: . }",
    "  - name: integration",
    "    compose:",
    "      file: it/docker-compose.yml",
    "      parallel: 2",
    `      run: { builder: ${DEMO.builder}, commands: [node it/hello.mjs] }`,
    "      junit: reports/*.xml",
    "    timeout: 5m",
    ...(registryHost ? ["  - name: push", '    push: { tags: ["{version}"] }'] : []),
    "  - name: deploy-integration",
    "    deploy: integration",
    "environments:",
    "  integration:",
    "    compose: deploy/docker-compose.yml",
    `    project: ${DEMO.envProject}`,
    "    strategy: rolling",
    "    when: [develop]",
    "",
  ].join("\n");
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "Slipway Demo",
      GIT_AUTHOR_EMAIL: "demo@slipway.invalid",
      GIT_COMMITTER_NAME: "Slipway Demo",
      GIT_COMMITTER_EMAIL: "demo@slipway.invalid",
    },
  }).trim();
}

export interface SampleRepo {
  bare: string;
  work: string;
  /** Pushes `develop` (already there) and returns its sha. */
  developSha(): string;
  /** Tags the develop head `name`, pushes the tag and returns the tagged sha. */
  tag(name: string): string;
}

/** A git-flow repository: bare origin + work clone, `main` and `develop` pushed. */
export function createSampleRepo(root: string, registryHost: string | undefined): SampleRepo {
  const bare = join(root, "origin.git");
  const work = join(root, "work");
  mkdirSync(root, { recursive: true });
  git(root, "init", "-q", "--bare", "-b", "main", bare);
  cpSync(exampleDir(), work, { recursive: true });
  writeFileSync(join(work, "slipway.yml"), demoPipeline(registryHost));
  git(work, "init", "-q", "-b", "main");
  git(work, "add", "-A");
  git(work, "commit", "-qm", "hello-node, the Slipway demo");
  git(work, "remote", "add", "origin", bare);
  git(work, "push", "-q", "origin", "main");
  git(work, "checkout", "-qb", "develop");
  git(work, "push", "-q", "origin", "develop");
  return {
    bare,
    work,
    developSha: () => git(work, "rev-parse", "HEAD"),
    tag(name) {
      git(work, "tag", "-a", name, "-m", `release ${name}`);
      git(work, "push", "-q", "origin", name);
      return git(work, "rev-parse", `${name}^{commit}`);
    },
  };
}
