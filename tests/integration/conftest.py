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


def _both_backends():
    from scorer.sandbox import docker_available

    ok, why = docker_available()
    return ["local", pytest.param("docker", marks=pytest.mark.skipif(not ok, reason=why or "no docker"))]


@pytest.fixture(scope="module", params=_both_backends())
def each_sandbox(request):
    """Each backend in turn (local, then Docker where it is usable): for modules whose verdicts
    must hold on both; they alias it as their ``sandbox``."""
    from scorer.sandbox import open_sandbox

    box = open_sandbox(request.param)
    yield box
    box.close()
