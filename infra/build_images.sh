#!/usr/bin/env bash
# Builds the sandbox image codeharvest-sandbox:latest (and, offline, its base image).
#
# - Does nothing (fast) when the image exists and carries the hash of its inputs.
# - Base image: BASE_IMAGE if set (e.g. python:3.11-slim where a registry answers); otherwise
#   codeharvest-base:bookworm, built offline with debootstrap from the Debian mirror apt uses.
# - Installs bubblewrap on Debian hosts when missing (the local sandbox backend uses it).
# - No Docker engine: prints a note and exits 0 (the Docker tests then skip, saying why).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${CODEHARVEST_SANDBOX_IMAGE:-codeharvest-sandbox:latest}"
OFFLINE_BASE="codeharvest-base:bookworm"
BASE_IMAGE="${BASE_IMAGE:-$OFFLINE_BASE}"
RUNNER=scorer/sandbox/_runner.py
DOCKERFILE=infra/sandbox.Dockerfile
start=$(date +%s)
log() { echo "build_images: $*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

apt_install() {  # apt_install PKG...: best effort, Debian/Ubuntu only
    command -v apt-get >/dev/null || return 1
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 && return 0
    as_root apt-get update -q >/dev/null 2>&1 || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1
}

# 1. bubblewrap for the local backend (filesystem + network isolation of host processes).
if ! command -v bwrap >/dev/null; then
    if apt_install bubblewrap; then log "installed bubblewrap"; else log "note: bubblewrap not installed; the local sandbox backend falls back to unshare (weaker)"; fi
fi

# 2. Docker engine?
if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
    log "note: no Docker engine answers; skipping the sandbox image (Docker tests will be skipped)"
    exit 0
fi

# 3. Up to date?
hash=$( (cat "$DOCKERFILE" "$RUNNER"; echo "$BASE_IMAGE") | sha256sum | cut -c1-64)
current=$(docker image inspect -f '{{ index .Config.Labels "codeharvest.inputs_sha256" }}' "$IMAGE" 2>/dev/null || true)
if [ "$current" = "$hash" ]; then
    log "$IMAGE is current ($(( $(date +%s) - start )) s)"
    exit 0
fi

# 4. Offline base image from Debian packages when missing.
if [ "$BASE_IMAGE" = "$OFFLINE_BASE" ] && ! docker image inspect "$OFFLINE_BASE" >/dev/null 2>&1; then
    if ! command -v debootstrap >/dev/null; then
        apt_install debootstrap || { log "error: cannot install debootstrap"; exit 1; }
    fi
    # The Debian mirror apt already uses (deb822 sources or a classic sources.list).
    mirror=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | grep -i debian | head -n1 || true)
    if [ -z "$mirror" ]; then
        mirror=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | grep -i debian | head -n1 || true)
    fi
    mirror="${mirror:-http://deb.debian.org/debian}"
    root=$(mktemp -d /tmp/codeharvest-base.XXXXXX)
    trap 'rm -rf "$root"' EXIT
    log "debootstrap bookworm from $mirror (about a minute)"
    as_root debootstrap --variant=minbase --include=python3 bookworm "$root" "$mirror" >/tmp/codeharvest-debootstrap.log 2>&1 \
        || { log "error: debootstrap failed, see /tmp/codeharvest-debootstrap.log"; exit 1; }
    as_root rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    as_root tar -C "$root" -c . | docker import -c 'CMD ["python3"]' - "$OFFLINE_BASE" >/dev/null
    log "imported $OFFLINE_BASE"
fi

# 5. The sandbox image (small build context: the Dockerfile and the runner only).
ctx=$(mktemp -d /tmp/codeharvest-ctx.XXXXXX)
cp "$DOCKERFILE" "$ctx/Dockerfile"
cp "$RUNNER" "$ctx/runner.py"
runner_sha=$(sha256sum "$RUNNER" | cut -c1-64)
old_id=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
if ! docker build -q --build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "RUNNER_SHA256=$runner_sha" \
    --label "codeharvest.inputs_sha256=$hash" -t "$IMAGE" "$ctx" >/tmp/codeharvest-build.log 2>&1; then
    grep -v -i 'deprecated\|buildx\|docs.docker.com' /tmp/codeharvest-build.log >&2 || true
    rm -rf "$ctx"
    log "error: docker build failed"
    exit 1
fi
rm -rf "$ctx"
new_id=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
    docker image rm "$old_id" >/dev/null 2>&1 || true     # still used by a container: kept
fi
log "built $IMAGE from $BASE_IMAGE ($(( $(date +%s) - start )) s)"
