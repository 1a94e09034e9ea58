/**
 * The layer map of Slipway (README, "Layout"), enforced by `npm run lint:deps` inside
 * `npm test`. Each top folder may import only the folders listed for it, only through their
 * index.ts, and nothing may form a cycle (type-only imports count: they are how a cycle starts).
 * test/ and bench/ are not checked: tests may reach a module's internals on purpose.
 */
const LAYERS = {
  core: [],
  "api-schema": ["core"],
  pipelines: ["core"],
  engine: ["core", "pipelines"],
  builders: ["core", "pipelines", "engine"],
  compose: ["core", "pipelines", "engine"],
  // Depend on nothing in runner/ or engine/: that is why they are top-level.
  store: ["core", "pipelines"],
  config: ["core", "pipelines"],
  webhooks: ["core", "pipelines"],
  secrets: ["core", "pipelines"],
  deploy: ["core", "pipelines", "engine", "builders", "compose", "store"],
  runner: [
    "core",
    "api-schema",
    "pipelines",
    "engine",
    "builders",
    "compose",
    "store",
    "config",
    "webhooks",
    "secrets",
    "deploy",
  ],
  // The browser UI: the API contract and nothing that runs on the server.
  dashboard: ["core", "api-schema"],
};
const TOP = Object.keys(LAYERS);

const layerRules = TOP.map((layer) => {
  const forbidden = TOP.filter((other) => other !== layer && !LAYERS[layer].includes(other));
  return {
    name: `layer-${layer}`,
    comment: `${layer}/ may import only ${LAYERS[layer].join(", ") || "nothing of the project"} (README, Layout)`,
    severity: "error",
    from: { path: `^${layer}/` },
    to: { path: `^(${forbidden.join("|")})/` },
  };
}).filter((rule) => !rule.to.path.startsWith("^()"));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "an import cycle: break it by moving the shared types into a module both sides import",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-internals",
      comment: "import another top folder only through its index.ts",
      severity: "error",
      from: { path: `^(${TOP.join("|")})/` },
      to: { path: `^(${TOP.join("|")})/`, pathNot: ["^$1/", "^[^/]+/index\\.tsx?$"] },
    },
    {
      name: "yaml-through-core",
      comment:
        "load yaml through core/ (isMap, isScalar, isSeq, parseYaml, stringifyYaml): the bundled CLI keeps it in a file of its own that only core/ reads (bin/bundle-cli.mjs); types may be imported",
      severity: "error",
      from: { path: "^(?!core/)", pathNot: "^(test|bench)/" },
      to: { path: "node_modules/yaml/", dependencyTypesNot: ["type-only"] },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: ["^dist/", "^builders/catalog/", "^dashboard/dist/", "\\.d\\.ts$"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".tsx", ".js", ".mjs"] },
  },
};
