"""Anthropic Messages API through the official SDK (SDK retries off; ModelClient retries)."""
from __future__ import annotations

import inspect
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .._types import Completion, ProviderError, Request
from ._base import Backend, malformed_or_bug, register, status_kind
from ._openai import GENERATION_HEADER, _headers_retry_after, _short

if TYPE_CHECKING:
    from .._spec import ModelSpec


@register("anthropic")
class AnthropicBackend(Backend):
    default_key_env = "ANTHROPIC_API_KEY"

    def __init__(self, spec: "ModelSpec", *, api_key: str | None = None, base_dir: Path | None = None):
        super().__init__(spec, api_key=api_key, base_dir=base_dir)
        import anthropic

        self._anthropic = anthropic
        self.client = anthropic.AsyncAnthropic(api_key=api_key, base_url=spec.base_url,
                                               max_retries=0, timeout=spec.retry.timeout_s)

    def _classify(self, exc: Exception) -> ProviderError:
        a = self._anthropic
        if isinstance(exc, a.APIStatusError):
            resp = exc.response
            return ProviderError(f"HTTP {exc.status_code}: {_short(exc.message)}",
                                 kind=status_kind(exc.status_code),  # type: ignore[arg-type]
                                 retry_after=_headers_retry_after(resp.headers if resp else None),
                                 status_code=exc.status_code, request_id=exc.request_id)
        if isinstance(exc, a.APITimeoutError):
            return ProviderError("request timed out", kind="transient")
        if isinstance(exc, a.APIConnectionError):
            return ProviderError(f"connection error: {_short(str(exc))}", kind="transient")
        return malformed_or_bug(exc, _short)

    async def complete(self, req: Request) -> Completion:
        s = req.sampling
        system = "\n\n".join(m["content"] for m in req.messages if m["role"] == "system")
        messages = [m for m in req.messages if m["role"] != "system"]
        # this SDK generation no longer types temperature/top_p; the wire format still has them
        extra = {"temperature": s["temperature"]}
        if s.get("top_p", 1.0) < 1.0:
            extra["top_p"] = s["top_p"]
        kwargs = dict(model=self.spec.backend_model, messages=messages, max_tokens=s["max_tokens"],
                      extra_body=extra, extra_headers={GENERATION_HEADER: req.generation_id})
        if system:
            kwargs["system"] = system
        t0 = time.monotonic()
        try:
            raw = await self.client.messages.with_raw_response.create(**kwargs)
            msg = raw.parse()
            if inspect.isawaitable(msg):
                msg = await msg
            text = "".join(getattr(b, "text", "") for b in msg.content if getattr(b, "type", "") == "text")
            usage = msg.usage
            cached = int(getattr(usage, "cache_read_input_tokens", 0) or 0)
            in_tokens = int(usage.input_tokens or 0) + cached + int(
                getattr(usage, "cache_creation_input_tokens", 0) or 0)
            out_tokens = int(usage.output_tokens or 0)
        except Exception as exc:  # noqa: BLE001
            raise self._classify(exc) from None
        return Completion(text=text, finish_reason=msg.stop_reason, input_tokens=in_tokens,
                          output_tokens=out_tokens, cached_input_tokens=cached,
                          latency_s=time.monotonic() - t0,
                          request_id=raw.headers.get("request-id") or msg.id)

    async def aclose(self) -> None:
        await self.client.close()
