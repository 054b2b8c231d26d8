#!/bin/sh
# Builds the local Kubernetes control plane of test/controlplane (etcd + kube-apiserver + controllers
# + kubectl) from the Go module proxy, or finds it cached in test/controlplane/bin/. A cold build takes
# several minutes (it prints progress); a cached one, well under a second. Prints the binary's path.
# Needs `npm ci` done (Node 24 from node_modules) and Go >= 1.26 on PATH (or GO=/path/to/go).
set -eu
cd "$(dirname "$0")/.."
GO="${GO:-go}"
if ! command -v "$GO" >/dev/null 2>&1; then
  echo "install-controlplane: Go >= 1.26 is needed on PATH (or set GO=/path/to/go)" >&2
  exit 1
fi
echo "install-controlplane: $("$GO" version), GOPROXY=$("$GO" env GOPROXY)"
PATH="$PWD/node_modules/.bin:$PATH" exec node scripts/controlplane.ts --build-only
