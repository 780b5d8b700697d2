#!/usr/bin/env bash
# kwok.sh builds kwok (a fake kubelet: it makes Nodes Ready and Pods Running without containers) from the Go
# module proxy, for the benchmark in test/bench, and copies next to it the Stage configs its module ships for
# the node and Pod lifecycle. The result lives in a cache outside the repository, keyed by version, and is
# reused on every later call.
#
# Usage: hack/kwok.sh
# Prints the directory holding `kwok` and `stages.yaml` (pass it as --config) on stdout; progress on stderr.
set -euo pipefail

KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
CACHE_ROOT="${CAPK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cluster-api-provider-kubernetes}"
DEST="${CACHE_ROOT}/kwok/${KWOK_VERSION}"

# The fast node and Pod stages: a Node goes Ready, a Pod Running and Ready, a deleted Pod goes away, each at
# once. The lease heartbeat keeps the Node alive however long a run takes.
STAGES=(node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml
  pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml)

log() { printf 'kwok: %s\n' "$*" >&2; }

if [[ -x "${DEST}/kwok" && -s "${DEST}/stages.yaml" ]]; then
  echo "${DEST}"
  exit 0
fi

mkdir -p "${DEST}"
if [[ ! -x "${DEST}/kwok" ]]; then
  log "building sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION} (a few minutes the first time)"
  GOWORK=off GOBIN="${DEST}" CGO_ENABLED=0 go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}"
fi

src="$(GOWORK=off go mod download -json "sigs.k8s.io/kwok@${KWOK_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -n "${src}" ]] || { log "could not locate sigs.k8s.io/kwok@${KWOK_VERSION} in the module cache"; exit 1; }
tmp="${DEST}/stages.yaml.tmp"
: >"${tmp}"
for s in "${STAGES[@]}"; do
  { echo "---"; echo "# ${s} from sigs.k8s.io/kwok@${KWOK_VERSION}/kustomize/stage"; cat "${src}/kustomize/stage/${s}"; } >>"${tmp}"
done
mv "${tmp}" "${DEST}/stages.yaml"
log "ready in ${DEST}"
echo "${DEST}"
