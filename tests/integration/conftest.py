"""Fixtures shared by the integration tests."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def sandbox():
    """Docker where it is usable, else the local backend (the verdicts must not depend on it).
    Modules that test both backends define their own parametrised ``sandbox``."""
    from scorer.sandbox import docker_available, open_sandbox

    box = open_sandbox("docker" if docker_available()[0] else "local")
    yield box
    box.close()
