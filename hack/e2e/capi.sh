#!/usr/bin/env bash
# capi.sh installs Cluster API and this provider in the outer cluster the way a user does, with clusterctl init,
# but from local repositories: no release site is reachable from these machines.
#   repository  writes the clusterctl repository of Cluster API's core, kubeadm bootstrap and kubeadm control
#               plane providers (kustomize over the cluster-api module's config, images from
#               hack/images/build.sh) next to this provider's (make release-artifacts) under _output/repository,
#               and the clusterctl configuration _output/clusterctl-e2e.yaml that names all four.
#   init        the repository, certissuer (cert-manager's stand-in, hack/e2e/certissuer) and clusterctl init
#               against the outer cluster; waits for every provider's Deployment.
#   clusterctl ARGS...  runs clusterctl with that configuration against the outer cluster.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
source "${here}/../images/versions.sh"
kubectl() { "${IMAGES_CACHE}/bin/k8s-${K8S_VERSION}/kubectl" "$@"; }

CAPK_VERSION="${CAPK_VERSION:-v0.1.0}"
output="${repo}/_output"
config="${output}/clusterctl-e2e.yaml"
log() { printf 'capi: %s\n' "$*" >&2; }

# component DIR LABEL FILE IMAGE writes one Cluster API provider's release into the local repository:
# kustomize over its config/default with our image, pulled only if absent (the node has it loaded).
component() {
  local dir="$1" label="$2" file="$3" image="$4" src work
  src="$(go mod download -json "sigs.k8s.io/cluster-api@${CAPI_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  work="$(mktemp -d)"
  cp -r "${src}/${dir}/config" "${work}/config"
  chmod -R u+w "${work}"
  mkdir -p "${work}/release"
  cat >"${work}/release/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../config/default
images:
- name: gcr.io/k8s-staging-cluster-api/${image}
  newName: ${CAPI_IMAGE_REPOSITORY}/${image}
  newTag: ${CAPI_VERSION}
patches:
- target: {kind: Deployment}
  patch: |
    - op: replace
      path: /spec/template/spec/containers/0/imagePullPolicy
      value: IfNotPresent
YAML
  local release="${output}/repository/${label}/${CAPI_VERSION}"
  mkdir -p "${release}"
  kubectl kustomize "${work}/release" >"${release}/${file}"
  cp "${src}/metadata.yaml" "${release}/metadata.yaml"
  rm -rf "${work}"
  echo "${release}/${file}"
}

repository() {
  (cd "${repo}" && make --no-print-directory release-artifacts "CAPK_VERSION=${CAPK_VERSION}" IMG=localhost/kindnode/capkn-manager:dev >/dev/null)
  local core bootstrap controlplane
  core="$(component core cluster-api core-components.yaml cluster-api-controller)"
  bootstrap="$(component bootstrap/kubeadm bootstrap-kubeadm bootstrap-components.yaml kubeadm-bootstrap-controller)"
  controlplane="$(component controlplane/kubeadm control-plane-kubeadm control-plane-components.yaml kubeadm-control-plane-controller)"
  cat >"${config}" <<YAML
# clusterctl configuration of the offline e2e run (hack/e2e/capi.sh): every provider from _output/repository.
providers:
- name: cluster-api
  url: ${core}
  type: CoreProvider
- name: kubeadm
  url: ${bootstrap}
  type: BootstrapProvider
- name: kubeadm
  url: ${controlplane}
  type: ControlPlaneProvider
- name: kubernetes
  url: ${output}/repository/infrastructure-kubernetes/${CAPK_VERSION}/infrastructure-components.yaml
  type: InfrastructureProvider
# cert-manager's images cannot be had here: hack/e2e/certissuer issues the providers' webhook certificates.
cert-manager:
  externallyProvisioned: "true"
YAML
  log "wrote ${config}"
}

outer_kubeconfig() { bash "${here}/outer.sh" kubeconfig; }

clusterctl() {
  CLUSTERCTL_DISABLE_VERSIONCHECK=true "$(bash "${repo}/hack/clusterctl.sh")" --config "${config}" \
    --kubeconfig "$(outer_kubeconfig)" "$@"
}

init() {
  repository
  local kc
  kc="$(outer_kubeconfig)"
  log "certissuer in place of cert-manager"
  kubectl --kubeconfig "${kc}" apply --server-side -f "${here}/certissuer/crds" -f "${here}/certissuer/deploy.yaml" >/dev/null
  kubectl --kubeconfig "${kc}" -n cert-manager rollout status deploy/certissuer --timeout=2m >/dev/null
  if [[ "$(kubectl --kubeconfig "${kc}" get providers.clusterctl.cluster.x-k8s.io -A --no-headers 2>/dev/null | wc -l)" -eq 4 ]]; then
    # A second make demo on the same outer cluster: the providers are there; run the manager image just loaded.
    log "Cluster API and the provider are installed already; restarting the provider's manager"
    kubectl --kubeconfig "${kc}" -n capkn-system rollout restart deploy/capkn-controller-manager >/dev/null
    kubectl --kubeconfig "${kc}" -n capkn-system rollout status deploy/capkn-controller-manager --timeout=3m
    return 0
  fi
  log "clusterctl init"
  # The template variables of the providers' components: the node image is the one built here; ClusterClass
  # support (Cluster API's ClusterTopology feature gate) for the topology flavor.
  CAPK_NODE_IMAGE_REPOSITORY=localhost/kindnode/node CLUSTER_TOPOLOGY=true clusterctl init \
    --core "cluster-api:${CAPI_VERSION}" --bootstrap "kubeadm:${CAPI_VERSION}" \
    --control-plane "kubeadm:${CAPI_VERSION}" --infrastructure "kubernetes:${CAPK_VERSION}" --wait-providers
}

case "${1:-}" in
  repository) repository ;;
  init) init ;;
  clusterctl) shift; clusterctl "$@" ;;
  *) echo "usage: $0 repository|init|clusterctl ARGS..." >&2; exit 2 ;;
esac
