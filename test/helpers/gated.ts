/**
 * The files of a repository whose develop runs build, then deploy to `production` (a busybox
 * sleep, `strategy: recreate`) with the given extra environment keys, e.g. `approval: manual`:
 * the approvals, notifications and dashboard tests all gate a deploy on it.
 */
export function gatedRepository(project: string, envKeys: string[]): Record<string, string> {
  return {
    "slipway.yml": [
      "name: gated",
      "builders:",
      "  box: { image: busybox:latest }",
      "stages:",
      "  - name: build",
      "    builder: box",
      '    commands: ["echo built"]',
      "  - { name: deploy-prod, deploy: production }",
      "environments:",
      "  production:",
      "    compose: deploy/compose.yml",
      `    project: ${project}`,
      "    strategy: recreate",
      ...envKeys.map((k) => `    ${k}`),
      "",
    ].join("\n"),
    "deploy/compose.yml":
      'services:\n  web:\n    image: busybox:latest\n    init: true\n    command: ["sleep", "3600"]\n',
  };
}
