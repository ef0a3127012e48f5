#!/usr/bin/env bash
# Builds the runtime image (Dockerfile, BINARIES=prebuilt) with podman from the api and migration
# binaries already compiled in target/$CONTAINER_PROFILE (debug by default, or release): it never
# runs cargo, so build them first. Shared by scripts/container-test.sh and scripts/kube-test.sh.
#
# Installs podman, runc and debootstrap if missing (root only) and makes the debian:bookworm-slim
# base image locally when it cannot be pulled (../shared/design/STACK-NOTES.md: no registry here).
# Usage: scripts/container-image.sh [IMAGE]        (default blw-dataviz:test)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${CONTAINER_PROFILE:-debug}"
image="${1:-blw-dataviz:test}"
podman_() { podman --runtime runc --cgroup-manager=cgroupfs "$@"; }

for bin in api migration; do
  if [ ! -x "target/$profile/$bin" ]; then
    echo "container-image: target/$profile/$bin is missing: cargo build$([ "$profile" = release ] && echo " --release") -p api -p migration first"
    exit 1
  fi
done

# --- podman, once per machine -------------------------------------------------------------
if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
  [ "$(id -u)" -eq 0 ] || { echo "container-image: podman, runc and debootstrap are needed (run as root to install)"; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman runc debootstrap >/dev/null
fi
if ! grep -qs "default_ulimits" /etc/containers/containers.conf; then
  # Raising RLIMIT_NOFILE/NPROC for containers is not permitted on these machines.
  mkdir -p /etc/containers && printf '[containers]\ndefault_ulimits = []\n' >> /etc/containers/containers.conf
fi
# The PATH Docker Hub's debian image sets: `podman run` adds a default PATH when an image has none,
# `podman kube play` does not (a container's command `api` would not be found).
debian_path="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
if ! podman_ image exists debian:bookworm-slim; then
  if ! podman_ pull -q docker.io/library/debian:bookworm-slim >/dev/null 2>&1; then
    echo "container-image: making debian:bookworm-slim with debootstrap"
    root=$(mktemp -d)
    debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
    tar -C "$root" -c . | podman_ import -q --change "ENV $debian_path" - debian:bookworm-slim >/dev/null
    rm -rf "$root"
  fi
elif ! grep -q '^PATH=' <<<"$(podman_ image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' debian:bookworm-slim)"; then
  # Made by an earlier version of this script, without a PATH: add it.
  context=$(mktemp -d)
  printf 'FROM debian:bookworm-slim\nENV %s\n' "$debian_path" > "$context/Containerfile"
  podman_ build -q -t debian:bookworm-slim "$context" >/dev/null
  rm -rf "$context"
fi

# --- the image ----------------------------------------------------------------------------
trap 'rm -rf .container-bin' EXIT
mkdir -p .container-bin
for bin in api migration; do strip --strip-debug -o ".container-bin/$bin" "target/$profile/$bin"; done
podman_ build -q --format docker --network=host --build-arg BINARIES=prebuilt -t "$image" . >/dev/null
