#!/usr/bin/env bash
# build.sh builds, without any registry, every image a kindnode cluster runs on:
#   localhost/kindnode/debian-tools:bookworm   debootstrap: iptables, iproute2, conntrack (kube-proxy, CNI, helpers)
#   registry.k8s.io/kube-{apiserver,controller-manager,scheduler,proxy}:${K8S_VERSION}, etcd, coredns, pause:
#                                              the images kubeadm asks for, built from source at its versions
#   localhost/kindnode/flannel:${FLANNEL_VERSION}  flanneld, the default pod network (VXLAN)
#   localhost/kindnode/kindnode-net:dev        writes each node's CNI configuration from flannel's (cmd/kindnode-net)
#   localhost/kindnode/local-path-provisioner  the default StorageClass
#   localhost/kindnode/node:${K8S_VERSION}     the kind node image: systemd, containerd, runc, CNI plugins,
#                                              kubelet/kubeadm/kubectl, the images above as /kind/images/*.tar
#   localhost/kindnode/capkn-manager:dev       the provider's manager (cmd/provider)
#   localhost/kindnode/certissuer:dev          cert-manager's stand-in for the e2e run (hack/e2e/certissuer)
#   ${CAPI_IMAGE_REPOSITORY}/{cluster-api,kubeadm-bootstrap,kubeadm-control-plane}-controller:${CAPI_VERSION}
#                                              Cluster API's managers (hack/capi-build.sh)
#   localhost/kindnode/crossplane:${CROSSPLANE_VERSION}
#                                              Crossplane core (hack/tools/crossplane-core), laid out as its
#                                              release image: /crds, /webhookconfigurations, user 65532
#   localhost/kindnode/function-kindcluster:dev the KindCluster composition function's runtime
# Each image is rebuilt only when its inputs changed (label dev.kindnode.inputs). Prints the node image.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
source "${here}/versions.sh"

NODE_IMAGE="${NODE_IMAGE:-localhost/kindnode/node:${K8S_VERSION}}"
MANAGER_IMAGE="${MANAGER_IMAGE:-localhost/kindnode/capkn-manager:dev}"
TOOLS_IMAGE="localhost/kindnode/debian-tools:${DEBIAN_SUITE}"
NODE_BASE_IMAGE="localhost/kindnode/node-base:${DEBIAN_SUITE}"
LOCAL_PATH_IMAGE="localhost/kindnode/local-path-provisioner:${LOCAL_PATH_VERSION}"
CERTISSUER_IMAGE="localhost/kindnode/certissuer:dev"
NODE_PACKAGES="systemd,systemd-sysv,dbus,libseccomp2,iptables,iproute2,ethtool,socat,conntrack,ebtables,kmod,util-linux,mount,ca-certificates,procps,iputils-ping,bash"

log() { printf 'images: %s\n' "$*" >&2; }
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

bin="$(bash "${here}/binaries.sh")"
k8s="${bin}/k8s-${K8S_VERSION}"

bash "${here}/rootfs.sh" "${TOOLS_IMAGE}" iptables,iproute2,conntrack,ca-certificates
bash "${here}/rootfs.sh" "${NODE_BASE_IMAGE}" "${NODE_PACKAGES}"

# inputs_hash hashes a build context directory and the image it builds FROM. An archive of images
# (images.tar) counts through its images.tar.sha256, the digest of the image IDs it holds: docker save writes
# the same images in a different order from one run to the next.
inputs_hash() {
  local ctx="$1" from="${2:-}"
  {
    (cd "${ctx}" && find . -type f ! -name images.tar -print0 | sort -z | xargs -0 sha256sum)
    if [[ -n "${from}" ]]; then docker image inspect --format '{{.Id}}' "${from}"; fi
  } | sha256sum | cut -c1-32
}

