#!/usr/bin/env bash
# rootfs.sh imports a Debian root filesystem made by debootstrap (minbase, from the configured Debian mirror)
# as a local Docker image, unless an image of that name already exists.
#
# Usage: hack/images/rootfs.sh IMAGE [PACKAGE,...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "${here}/versions.sh"

image="$1"
include="${2:-}"
log() { printf 'rootfs: %s\n' "$*" >&2; }

if docker image inspect "${image}" >/dev/null 2>&1; then
  exit 0
fi
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
root="$(mktemp -d)"
trap 'rm -rf "${root}"' EXIT
log "debootstrap ${DEBIAN_SUITE} (minbase${include:+, +${include}}) from ${mirror} for ${image} (about 3 minutes)"
debootstrap --variant=minbase ${include:+--include="${include}"} "${DEBIAN_SUITE}" "${root}" "${mirror}" >&2
# Nothing of the build host leaks into the image: no apt lists or caches, a fresh machine-id at boot.
chroot "${root}" apt-get clean
rm -rf "${root}"/var/lib/apt/lists/* "${root}"/var/cache/apt/*.bin "${root}"/tmp/* "${root}"/var/log/*.log
: >"${root}/etc/machine-id"
printf 'nameserver 127.0.0.1\n' >"${root}/etc/resolv.conf"
tar -C "${root}" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/bin/bash"]' - "${image}" >/dev/null
log "imported ${image}"
