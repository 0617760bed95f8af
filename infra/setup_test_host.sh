#!/usr/bin/env bash
# Prepares a Debian host to run the whole test suite: the Debian tools the tests use
# (headless chromium for the HTML report test, bubblewrap for the local sandbox), then the
# sandbox image (infra/build_images.sh). Idempotent and quick when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "setup_test_host: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v bwrap >/dev/null || missing+=(bubblewrap)
if [ ${#missing[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null; then
        log "installing ${missing[*]}"
        as_root apt-get update -q >/dev/null 2>&1 || true
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
            || log "note: could not install ${missing[*]}; the tests that need them skip and say why"
    else
        log "note: not a Debian host; install ${missing[*]} yourself or the tests that need them skip"
    fi
fi
exec bash infra/build_images.sh