# current NAME CONTEXT [FROM] tells whether NAME was built from these inputs.
current() {
  [[ "$(docker image inspect --format '{{index .Config.Labels "dev.kindnode.inputs"}}' "$1" 2>/dev/null)" == "$(inputs_hash "$2" "${3:-}")" ]]
}

# image NAME CONTEXT [FROM] builds CONTEXT/Dockerfile as NAME unless an image with the same inputs exists.
image() {
  local name="$1" ctx="$2" from="${3:-}"
  current "${name}" "${ctx}" "${from}" && return 0
  log "building ${name}"
  if ! DOCKER_BUILDKIT=0 docker build --label "dev.kindnode.inputs=$(inputs_hash "${ctx}" "${from}")" -t "${name}" "${ctx}" >"${work}/build.log" 2>&1; then
    cat "${work}/build.log" >&2
    return 1
  fi
}

# program NAME BASE BINARY DIR [entry] is BASE (an image, or scratch) with BINARY copied into DIR; "entry"
# makes it the image's entrypoint.
program() {
  local name="$1" base="$2" binary="$3" dir="$4" entry="${5:-}" ctx from=()
  ctx="${work}/$(basename "${binary}")-$(echo "${name}" | sha256sum | cut -c1-8)"
  mkdir -p "${ctx}"
  cp "${binary}" "${ctx}/"
  {
    echo "FROM ${base}"
    if [[ "${base}" == scratch ]]; then echo "ENV PATH=/usr/local/bin:/usr/bin:/bin"; fi
    echo "COPY $(basename "${binary}") ${dir}/"
    if [[ -n "${entry}" ]]; then echo "ENTRYPOINT [\"${dir}/$(basename "${binary}")\"]"; fi
  } >"${ctx}/Dockerfile"
  [[ "${base}" == scratch ]] || from=("${base}")
  image "${name}" "${ctx}" "${from[@]}"
}
# static NAME BINARY [entry]: one statically linked program. on_tools NAME BINARY: a program that needs
# iptables and friends.
static() { program "$1" scratch "$2" /usr/local/bin "${3:-}"; }
on_tools() { program "$1" "${TOOLS_IMAGE}" "$2" /usr/local/bin; }

log "building kindnode-net, the manager, the KindCluster function and certissuer from this repository"
mkdir -p "${work}/repo-bin"
(cd "${repo}" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "${work}/repo-bin/" \
  ./cmd/kindnode-net ./cmd/provider ./cmd/function-kindcluster ./hack/e2e/certissuer)

for c in kube-apiserver kube-controller-manager kube-scheduler; do
  static "registry.k8s.io/${c}:${K8S_VERSION}" "${k8s}/${c}"
done
on_tools "registry.k8s.io/kube-proxy:${K8S_VERSION}" "${k8s}/kube-proxy"
static "registry.k8s.io/etcd:${ETCD_VERSION#v}-0" "${bin}/etcd-${ETCD_VERSION}/etcd"
static "registry.k8s.io/coredns/coredns:${COREDNS_VERSION}" "${bin}/coredns-${COREDNS_VERSION}/coredns" entry
static "registry.k8s.io/pause:${PAUSE_VERSION}" "${bin}/pause-${PAUSE_VERSION}/pause" entry
static "${LOCAL_PATH_IMAGE}" "${bin}/local-path-provisioner-${LOCAL_PATH_VERSION}/local-path-provisioner"
on_tools "${FLANNEL_IMAGE}" "${bin}/flannel-${FLANNEL_VERSION}/flanneld"
static "${NET_IMAGE}" "${work}/repo-bin/kindnode-net"
static "${MANAGER_IMAGE}" "${work}/repo-bin/provider" entry
static "${CERTISSUER_IMAGE}" "${work}/repo-bin/certissuer" entry
static "${FUNCTION_IMAGE}" "${work}/repo-bin/function-kindcluster" entry
# Cluster API's managers, as its release images lay them out (/manager, which its Deployments run).
for m in cluster-api-controller kubeadm-bootstrap-controller kubeadm-control-plane-controller; do
  mkdir -p "${work}/${m}"
  cp "${bin}/cluster-api-${CAPI_VERSION}/${m}" "${work}/${m}/manager"
  program "${CAPI_IMAGE_REPOSITORY}/${m}:${CAPI_VERSION}" scratch "${work}/${m}/manager" "" entry
