#!/usr/bin/env bash
# End-to-end test on a kind cluster, for machines with Docker (CI here has none: see docs/install.md).
#
#   test/e2e/kind.sh            create cluster, build + load image, install, apply examples, wait Ready
#   KEEP=1 test/e2e/kind.sh     the same, and leave the cluster running for a demo
#
# Environment: CLUSTER (default chaman-e2e), IMAGE (default chaman-operator:e2e), TIMEOUT (default
# 300s per wait), KEEP (1 keeps the cluster). Needs docker, kind, kubectl, openssl, and `npm ci` done
# in the repository (Node 24 and the libraries generate the examples' certificates).
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLUSTER=${CLUSTER:-chaman-e2e}
IMAGE=${IMAGE:-chaman-operator:e2e}
TIMEOUT=${TIMEOUT:-300s}
KEEP=${KEEP:-0}
NAMESPACE=chaman-system
EMULATOR_HOST=chaman-emulator.${NAMESPACE}.svc
WORK=$(mktemp -d "${TMPDIR:-/tmp}/chaman-e2e.XXXXXX")
CREATED_CLUSTER=0

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'kind.sh: %s\n' "$*" >&2; exit 1; }
k() { kubectl --context "kind-${CLUSTER}" "$@"; }

diagnostics() {
  log "diagnostics"
  k get pods -A -o wide || true
  k -n "${NAMESPACE}" describe pods || true
  k -n "${NAMESPACE}" logs deployment/chaman-operator --all-containers --tail=200 || true
  k -n "${NAMESPACE}" logs deployment/chaman-emulator --tail=100 || true
  k get chamansenders,channelaccounts -A -o yaml || true
}

cleanup() {
  local rc=$?
  trap - EXIT
  if [[ ${rc} -ne 0 ]]; then
    diagnostics
  fi
  rm -rf "${WORK}"
  if [[ ${KEEP} == 1 ]]; then
    log "kept cluster ${CLUSTER}: kubectl --context kind-${CLUSTER} get channelaccounts -A; delete it with: kind delete cluster --name ${CLUSTER}"
  elif [[ ${CREATED_CLUSTER} == 1 ]]; then
    log "deleting cluster ${CLUSTER} (KEEP=1 keeps it)"
    kind delete cluster --name "${CLUSTER}" || true
  fi
  exit "${rc}"
}
trap cleanup EXIT

for tool in docker kind kubectl openssl; do
  command -v "${tool}" >/dev/null 2>&1 || die "${tool} is required"
done
NODE="${ROOT}/node_modules/.bin/node"
[[ -x ${NODE} ]] || NODE=node
"${NODE}" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)' 2>/dev/null \
  || die "Node.js 24 is required to generate the examples' certificates: run npm ci in ${ROOT}"
[[ ${IMAGE} == *:* ]] || die "IMAGE must be name:tag (got ${IMAGE})"

log "kind cluster ${CLUSTER}"
if kind get clusters 2>/dev/null | grep -qx "${CLUSTER}"; then
  echo "reusing the existing cluster (it is not deleted at the end)"
else
  kind create cluster --name "${CLUSTER}" --wait 120s
  CREATED_CLUSTER=1
fi

log "image ${IMAGE}"
docker build -t "${IMAGE}" "${ROOT}"
kind load docker-image "${IMAGE}" --name "${CLUSTER}"

log "TLS certificate for the in-cluster emulator"
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj "/CN=chaman-e2e-ca" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -keyout "${WORK}/ca.key" -out "${WORK}/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=${EMULATOR_HOST}" \
  -keyout "${WORK}/tls.key" -out "${WORK}/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s,DNS:%s.cluster.local,DNS:chaman-emulator\nextendedKeyUsage=serverAuth\n' \
  "${EMULATOR_HOST}" "${EMULATOR_HOST}" >"${WORK}/ext.cnf"
openssl x509 -req -in "${WORK}/tls.csr" -CA "${WORK}/ca.crt" -CAkey "${WORK}/ca.key" -CAcreateserial \
  -days 2 -sha256 -extfile "${WORK}/ext.cnf" -out "${WORK}/tls.crt" 2>/dev/null
openssl rand -hex 24 | tr -d '\n' >"${WORK}/token"

printf '%s:*\n' "$(cat "${WORK}/token")" >"${WORK}/tokens"

log "namespace and Secrets (chaman-api, chaman-emulator)"
k create namespace "${NAMESPACE}" --dry-run=client -o yaml | k apply -f -
k -n "${NAMESPACE}" create secret generic chaman-api \
  --from-literal=url="https://${EMULATOR_HOST}:8443" \
  --from-file=token="${WORK}/token" \
  --from-file=ca.crt="${WORK}/ca.crt" \
  --dry-run=client -o yaml | k apply -f -
k -n "${NAMESPACE}" create secret generic chaman-emulator \
  --from-file=tls.crt="${WORK}/tls.crt" --from-file=tls.key="${WORK}/tls.key" --from-file=tokens="${WORK}/tokens" \
  --dry-run=client -o yaml | k apply -f -

log "manifests/overlays/emulator with image ${IMAGE}"
mkdir -p "${WORK}/overlay"
# kustomize wants a relative path (portable: no GNU realpath on macOS).
OVERLAY_BASE=$("${NODE}" -e 'console.log(require("node:path").relative(process.argv[1], process.argv[2]))' \
  "${WORK}/overlay" "${ROOT}/manifests/overlays/emulator")
cat >"${WORK}/overlay/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ${OVERLAY_BASE}
images:
  - name: chaman-operator
    newName: ${IMAGE%:*}
    newTag: ${IMAGE##*:}
YAML
k kustomize "${WORK}/overlay" >"${WORK}/install.yaml"
k apply --server-side --field-manager=chaman-e2e -f "${WORK}/install.yaml"
k wait --for=condition=Established --timeout="${TIMEOUT}" crd/chamansenders.chaman.io crd/channelaccounts.chaman.io
k -n "${NAMESPACE}" rollout status deployment/chaman-emulator --timeout="${TIMEOUT}"
k -n "${NAMESPACE}" rollout status deployment/chaman-operator --timeout="${TIMEOUT}"

log "examples (and their generated Secrets)"
GENERATOR="${ROOT}/scripts/gen-example-secrets.ts"
[[ -f ${GENERATOR} ]] || GENERATOR="${ROOT}/scripts/gen-example-certs.ts"
[[ -f ${GENERATOR} ]] || die "no example generator (scripts/gen-example-secrets.ts)"
(cd "${ROOT}" && "${NODE}" "${GENERATOR}" --out "${WORK}/examples")
k apply -f "${ROOT}/examples/00-namespace.yaml"
k apply -f "${WORK}/examples/"
k apply -f "${ROOT}/examples/"

log "waiting for Ready"
k wait --for=condition=Ready chamansenders --all -A --timeout="${TIMEOUT}"
k wait --for=condition=Ready channelaccounts --all -A --timeout="${TIMEOUT}"

log "status"
k get chamansenders,channelaccounts -A -o wide
k get configmaps -A -l app.kubernetes.io/managed-by=chaman-operator -o custom-columns='NAMESPACE:.metadata.namespace,NAME:.metadata.name,DATA:.data'
k -n "${NAMESPACE}" get lease chaman-operator -o custom-columns='LEADER:.spec.holderIdentity,RENEWED:.spec.renewTime'
log "e2e passed"
