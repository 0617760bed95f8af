"""Sandboxes that run untrusted code and return per-test results."""
from ._base import DEFAULT_IMAGE, BackendCheck, Sandbox
from ._docker import DockerSandbox, cleanup_containers
from ._local import LocalSandbox
from ._open import check_backends, docker_available, open_sandbox
from ._timeouts import per_test_timeout
from ._types import JobResult, Limits, SandboxJob, SandboxTest, TestResult, TestStatus
from ._value_codec import UnsupportedValue, ValueDecodeError, decode_value, encode_value

__all__ = ["DEFAULT_IMAGE", "BackendCheck", "DockerSandbox", "JobResult", "Limits", "LocalSandbox",
           "SandboxJob", "Sandbox", "SandboxTest", "TestResult", "TestStatus", "UnsupportedValue",
           "ValueDecodeError", "check_backends", "cleanup_containers", "decode_value",
           "docker_available", "encode_value", "open_sandbox", "per_test_timeout"]
