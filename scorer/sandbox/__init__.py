"""Sandboxes that run untrusted code and return per-test results."""
from ._types import JobResult, Limits, SandboxJob, SandboxTest, TestResult, TestStatus

__all__ = ["JobResult", "Limits", "SandboxJob", "SandboxTest", "TestResult", "TestStatus"]
