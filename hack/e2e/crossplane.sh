#!/usr/bin/env bash
# crossplane.sh installs Crossplane in the outer cluster the way a user does, with Crossplane's Helm chart, and
# the KindCluster API on top: the composition function (a Function package run by Crossplane's Kubernetes
# package runtime) and the Configuration with the XRDs and Compositions. No registry is reachable, so:
#   - the Crossplane image is built from its module (hack/images/build.sh, localhost/kindnode/crossplane) and
#     the chart comes from the same module (cluster/charts/crossplane), installed with Helm built from the
#     proxy (make bin/helm);
#   - the packages are built as `make xpkg-function xpkg-configuration` builds them and served from Crossplane's
#     package cache, which the chart mounts from a ConfigMap (packageCache.configMap; hack/e2e/xpkgcache);
#     they are installed by digest, so a cache hit is all Crossplane needs;
#   - the function's runtime image (localhost/kindnode/function-kindcluster:dev, loaded into the outer
#     cluster) is named by a DeploymentRuntimeConfig.
# provider-kindnode itself runs already (clusterctl init, hack/e2e/capi.sh): the Configuration skips
# dependency resolution, and examples/kindcluster/rbac-*.yaml let Crossplane manage the kinds it composes.
#
# `provider` installs provider-kindnode as a Crossplane Provider package instead, in an outer cluster without
# Cluster API (run.sh crossplane-only): the package `make xpkg` builds, cached as the others are, on Crossplane's
# Kubernetes package runtime with the manager image (localhost/kindnode/capkn-manager:dev) and the RBAC of
# cluster/crossplane/provider-rbac.yaml.
#
# Usage: hack/e2e/crossplane.sh install|provider|uninstall
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
source "${here}/../images/versions.sh"
kubectl() { "${IMAGES_CACHE}/bin/k8s-${K8S_VERSION}/kubectl" --kubeconfig "${kubeconfig}" "$@"; }
log() { printf 'crossplane: %s\n' "$*" >&2; }

kubeconfig="$(bash "${here}/outer.sh" kubeconfig)"
NAMESPACE=crossplane-system
# The name the Compositions call the function by: what Crossplane names the Function it installs for the
# Configuration's dependency ghcr.io/kindnode/function-kindcluster.
FUNCTION=kindnode-function-kindcluster
CONFIGURATION=kindnode-configuration-kindcluster
PROVIDER=provider-kindnode
PROVIDER_SOURCE=ghcr.io/kindnode/provider-kindnode
MANAGER_IMAGE="${MANAGER_IMAGE:-localhost/kindnode/capkn-manager:dev}"

# cache_package SOURCE FILE DIR writes package FILE into the package cache DIR as the package Crossplane names
# SOURCE, and prints the reference it is installed by.
cache_package() {
  (cd "${repo}" && go run ./hack/e2e/xpkgcache --source "$1" --dir "$3" "$2")
}

# provider_package builds the provider package into dir as make xpkg does, caches it under dir/cache and prints
# the reference Crossplane installs it by.
provider_package() {
  (cd "${repo}" && make --no-print-directory xpkg XPKG="$1/provider.xpkg" >&2)
  cache_package "${PROVIDER_SOURCE}" "$1/provider.xpkg" "$1/cache"
}

