#!/usr/bin/env bash
# release-artifacts.sh writes the provider's clusterctl release as a local repository clusterctl can read:
#
#   OUTPUT/repository/infrastructure-kubernetes/VERSION/
#     infrastructure-components.yaml   kubectl kustomize config/default, with IMG as the manager image
#     metadata.yaml                    cluster/metadata.yaml
#     cluster-template*.yaml           templates/
#     clusterclass-*.yaml              templates/
#   OUTPUT/clusterctl.yaml             a clusterctl configuration that names this repository
#
# kubectl (which has kustomize built in) comes from hack/testbin.sh, which builds it from the Go module proxy
# once. The CRDs are the ones make generate wrote into config/crd.
#
# Usage: hack/release-artifacts.sh [OUTPUT [VERSION]]   (defaults: _output, v0.1.0; IMG from the environment)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
output="${1:-${root}/_output}"
version="${2:-v0.1.0}"
img="${IMG:-localhost/kindnode/capkn-manager:dev}"

log() { printf 'release-artifacts: %s\n' "$*" >&2; }

[[ "${version}" == v* ]] || { log "VERSION must look like v0.1.0, got ${version}"; exit 1; }
mkdir -p "${output}"
output="$(cd "${output}" && pwd)"

kubectl="$(bash "${root}/hack/testbin.sh")/kubectl"
release="${output}/repository/infrastructure-kubernetes/${version}"
rm -rf "${release}"
mkdir -p "${release}"

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
cp -r "${root}/config" "${work}/config"

# The image is set in an overlay so that config/default stays as committed.
image_name="${img%:*}"
image_tag="${img##*:}"
if [[ "${img}" != *:* || "${image_tag}" == */* ]]; then
  image_name="${img}"
  image_tag="latest"
fi
mkdir -p "${work}/release"
cat >"${work}/release/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../config/default
images:
- name: localhost/kindnode/capkn-manager
  newName: ${image_name}
  newTag: ${image_tag}
YAML
"${kubectl}" kustomize "${work}/release" >"${release}/infrastructure-components.yaml"

cp "${root}/cluster/metadata.yaml" "${release}/metadata.yaml"
cp "${root}"/templates/cluster-template*.yaml "${root}"/templates/clusterclass-*.yaml "${release}/"

cat >"${output}/clusterctl.yaml" <<YAML
# clusterctl configuration for the local release of the kubernetes infrastructure provider; pass it with
# --config. Written by hack/release-artifacts.sh.
providers:
- name: kubernetes
  url: ${release}/infrastructure-components.yaml
  type: InfrastructureProvider
YAML

log "wrote ${release} and ${output}/clusterctl.yaml"
