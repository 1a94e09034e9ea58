#!/usr/bin/env bash
# Builds the self-hosted image (`npm run image`; .ci/run and test/image use it too).
# Outbound TLS may pass through an intercepting proxy that this host trusts through its
# system store: its extra CAs are copied into certs/ so the image build trusts them as well
# (see certs/README.md), rather than switching verification off.
# Usage: bash image/build.sh [TAG] [docker build args...]   (default tag: slipway)
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-slipway}
shift || true

copied=0
for crt in /usr/local/share/ca-certificates/*.crt /usr/local/share/ca-certificates/*/*.crt; do
  [ -f "$crt" ] || continue
  cp "$crt" "certs/host-$(basename "$crt")"
  copied=$((copied + 1))
done
echo "image/build.sh: $copied extra CA certificate(s) from the host in certs/" >&2
exec docker build -t "$tag" "$@" .