install() {
  local fn cfg chart
  work="$(mktemp -d)"
  trap 'rm -rf "${work}"' EXIT

  log "packages (make xpkg-function xpkg-configuration xpkg) into Crossplane's package cache"
  # No runtime image in the function package: the DeploymentRuntimeConfig below names it.
  (cd "${repo}" && make --no-print-directory "${repo}/bin/helm" xpkg-function xpkg-configuration FUNCTION_RUNTIME_IMAGE= \
    FUNCTION_XPKG="${work}/function.xpkg" CONFIGURATION_XPKG="${work}/configuration.xpkg" >&2)
  fn="$(cache_package ghcr.io/kindnode/function-kindcluster "${work}/function.xpkg" "${work}/cache")"
  cfg="$(cache_package ghcr.io/kindnode/configuration-kindcluster "${work}/configuration.xpkg" "${work}/cache")"
  # The provider's package too, for `provider`: a ConfigMap changed later reaches Crossplane's volume only
  # after a kubelet sync, a minute or so.
  provider_package "${work}" >/dev/null
  kubectl create namespace "${NAMESPACE}" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  kubectl -n "${NAMESPACE}" create configmap crossplane-package-cache --from-file="${work}/cache" --dry-run=client -o yaml |
    kubectl apply --server-side --force-conflicts -f - >/dev/null

  log "Crossplane ${CROSSPLANE_VERSION} (Helm chart of its module, image ${CROSSPLANE_IMAGE})"
  chart="$(cd "${repo}/hack/tools/crossplane-core" && go list -m -f '{{.Dir}}' github.com/crossplane/crossplane/v2)/cluster/charts/crossplane"
  "${repo}/bin/helm" --kubeconfig "${kubeconfig}" upgrade --install crossplane "${chart}" --namespace "${NAMESPACE}" \
    --set image.repository="${CROSSPLANE_IMAGE%:*}" --set image.tag="${CROSSPLANE_VERSION}" \
    --set image.pullPolicy=IfNotPresent --set packageCache.configMap=crossplane-package-cache \
    --wait --timeout 5m >&2

  log "the KindCluster function (${fn}, runtime ${FUNCTION_IMAGE}) and Configuration (${cfg})"
  kubectl apply -f "${repo}/examples/kindcluster/rbac-capi.yaml" -f "${repo}/examples/kindcluster/rbac-direct.yaml" >/dev/null
  kubectl apply -f - >/dev/null <<YAML
apiVersion: pkg.crossplane.io/v1beta1
kind: DeploymentRuntimeConfig
metadata:
  name: function-kindcluster
spec:
  deploymentTemplate:
    spec:
      selector: {}
      template:
        spec:
          containers:
          - name: package-runtime
            image: ${FUNCTION_IMAGE}
            imagePullPolicy: IfNotPresent
---
apiVersion: pkg.crossplane.io/v1
kind: Function
metadata:
  name: ${FUNCTION}
spec:
  package: ${fn}
  packagePullPolicy: IfNotPresent
  runtimeConfigRef:
    name: function-kindcluster
---
apiVersion: pkg.crossplane.io/v1
kind: Configuration
metadata:
  name: ${CONFIGURATION}
spec:
  package: ${cfg}
  packagePullPolicy: IfNotPresent
  # provider-kindnode runs already (clusterctl init); no registry could resolve the dependencies anyway.
  skipDependencyResolution: true
YAML
  if ! kubectl wait --for=condition=Healthy "function/${FUNCTION}" "configuration/${CONFIGURATION}" --timeout=5m >&2; then
    kubectl get functions,functionrevisions,configurations,configurationrevisions -o wide >&2
    kubectl -n "${NAMESPACE}" get pods -o wide >&2
    return 1
  fi
  kubectl wait --for=condition=Established xrd/kindclusters.platform.kindnode.dev xrd/xkindclusters.platform.kindnode.dev --timeout=2m >&2
  kubectl get functions,configurations >&2
}

provider() {
  local pkg
  work="$(mktemp -d)"
  trap 'rm -rf "${work}"' EXIT
  pkg="$(provider_package "${work}")"
  log "provider-kindnode as a Provider package (${pkg}, runtime ${MANAGER_IMAGE})"
  kubectl apply -f "${repo}/cluster/crossplane/provider-rbac.yaml" >/dev/null
  kubectl apply -f - >/dev/null <<YAML
apiVersion: pkg.crossplane.io/v1beta1
kind: DeploymentRuntimeConfig
metadata:
  name: ${PROVIDER}
spec:
  serviceAccountTemplate:
    metadata:
      name: ${PROVIDER}
  deploymentTemplate:
    spec:
      selector: {}
      template:
        spec:
          containers:
          - name: package-runtime
            image: ${MANAGER_IMAGE}
            imagePullPolicy: IfNotPresent
            # The node images loaded into the outer cluster, as clusterctl init is told (capi.sh).
            args:
            - --node-image-repository=localhost/kindnode/node
---
apiVersion: pkg.crossplane.io/v1
kind: Provider
metadata:
  name: ${PROVIDER}
spec:
  package: ${pkg}
  packagePullPolicy: IfNotPresent
  runtimeConfigRef:
    name: ${PROVIDER}
YAML
  if ! kubectl wait --for=condition=Healthy "provider/${PROVIDER}" --timeout=5m >&2; then
    kubectl get providers,providerrevisions -o wide >&2
    kubectl -n "${NAMESPACE}" get pods -o wide >&2
    kubectl -n "${NAMESPACE}" logs -l "pkg.crossplane.io/provider=${PROVIDER}" --tail=50 >&2 || true
    return 1
  fi
  kubectl wait --for=condition=Established crd/nodepods.kindnode.dev crd/nodeservices.kindnode.dev crd/clusterproviderconfigs.kindnode.dev --timeout=2m >&2
  kubectl get providers >&2
}

uninstall() {
  kubectl delete provider "${PROVIDER}" --ignore-not-found --wait=true >&2
  kubectl delete deploymentruntimeconfig "${PROVIDER}" --ignore-not-found >&2
  kubectl delete configuration "${CONFIGURATION}" --ignore-not-found --wait=true >&2
  kubectl delete function "${FUNCTION}" --ignore-not-found --wait=true >&2
  kubectl delete deploymentruntimeconfig function-kindcluster --ignore-not-found >&2
  "${repo}/bin/helm" --kubeconfig "${kubeconfig}" uninstall crossplane --namespace "${NAMESPACE}" --wait >&2 || true
}

case "${1:-install}" in
  install) install ;;
  provider) provider ;;
  uninstall) uninstall ;;
  *) echo "usage: $0 install|provider|uninstall" >&2; exit 2 ;;
esac
