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
# Usage: hack/e2e/crossplane.sh install|uninstall
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

install() {
  local fn cfg chart
  work="$(mktemp -d)"
  trap 'rm -rf "${work}"' EXIT

  log "packages (make xpkg-function xpkg-configuration) into Crossplane's package cache"
  # No runtime image in the function package: the DeploymentRuntimeConfig below names it.
  (cd "${repo}" && make --no-print-directory "${repo}/bin/helm" xpkg-function xpkg-configuration FUNCTION_RUNTIME_IMAGE= \
    FUNCTION_XPKG="${work}/function.xpkg" CONFIGURATION_XPKG="${work}/configuration.xpkg" >&2)
  fn="$(cd "${repo}" && go run ./hack/e2e/xpkgcache --source ghcr.io/kindnode/function-kindcluster --dir "${work}/cache" "${work}/function.xpkg")"
  cfg="$(cd "${repo}" && go run ./hack/e2e/xpkgcache --source ghcr.io/kindnode/configuration-kindcluster --dir "${work}/cache" "${work}/configuration.xpkg")"
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

uninstall() {
  kubectl delete configuration "${CONFIGURATION}" --ignore-not-found --wait=true >&2
  kubectl delete function "${FUNCTION}" --ignore-not-found --wait=true >&2
  kubectl delete deploymentruntimeconfig function-kindcluster --ignore-not-found >&2
  "${repo}/bin/helm" --kubeconfig "${kubeconfig}" uninstall crossplane --namespace "${NAMESPACE}" --wait >&2 || true
}

case "${1:-install}" in
  install) install ;;
  uninstall) uninstall ;;
  *) echo "usage: $0 install|uninstall" >&2; exit 2 ;;
esac
