import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Shared by the webhook tests: fixture bodies and real signatures computed the forges' way. */

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

export const SECRET = "whsec_9f8e7d6c5b4a39281706f5e4d3c2b1a0";

/** The exact bytes of a fixture, as a forge would send them. */
export function fixture(name: string): Buffer {
  return readFileSync(join(fixtures, `${name}.json`));
}

export function hmacHex(secret: string, body: Buffer): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

export function githubHeaders(event: string, body: Buffer, secret = SECRET): Record<string, string> {
  return {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/4f0ec8b",
    "x-github-event": event,
    "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    "x-github-hook-id": "482734811",
    "x-hub-signature-256": `sha256=${hmacHex(secret, body)}`,
  };
}

export function giteaHeaders(event: string, body: Buffer, secret = SECRET): Record<string, string> {
  return {
    "content-type": "application/json",
    "x-gitea-event": event,
    "x-gitea-event-type": event,
    "x-gitea-delivery": "f6266f16-1bf3-46a5-9ea4-602e06ead473",
    "x-gitea-signature": hmacHex(secret, body),
    // Gitea sends GitHub- and Gogs-compatible headers as well.
    "x-github-event": event,
    "x-gogs-event": event,
  };
}

export function gitlabHeaders(event: string, token = SECRET): Record<string, string> {
  return {
    "content-type": "application/json",
    "user-agent": "GitLab/16.11.2",
    "x-gitlab-event": event,
    "x-gitlab-event-uuid": "13792a34-cac6-4fda-95a8-c58e00a3954e",
    "x-gitlab-instance": "https://gitlab.acme.test",
    "x-gitlab-token": token,
  };
}