done

# Crossplane core with its version stamped in, as its releases are (packages check their crossplane.version
# constraint against it); `crossplane core init` applies /crds and /webhookconfigurations. The binary is the
# one make builds for the tests too (statically linked, -trimpath), built once and reused while its pin stays.
ctx="${work}/crossplane"
mkdir -p "${ctx}"
make -C "${repo}" --no-print-directory bin/crossplane-core >&2
cp "${repo}/bin/crossplane-core" "${ctx}/crossplane"
xp="$(cd "${repo}/hack/tools/crossplane-core" && go list -m -f '{{.Dir}}' github.com/crossplane/crossplane/v2)"
cp -r "${xp}/cluster/crds" "${xp}/cluster/webhookconfigurations" "${ctx}/"
chmod -R u+w "${ctx}"
cat >"${ctx}/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY crossplane /usr/local/bin/crossplane
COPY crds /crds
COPY webhookconfigurations /webhookconfigurations
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/crossplane"]
DOCKERFILE
image "${CROSSPLANE_IMAGE}" "${ctx}"

# The node image.
ctx="${work}/node"
mkdir -p "${ctx}/bin/cni" "${ctx}/images"
cp -r "${repo}/cluster/images/node/files" "${ctx}/files"
cp "${repo}/cluster/images/node/Dockerfile" "${ctx}/Dockerfile"
sed -i -e "s|@KINDNODE_NET_IMAGE@|${NET_IMAGE}|" -e "s|@FLANNEL_IMAGE@|${FLANNEL_IMAGE}|" "${ctx}/files/kind/manifests/default-cni.yaml"
echo "${K8S_VERSION}" >"${ctx}/files/kind/version"
cp "${bin}/containerd-${CONTAINERD_VERSION}"/{containerd,containerd-shim-runc-v2,ctr} "${bin}/crictl-${CRICTL_VERSION}/crictl" \
  "${bin}/runc-${RUNC_VERSION}/runc" "${k8s}"/{kubelet,kubeadm,kubectl} "${ctx}/bin/"
cp "${bin}/cni-plugins-${CNI_PLUGINS_VERSION}"/* "${ctx}/bin/cni/"
preloaded=(
  "registry.k8s.io/kube-apiserver:${K8S_VERSION}" "registry.k8s.io/kube-controller-manager:${K8S_VERSION}"
  "registry.k8s.io/kube-scheduler:${K8S_VERSION}" "registry.k8s.io/kube-proxy:${K8S_VERSION}"
  "registry.k8s.io/etcd:${ETCD_VERSION#v}-0" "registry.k8s.io/coredns/coredns:${COREDNS_VERSION}"
  "registry.k8s.io/pause:${PAUSE_VERSION}" "${FLANNEL_IMAGE}" "${NET_IMAGE}" "${LOCAL_PATH_IMAGE}" "${TOOLS_IMAGE}"
)
# One archive: layers the images share are stored once. Its digest (the image IDs) keys kindnode-preload.
docker image inspect --format '{{.Id}}' "${preloaded[@]}" | sha256sum | cut -d' ' -f1 >"${ctx}/images/images.tar.sha256"
if ! current "${NODE_IMAGE}" "${ctx}" "${NODE_BASE_IMAGE}"; then
  docker save -o "${ctx}/images/images.tar" "${preloaded[@]}"
fi
image "${NODE_IMAGE}" "${ctx}" "${NODE_BASE_IMAGE}"
log "node image ${NODE_IMAGE} ready"
echo "${NODE_IMAGE}"
