"""Docker backend: long-lived, locked-down containers, each running the job runner.

Channel: a Unix socket in a host directory bind-mounted at /run/codeharvest. Chosen over the
container's attached stdin/stdout because attach traffic is relayed (and, without a TTY,
multiplexed) through dockerd and containerd-shim on every frame, while a bind-mounted socket
is a direct kernel path between two processes: lowest per-job latency, no daemon in the loop
and no stream demultiplexing. The runner accepts exactly one connection and unlinks the
socket, so code under test cannot connect to it. (Needs a local engine: the host directory
must be the engine's; a remote DOCKER_HOST is not supported.)

Every container: ``network_mode=none``, memory (no swap), CPU and pids limits, read-only root,
a size-limited tmpfs /tmp, a per-container non-root uid, ``cap_drop=ALL``,
``no-new-privileges``, the runner itself as the init process (pid 1: it reaps orphans and
kills strays after each job; Docker's own ``--init`` would be a pid 1 running under the job's
uid and dumpable, so a job could write its memory through ``/proc/1/mem``; the runner is
non-dumpable, and pid 1 cannot be signalled from inside its namespace), and labels ``codeharvest.sandbox=1`` /
``codeharvest.run_id`` so ``cleanup_containers`` finds leftovers of crashed runs.
"""
from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import socket
import tempfile
import time
import uuid
from pathlib import Path

from .._errors import ScorerError
from ._base import DEFAULT_IMAGE, Sandbox, SandboxBroken
from ._channel import Channel

log = logging.getLogger("scorer.sandbox")
RUNNER_SOURCE = Path(__file__).with_name("_runner.py")
LABEL = "codeharvest.sandbox"
RUN_LABEL = "codeharvest.run_id"
_SOCK_DIR = "/run/codeharvest"


def docker_client(timeout: int = 30):
    """A docker SDK client, or ScorerError saying why none answers."""
    try:
        import docker
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise ScorerError(f"the docker package is not installed ({exc})") from None
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
        return client
    except Exception as exc:  # noqa: BLE001 - docker raises many kinds
        raise ScorerError(f"no Docker engine answers ({' '.join(str(exc).split())[:200]})") from None


def runner_sha256() -> str:
    return hashlib.sha256(RUNNER_SOURCE.read_bytes()).hexdigest()


