"""Choosing a backend: a registry by name, ``auto`` picking Docker where it can."""
from __future__ import annotations

from collections.abc import Iterable

import logging
from typing import Callable, Literal

from .._errors import ScorerError
from ._base import BackendCheck, Sandbox
from ._docker import DockerSandbox, docker_client
from ._local import LocalSandbox
from ._types import SandboxJob, SandboxTest

log = logging.getLogger("scorer.sandbox")

BACKENDS: dict[str, Callable[..., Sandbox]] = {
    "docker": lambda run_id=None, image=None: DockerSandbox(run_id=run_id, image=image),
    "local": lambda run_id=None, image=None: LocalSandbox(),
}


def open_sandbox(kind: Literal["auto", "docker", "local"] = "auto", *, run_id: str | None = None,
                 image: str | None = None) -> Sandbox:
    """Open and start a sandbox. ``auto``: Docker when an engine answers and the image exists,
    else the local backend (which warns that its isolation is weaker)."""
    if kind == "auto":
        try:
            return BACKENDS["docker"](run_id=run_id, image=image).start()
        except ScorerError as exc:
            log.warning("sandbox auto: Docker unusable (%s); using the local backend", exc)
            return BACKENDS["local"](run_id=run_id, image=image).start()
        except Exception as exc:  # noqa: BLE001 - the container failed to start
            log.warning("sandbox auto: Docker failed to start (%s); using the local backend", exc)
            return BACKENDS["local"](run_id=run_id, image=image).start()
    if kind not in BACKENDS:
        raise ScorerError(f"unknown sandbox {kind!r} (choose auto, {', '.join(BACKENDS)})")
    box = BACKENDS[kind](run_id=run_id, image=image)
    try:
        return box.start()
    except ScorerError:
        box.close()
        raise
    except Exception as exc:  # noqa: BLE001 - SandboxBroken and friends: say why, one line
        box.close()
        raise ScorerError(f"sandbox {kind} does not start: {exc}") from None


_PROBE = SandboxJob(program="def f(x):\n    return x + 1\n",
                    tests=(SandboxTest(id="probe", kind="eval", code="f(41)"),))


def check_backends(image: str | None = None, names: Iterable[str] | None = None) -> list[BackendCheck]:
    """Try each backend (or those named) for real (start it, run one job): which works, and why not."""
    out = []
    for name in (BACKENDS if names is None else names):
        try:
            box = BACKENDS[name](image=image)
        except ScorerError as exc:
            out.append(BackendCheck(name, False, str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001
            out.append(BackendCheck(name, False, f"{type(exc).__name__}: {exc}"))
            continue
        try:
            res = box.run(_PROBE)
            if res.status != "ok":
                out.append(BackendCheck(name, False, f"runner failed: {res.error}"))
            elif res.tests[0].status != "passed" or res.tests[0].value != 42:
                out.append(BackendCheck(name, False, f"probe job gave {res.tests[0].status}"))
            else:
                extra = "" if box.hello.get("seccomp") else " (seccomp unavailable)"
                out.append(BackendCheck(name, True, f"{box.describe()}{extra}"))
        except Exception as exc:  # noqa: BLE001
            out.append(BackendCheck(name, False, f"{type(exc).__name__}: {exc}"))
        finally:
            box.close()
    return out


def docker_available(image: str | None = None) -> tuple[bool, str]:
    """(True, "") when an engine answers and the image exists; else (False, why)."""
    from ._base import DEFAULT_IMAGE
    try:
        client = docker_client(timeout=10)
    except ScorerError as exc:
        return False, str(exc)
    try:
        client.images.get(image or DEFAULT_IMAGE)
    except Exception:  # noqa: BLE001
        return False, f"image {image or DEFAULT_IMAGE} is missing: run infra/build_images.sh"
    return True, ""
