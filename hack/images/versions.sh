# Versions of everything the node image and the e2e run are built from. Sourced by hack/images/*.sh and
# hack/e2e/*.sh. Every Go program comes from the Go module proxy at exactly these versions; the base system
# from Debian's mirror.

# Kubernetes of the node image (kubelet, kubeadm, kubectl and the control-plane images), and the versions of
# the images kubeadm ${K8S_VERSION} asks for (cmd/kubeadm/app/constants): built from source at those versions
# and named as kubeadm expects them, so neither kind nor Cluster API needs an image repository override.
K8S_VERSION="${K8S_VERSION:-v1.37.2}"
ETCD_VERSION="v3.7.0"        # image registry.k8s.io/etcd:3.7.0-0
COREDNS_VERSION="v1.14.6"    # image registry.k8s.io/coredns/coredns:v1.14.6
PAUSE_VERSION="3.10.2"       # image registry.k8s.io/pause:3.10.2, from the k8s module's build/pause

# The container runtime inside the node.
CONTAINERD_VERSION="v2.2.9"
RUNC_VERSION="v1.4.2"
CNI_PLUGINS_VERSION="v1.9.1"
CRICTL_VERSION="v1.37.0"

# Add-ons of the node image: flannel is the default pod network (VXLAN), local-path-provisioner backs the
# default StorageClass.
FLANNEL_VERSION="v0.28.10"
FLANNEL_IMAGE="localhost/kindnode/flannel:${FLANNEL_VERSION}"
# Writes each node's CNI configuration from flannel's (cmd/kindnode-net).
NET_IMAGE="localhost/kindnode/kindnode-net:dev"
LOCAL_PATH_VERSION="v0.0.30"

# Cluster API (clusterctl and the core, kubeadm bootstrap and kubeadm control-plane managers of the e2e run):
# the version hack/tools/clusterctl/go.mod pins.
CAPI_VERSION="$(awk '$1 == "sigs.k8s.io/cluster-api" { print $2 }' "$(dirname "${BASH_SOURCE[0]}")/../tools/clusterctl/go.mod")"

CAPI_IMAGE_REPOSITORY="localhost/kindnode"

# Crossplane (core and its Helm chart, for the e2e run's Crossplane path): the version
# hack/tools/crossplane-core/go.mod pins; the image is built from that module as Crossplane's release image is
# laid out, the chart comes from the same module (cluster/charts/crossplane).
CROSSPLANE_VERSION="$(awk '$1 == "github.com/crossplane/crossplane/v2" { print $2 }' "$(dirname "${BASH_SOURCE[0]}")/../tools/crossplane-core/go.mod")"
CROSSPLANE_IMAGE="localhost/kindnode/crossplane:${CROSSPLANE_VERSION}"
FUNCTION_IMAGE="localhost/kindnode/function-kindcluster:dev"

# Tools.
KIND_VERSION="v0.33.0"
DEBIAN_SUITE="bookworm"

CAPK_CACHE_DIR="${CAPK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cluster-api-provider-kubernetes}"
IMAGES_CACHE="${CAPK_CACHE_DIR}/images"
