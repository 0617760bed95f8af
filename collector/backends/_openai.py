"""OpenAI Chat Completions through the official SDK; any compatible server via ``base_url``
(OpenRouter, ``vllm serve``). The SDK's own retries are off: ModelClient owns retries."""
from __future__ import annotations

import os
import inspect
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .._types import Completion, ProviderError, Request, parse_retry_after
from ._base import Backend, malformed_or_bug, register, status_kind

if TYPE_CHECKING:
    from .._spec import ModelSpec

GENERATION_HEADER = "X-Codeharvest-Generation-Id"


def _headers_retry_after(headers) -> float | None:
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return float(ms) / 1000.0
        except ValueError:
            pass
    return parse_retry_after(headers.get("retry-after"))


@register("openai")
class OpenAIBackend(Backend):
    default_key_env = "OPENAI_API_KEY"

    @classmethod
    def key_env(cls, spec: "ModelSpec") -> str | None:
        # a self-hosted server (vllm serve) needs no key unless one is named
        if spec.api_key_env is None and spec.base_url:
            return None
        return spec.api_key_env or cls.default_key_env

    def __init__(self, spec: "ModelSpec", *, api_key: str | None = None, base_dir: Path | None = None):
        super().__init__(spec, api_key=api_key, base_dir=base_dir)
        import openai

        self._openai = openai
        self.client = openai.AsyncOpenAI(api_key=api_key or "EMPTY", base_url=spec.base_url,
                                         max_retries=0, timeout=spec.retry.timeout_s)

    def _classify(self, exc: Exception) -> ProviderError:
        o = self._openai
        if isinstance(exc, o.APIStatusError):
            resp = exc.response
            return ProviderError(f"HTTP {exc.status_code}: {_short(exc.message)}",
                                 kind=status_kind(exc.status_code),  # type: ignore[arg-type]
                                 retry_after=_headers_retry_after(resp.headers if resp else None),
                                 status_code=exc.status_code, request_id=exc.request_id)
        if isinstance(exc, o.APITimeoutError):
            return ProviderError("request timed out", kind="transient")
        if isinstance(exc, o.APIConnectionError):
            return ProviderError(f"connection error: {_short(str(exc))}", kind="transient")
        # malformed body (bad JSON, missing fields): a flaky proxy more often than a bug
        return malformed_or_bug(exc, _short)

    async def complete(self, req: Request) -> Completion:
        s = req.sampling
        kwargs = dict(model=self.spec.backend_model, messages=req.messages,
                      extra_headers={GENERATION_HEADER: req.generation_id})
        if self.spec.reasoning:
            kwargs["max_completion_tokens"] = s["max_tokens"]
        else:
            kwargs.update(max_tokens=s["max_tokens"], temperature=s["temperature"], top_p=s["top_p"])
        if req.seed is not None:
            kwargs["seed"] = req.seed
        t0 = time.monotonic()
        try:
            raw = await self.client.chat.completions.with_raw_response.create(**kwargs)
            resp = raw.parse()
            if inspect.isawaitable(resp):
                resp = await resp
            choice = resp.choices[0]
            usage = resp.usage
            text = choice.message.content or ""
        except ProviderError:
            raise
        except Exception as exc:  # noqa: BLE001 - classified below
            raise self._classify(exc) from None
        latency = time.monotonic() - t0
        details = getattr(usage, "completion_tokens_details", None)
        pdetails = getattr(usage, "prompt_tokens_details", None)
        return Completion(
            text=text, finish_reason=choice.finish_reason,
            input_tokens=int(usage.prompt_tokens or 0) if usage else 0,
            output_tokens=int(usage.completion_tokens or 0) if usage else 0,
            reasoning_tokens=int(getattr(details, "reasoning_tokens", 0) or 0),
            cached_input_tokens=int(getattr(pdetails, "cached_tokens", 0) or 0),
            latency_s=latency, request_id=raw.headers.get("x-request-id") or resp.id)

    async def aclose(self) -> None:
        await self.client.close()


def _short(text: str, n: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."
