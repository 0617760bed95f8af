"""Local fake provider servers (real HTTP on 127.0.0.1) for backend and fault tests."""
from ._server import FakeProvider, FaultPlan

__all__ = ["FakeProvider", "FaultPlan"]