class DockerSandbox(Sandbox):
    kind = "docker"

    def __init__(self, *, run_id: str | None = None, image: str | None = None,
                 memory_mb: int = 2048, cpus: float = 1.0, pids: int = 256, tmp_mb: int = 256,
                 start_timeout_s: float = 60.0) -> None:
        super().__init__()
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.image_name = image or DEFAULT_IMAGE
        self.memory_mb, self.cpus, self.pids, self.tmp_mb = memory_mb, cpus, pids, tmp_mb
        self.start_timeout_s = start_timeout_s
        self.client = docker_client()
        import docker.errors
        try:
            self.image = self.client.images.get(self.image_name)
        except docker.errors.ImageNotFound:
            raise ScorerError(f"sandbox image {self.image_name} is missing: run infra/build_images.sh") from None
        except docker.errors.APIError as exc:
            raise ScorerError(f"cannot inspect image {self.image_name}: {exc}") from None
        self.mount_runner = (self.image.labels or {}).get("codeharvest.runner_sha256") != runner_sha256()
        if self.mount_runner:
            log.warning("image %s carries an older runner; mounting the current one (rebuild with "
                        "infra/build_images.sh)", self.image_name)
        self.container = None
        self._dir: str | None = None
        self._sock: socket.socket | None = None

    def describe(self) -> str:
        return f"docker:{self.image.id}"

    def _start(self) -> Channel:
        import docker.errors
        self._dir = tempfile.mkdtemp(prefix="codeharvest-sbx-")
        sock_dir = os.path.join(self._dir, "sock")
        os.mkdir(sock_dir)
        uid = 20000 + secrets.randbelow(40000)       # own uid per container: NPROC is per container
        if os.geteuid() == 0:
            os.chown(sock_dir, uid, uid)
            os.chmod(sock_dir, 0o700)
        else:
            os.chmod(sock_dir, 0o777)
        volumes = {sock_dir: {"bind": _SOCK_DIR, "mode": "rw"}}
        if self.mount_runner:
            ro = os.path.join(self._dir, "runner")
            os.mkdir(ro)
            shutil.copyfile(RUNNER_SOURCE, os.path.join(ro, "runner.py"))
            os.chmod(ro, 0o755)
            os.chmod(os.path.join(ro, "runner.py"), 0o644)
            volumes[ro] = {"bind": "/opt/codeharvest", "mode": "ro"}
        os.chmod(self._dir, 0o755)
        name = f"codeharvest-sbx-{self.run_id[:24]}-{secrets.token_hex(3)}"
        try:
            self.container = self.client.containers.run(
                self.image.id, command=["--socket", f"{_SOCK_DIR}/runner.sock", "--scratch", "/tmp",
                                        "--own-pidns", "--clean-shm", "--spares", "0"],
                name=name, detach=True, user=f"{uid}:{uid}", network_mode="none",
                mem_limit=f"{self.memory_mb}m", memswap_limit=f"{self.memory_mb}m",
                nano_cpus=int(self.cpus * 1e9), pids_limit=self.pids, read_only=True,
                tmpfs={"/tmp": f"rw,nosuid,nodev,size={self.tmp_mb}m,mode=1777"}, shm_size="16m",
                cap_drop=["ALL"], security_opt=["no-new-privileges"], init=False,
                labels={LABEL: "1", RUN_LABEL: self.run_id}, volumes=volumes, hostname="sandbox",
                environment={"HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"},
                working_dir="/tmp", stdin_open=False, tty=False)
        except docker.errors.DockerException as exc:
            raise SandboxBroken(f"cannot start a container: {' '.join(str(exc).split())[:300]}") from None
        path = os.path.join(sock_dir, "runner.sock")
        deadline = time.monotonic() + self.start_timeout_s
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                raise SandboxBroken("the runner did not open its socket in time")
            try:
                self.container.reload()
                if self.container.status in ("exited", "dead"):
                    logs = self.container.logs(tail=5).decode("utf-8", "replace")
                    raise SandboxBroken(f"container exited at start: {' '.join(logs.split())[:300]}")
            except docker.errors.NotFound:
                raise SandboxBroken("container vanished at start") from None
            except docker.errors.DockerException as exc:
                raise SandboxBroken(f"container failed at start: {exc}") from None
            time.sleep(0.01)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
        except OSError as exc:
            s.close()
            raise SandboxBroken(f"cannot connect to the runner: {exc}") from None
        self._sock = s
        # The runner has accepted and unlinked the socket: take the directory back so code
        # under test cannot write to the host disk through the bind mount.
        try:
            if os.geteuid() == 0:
                os.chown(sock_dir, 0, 0)
            os.chmod(sock_dir, 0o555)
        except OSError as exc:
            raise SandboxBroken(f"cannot lock the socket directory: {exc}") from None
        return Channel(s.fileno(), s.fileno())

    def _stop(self) -> None:
        s, self._sock = self._sock, None
        if s is not None:
            try:
                s.close()
            except OSError:
                pass
        c, self.container = self.container, None
        if c is not None:
            try:
                c.remove(force=True)
            except Exception as exc:  # noqa: BLE001 - already gone is fine
                log.debug("removing %s: %s", c.name, exc)
        d, self._dir = self._dir, None
        if d:
            shutil.rmtree(d, ignore_errors=True)


def cleanup_containers(run_id: str | None = None) -> int:
    """Remove sandbox containers (all, or one run's) left behind; returns how many."""
    try:
        client = docker_client()
    except ScorerError as exc:
        log.warning("sandbox cleanup: %s; nothing removed", exc)
        return 0
    filters = {"label": [f"{LABEL}=1"] + ([f"{RUN_LABEL}={run_id}"] if run_id else [])}
    n = 0
    for c in client.containers.list(all=True, filters=filters):
        try:
            c.remove(force=True)
            n += 1
        except Exception as exc:  # noqa: BLE001 - removed concurrently
            log.debug("cleanup %s: %s", c.name, exc)
    return n
