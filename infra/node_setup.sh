#!/usr/bin/env bash
# Sets up one node of the Ray cluster in ray_cluster.yaml: Python 3.11 in ~/venv with
# codeharvest (and Ray) installed from the checkout file-mounted at ~/codeharvest; on `gpu`
# nodes the gpu extra (vLLM); on `scorer` nodes and the head the Docker engine and the
# sandbox image.
#
#   bash ~/codeharvest/infra/node_setup.sh head|gpu|scorer
#
# Every node type calls it: Ray runs a node type's own worker_setup_commands *instead of* the
# global setup_commands, so a shared list there would be skipped on exactly those nodes.
# Idempotent (the launcher reruns it on `ray up` of a running cluster).
set -euo pipefail
role=${1:?usage: node_setup.sh head|gpu|scorer}
case "$role" in head|gpu|scorer) ;; *) echo "node_setup: unknown role $role (head, gpu or scorer)" >&2; exit 2 ;; esac
src=~/codeharvest
venv=~/venv

# Ubuntu 22.04's python3 is 3.10; codeharvest needs 3.11 (deadsnakes builds of it).
if ! command -v python3.11 >/dev/null; then
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -q
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q software-properties-common
    sudo add-apt-repository -y ppa:deadsnakes/ppa
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3.11 python3.11-venv
fi
[ -x "$venv/bin/python" ] || python3.11 -m venv "$venv"
"$venv/bin/python" -m pip install -q -U pip
if [ "$role" = gpu ]; then
    "$venv/bin/python" -m pip install -q -e "$src[gpu]"
else
    "$venv/bin/python" -m pip install -q -e "$src"
fi

if [ "$role" != gpu ]; then
    # the sandbox: a Docker engine and the image (python:3.11-slim base where a registry
    # answers; infra/build_images.sh builds its own base offline with debootstrap otherwise).
    # The head too: `collect` checks the sandbox on the driver's node before its first paid call.
    command -v docker >/dev/null || (curl -fsSL https://get.docker.com | sudo sh)
    sudo usermod -aG docker "$USER"
    (cd "$src" && sudo BASE_IMAGE=python:3.11-slim bash infra/build_images.sh)
fi
echo "node_setup: $role ready ($("$venv/bin/python" --version), $("$venv/bin/ray" --version))"
