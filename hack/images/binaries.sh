#!/usr/bin/env bash
# binaries.sh builds every program the node image carries, from the Go module proxy at the versions pinned in
# versions.sh, into ${IMAGES_CACHE}/bin/<name>-<version>/. Anything already built is reused, so only the first
# run is slow (about 40 minutes on 2 cores, most of it Kubernetes). Prints the bin directory on stdout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "${here}/versions.sh"

BIN="${IMAGES_CACHE}/bin"
log() { printf 'binaries: %s\n' "$*" >&2; }

work="$(mktemp -d)"
trap 'chmod -R u+w "${work}" 2>/dev/null; rm -rf "${work}"' EXIT

moddir() {
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# in_module MOD@VER DEST "ENV..." TAGS LDFLAGS PKG:NAME... builds packages inside a copy of the module
# itself, so its own go.sum and local replaces apply exactly as upstream builds it. PREPARE names a function
# run in that copy first.
in_module() {
  local modver="$1" dest="$2" env="$3" tags="$4" ldflags="$5"; shift 5
  local spec missing=()
  for spec in "$@"; do [[ -x "${dest}/${spec#*:}" ]] || missing+=("${spec}"); done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local src dir="${work}/${modver//[\/@]/_}"
  src="$(moddir "${modver}")"
  [[ -n "${src}" ]] || { log "cannot download ${modver}"; exit 1; }
  rm -rf "${dir}"; cp -r "${src}" "${dir}"; chmod -R u+w "${dir}"
  # Module zips carry no complete vendor directory: resolve from the proxy against the module's go.sum.
  rm -rf "${dir}/vendor"
  if [[ -n "${PREPARE:-}" ]]; then (cd "${dir}" && "${PREPARE}"); fi
  local mod=-mod=mod
  mkdir -p "${dest}"
  for spec in "${missing[@]}"; do
    log "building ${spec#*:} from ${modver}"
    # shellcheck disable=SC2086
    (cd "${dir}" && env GOWORK=off GOFLAGS="${mod}" ${env} go build -tags="${tags}" -ldflags="-s -w ${ldflags}" -o "${dest}/${spec#*:}.tmp" "${spec%%:*}")
    mv "${dest}/${spec#*:}.tmp" "${dest}/${spec#*:}"
  done
}

# as_dependency MOD@VER DEST NAME PKG builds PKG from a throwaway module that requires it: for modules whose
# main package is reached through local replaces that a dependency's go.mod cannot carry (etcd).
as_dependency() {
  local modver="$1" dest="$2" name="$3" pkg="$4"
  [[ -x "${dest}/${name}" ]] && return 0
  local dir="${work}/dep-${name}"
  mkdir -p "${dir}" "${dest}"
  log "building ${name} from ${modver}"
  (
    cd "${dir}"
    go mod init "build/${name}" >/dev/null 2>&1
    GOWORK=off go get "${modver}" 2>&1 | grep -v '^go: \(downloading\|added\|finding\)' >&2 || true
    GOWORK=off CGO_ENABLED=0 go build -ldflags "-s -w" -o "${dest}/${name}.tmp" "${pkg}"
  )
  mv "${dest}/${name}.tmp" "${dest}/${name}"
}

as_dependency "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" "${BIN}/etcd-${ETCD_VERSION}" etcd go.etcd.io/etcd/server/v3

in_module "github.com/containerd/containerd/v2@${CONTAINERD_VERSION}" "${BIN}/containerd-${CONTAINERD_VERSION}" \
  "CGO_ENABLED=0" no_btrfs,no_devmapper,no_zfs "-X github.com/containerd/containerd/v2/version.Version=${CONTAINERD_VERSION}" \
  ./cmd/containerd:containerd ./cmd/containerd-shim-runc-v2:containerd-shim-runc-v2 ./cmd/ctr:ctr

# runc needs cgo and libseccomp (Debian's libseccomp-dev at build time, libseccomp2 in the node).
if [[ ! -x "${BIN}/runc-${RUNC_VERSION}/runc" ]] && ! dpkg -s libseccomp-dev pkg-config >/dev/null 2>&1; then
  log "installing Debian's libseccomp-dev and pkg-config for runc"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q libseccomp-dev pkg-config >&2
fi
in_module "github.com/opencontainers/runc@${RUNC_VERSION}" "${BIN}/runc-${RUNC_VERSION}" \
  "CGO_ENABLED=1" seccomp "-X main.version=${RUNC_VERSION#v}" .:runc

cni=()
for p in main/bridge main/ptp main/loopback main/host-device ipam/host-local meta/portmap meta/bandwidth meta/tuning; do
  cni+=("./plugins/${p}:${p#*/}")
done
in_module "github.com/containernetworking/plugins@${CNI_PLUGINS_VERSION}" "${BIN}/cni-plugins-${CNI_PLUGINS_VERSION}" \
  "CGO_ENABLED=0" "" "" "${cni[@]}"

# flanneld, the node image's pod network, with the backends these hosts can run: VXLAN (and host-gw). The
# others go from its main package: tencentvpc's SDK is not served by the module proxy, and IPIP, WireGuard,
# IPsec, UDP (cgo) and extension have no use here.
drop_flannel_backends() {
  sed -i -E '/"github.com\/flannel-io\/flannel\/pkg\/backend\/(extension|ipip|ipsec|tencentvpc|udp|wireguard)"/d' main.go
  grep -q 'pkg/backend/vxlan"' main.go || { log "flannel's main.go no longer imports the VXLAN backend"; exit 1; }
}
PREPARE=drop_flannel_backends in_module "github.com/flannel-io/flannel@${FLANNEL_VERSION}" "${BIN}/flannel-${FLANNEL_VERSION}" \
  "CGO_ENABLED=0" "" "-X github.com/flannel-io/flannel/pkg/version.Version=${FLANNEL_VERSION}" .:flanneld

in_module "sigs.k8s.io/cri-tools@${CRICTL_VERSION}" "${BIN}/crictl-${CRICTL_VERSION}" \
  "CGO_ENABLED=0" "" "-X sigs.k8s.io/cri-tools/pkg/version.Version=${CRICTL_VERSION}" ./cmd/crictl:crictl

in_module "github.com/coredns/coredns@${COREDNS_VERSION}" "${BIN}/coredns-${COREDNS_VERSION}" \
  "CGO_ENABLED=0" "" "" .:coredns

in_module "github.com/rancher/local-path-provisioner@${LOCAL_PATH_VERSION}" "${BIN}/local-path-provisioner-${LOCAL_PATH_VERSION}" \
  "CGO_ENABLED=0" "" "-X main.VERSION=${LOCAL_PATH_VERSION}" .:local-path-provisioner

# pause: the C program Kubernetes ships in its module, statically linked.
pause="${BIN}/pause-${PAUSE_VERSION}"
if [[ ! -x "${pause}/pause" ]]; then
  src="$(moddir "k8s.io/kubernetes@${K8S_VERSION}")"
  mkdir -p "${pause}"
  log "building pause ${PAUSE_VERSION}"
  gcc -Os -Wall -Werror -static -DVERSION="v${PAUSE_VERSION}" -o "${pause}/pause.tmp" "${src}/build/pause/linux/pause.c"
  strip "${pause}/pause.tmp"
  mv "${pause}/pause.tmp" "${pause}/pause"
fi

kind="${BIN}/kind-${KIND_VERSION}"
if [[ ! -x "${kind}/kind" ]]; then
  log "building kind ${KIND_VERSION}"
  mkdir -p "${kind}"
  GOWORK=off GOBIN="${kind}" go install "sigs.k8s.io/kind@${KIND_VERSION}"
fi

# Cluster API's managers for the e2e run's clusterctl init.
bash "${here}/../capi-build.sh" "${BIN}/cluster-api-${CAPI_VERSION}" \
  cluster-api-controller:sigs.k8s.io/cluster-api/core \
  kubeadm-bootstrap-controller:sigs.k8s.io/cluster-api/bootstrap/kubeadm \
  kubeadm-control-plane-controller:sigs.k8s.io/cluster-api/controlplane/kubeadm

# Kubernetes last: the slowest. The test binaries (hack/testbin.sh) are the same build of kube-apiserver,
# kubectl and kube-controller-manager, so they are reused when present.
k8s="${BIN}/k8s-${K8S_VERSION}"
mkdir -p "${k8s}"
testbin="${CAPK_CACHE_DIR}/testbin"
for b in kube-apiserver kubectl kube-controller-manager; do
  if [[ ! -x "${k8s}/${b}" ]]; then
    for t in "${testbin}/k8s-${K8S_VERSION}"-etcd-*/"${b}"; do
      [[ -x "${t}" ]] && cp "${t}" "${k8s}/${b}" && break
    done
  fi
done
K8S_VERSION="${K8S_VERSION}" bash "${here}/../k8s-build.sh" "${k8s}" \
  kubelet kubeadm kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy

echo "${BIN}"
