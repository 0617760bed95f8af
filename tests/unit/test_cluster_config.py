"""ray_cluster.yaml: valid for Ray's cluster launcher, and every node type gets codeharvest."""
from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def _config() -> dict:
    from ray.autoscaler._private.util import fillout_defaults, validate_config

    full = fillout_defaults(yaml.safe_load((REPO / "ray_cluster.yaml").read_text()))
    validate_config(full)            # Ray's own schema
    return full


def _setup_for(full: dict, node_type: str) -> list[str]:
    """What the launcher runs on a node of this type (autoscaler._get_node_type_specific_fields:
    a type's own worker_setup_commands replace the merged global ones)."""
    if node_type == full["head_node_type"]:
        return full["head_setup_commands"]
    return full["available_node_types"][node_type].get("worker_setup_commands", full["worker_setup_commands"])


def test_every_node_type_installs_codeharvest_with_its_role():
    full = _config()
    for node_type, spec in full["available_node_types"].items():
        role = "head" if node_type == full["head_node_type"] else node_type
        cmds = _setup_for(full, node_type)
        assert f"bash ~/codeharvest/infra/node_setup.sh {role}" in cmds, (node_type, cmds)
    assert full["file_mounts"]["~/codeharvest"] == "."
    # Ray (and the jobs it starts) run from the venv the set-up made
    for cmd in full["head_start_ray_commands"] + full["worker_start_ray_commands"]:
        assert cmd.startswith("export PATH=$HOME/venv/bin:$PATH;"), cmd


def test_node_setup_script_refuses_an_unknown_role():
    script = REPO / "infra" / "node_setup.sh"
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    res = subprocess.run(["bash", str(script), "nosuch"], capture_output=True, text=True)
    assert res.returncode == 2 and "unknown role nosuch" in res.stderr
    text = script.read_text()
    assert "python3.11 -m venv" in text and '-e "$src[gpu]"' in text and "build_images.sh" in text
