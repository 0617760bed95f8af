"""Model backends, each one module that registers itself by name (``@register``)."""
from ._base import BACKENDS, Backend, get_backend, register
from . import _anthropic, _bedrock, _offline, _openai, _vllm  # noqa: F401  (registration)
from ._vllm import VLLMEngine

__all__ = ["BACKENDS", "Backend", "VLLMEngine", "get_backend", "register"]
