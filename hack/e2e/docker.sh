#!/usr/bin/env bash
# docker.sh makes sure a Docker engine that can run kind nodes is up: installs Debian's docker.io when dockerd is
# missing and starts dockerd (there is no systemd on these machines) with runc-capfilter as its default
# runtime, because the host's capability bounding set lacks CAP_SYS_RESOURCE and Docker's --privileged asks for
# it. An engine that is already running is used as it is if it has the runtime.
#
# Usage: hack/e2e/docker.sh [start|stop]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "${here}/../images/versions.sh"

state="${CAPK_CACHE_DIR}/docker"
pidfile="${state}/dockerd.pid"
log() { printf 'docker: %s\n' "$*" >&2; }

# inotify limits of the host while the engine runs. Every kind node, and every node Pod inside them, runs
# containerd, a kubelet, flannel and more, each holding inotify instances, and all of them count against the
# host's root user: the default 128 instances run out with three outer nodes and a control plane of three
# (containerd's CRI plugin then fails to start: "failed to create fsnotify watcher: too many open files").
# These are kind's documented values (known issues: "Pod errors due to too many open files"), with room for
# nested nodes.
INOTIFY_MAX_USER_INSTANCES=8192
INOTIFY_MAX_USER_WATCHES=524288

# Host state dockerd and its nodes change, saved before it starts and put back after it stops: its iptables
# chains and rules, IPv4 forwarding, its bridges, and the inotify limits raised for the nodes.
save_host() {
  [[ -f "${state}/iptables.before" ]] && return 0
  iptables-save >"${state}/iptables.before.tmp"
  sysctl -n net.ipv4.ip_forward >"${state}/ip_forward.before"
  sysctl -n fs.inotify.max_user_instances fs.inotify.max_user_watches >"${state}/inotify.before"
  mv "${state}/iptables.before.tmp" "${state}/iptables.before"
}

# raise_inotify lifts the host's inotify limits to what nested nodes need, never lowering them.
raise_inotify() {
  local key want have
  for key in max_user_instances max_user_watches; do
    want="INOTIFY_${key^^}"; want="${!want}"
    have="$(sysctl -n "fs.inotify.${key}")"
    if (( have < want )); then
      log "raising fs.inotify.${key} from ${have} to ${want} while the engine runs"
      sysctl -q -w "fs.inotify.${key}=${want}"
    fi
  done
}

restore_host() {
  [[ -f "${state}/iptables.before" ]] || return 0
  log "restoring the host's iptables rules, IPv4 forwarding and inotify limits"
  iptables-restore <"${state}/iptables.before"
  sysctl -q -w "net.ipv4.ip_forward=$(cat "${state}/ip_forward.before")"
  if [[ -f "${state}/inotify.before" ]]; then
    local limits
    mapfile -t limits <"${state}/inotify.before"
    sysctl -q -w "fs.inotify.max_user_instances=${limits[0]}" "fs.inotify.max_user_watches=${limits[1]}"
  fi
  rm -f "${state}/iptables.before" "${state}/ip_forward.before" "${state}/inotify.before"
  if ip link show docker0 >/dev/null 2>&1; then ip link delete docker0; fi
}

stop() {
  local pid
  pid="$(cat "${pidfile}" 2>/dev/null || true)"
  if [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null; then
    # Networks left by kind (its "kind" bridge) go with the engine that made them.
    local n
    for n in $(docker network ls --filter type=custom --format '{{.Name}}' 2>/dev/null); do
      docker network rm "${n}" >/dev/null 2>&1 || log "network ${n} is still in use: left in place"
    done
    log "stopping dockerd"
    kill "${pid}"
    # A loop, not kubectl wait: it waits on the Docker engine, which no cluster knows.
    for _ in $(seq 60); do kill -0 "${pid}" 2>/dev/null || break; sleep 1; done
    restore_host
  fi
  rm -f "${pidfile}"
}

start() {
  if ! command -v dockerd >/dev/null; then
    log "installing Debian's docker.io"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >&2
  fi
  mkdir -p "${state}"
  local filter="${state}/runc-capfilter"
  (cd "${here}/../.." && go build -o "${filter}" ./hack/e2e/runc-capfilter)
  if docker info >/dev/null 2>&1; then
    if docker info --format '{{json .Runtimes}}' | grep -q capfilter; then
      raise_inotify
      return 0
    fi
    if [[ ! -f "${pidfile}" ]]; then
      log "a Docker engine not started by this script is running without the capfilter runtime;"
      log "privileged containers will fail on this host: stop it or add --add-runtime capfilter=${filter} --default-runtime capfilter"
      exit 1
    fi
  fi
  save_host
  raise_inotify
  log "starting dockerd (log: ${state}/dockerd.log)"
  nohup dockerd --pidfile "${pidfile}" --add-runtime "capfilter=${filter}" --default-runtime capfilter \
    >"${state}/dockerd.log" 2>&1 &
  # A loop, not kubectl wait: it waits on the Docker engine, which no cluster knows.
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 1
  done
  log "dockerd did not answer within 60s:"; tail -20 "${state}/dockerd.log" >&2
  exit 1
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
