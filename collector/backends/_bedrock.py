"""Amazon Bedrock through boto3 ``bedrock-runtime`` Converse (the API that served the Llama
models in published code-routing work). boto3 is synchronous: calls run in a thread."""
from __future__ import annotations

import asyncio
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from .._types import Completion, ProviderError, Request, parse_retry_after
from ._base import Backend, malformed_or_bug, register, status_kind
from ._openai import GENERATION_HEADER, _short

if TYPE_CHECKING:
    from .._spec import ModelSpec

_RATE = {"ThrottlingException", "TooManyRequestsException", "ServiceQuotaExceededException"}
_TRANSIENT = {"ServiceUnavailableException", "InternalServerException", "ModelNotReadyException",
              "ModelTimeoutException", "ModelStreamErrorException"}


@register("bedrock")
class BedrockBackend(Backend):
    # boto3 finds credentials itself (env, profile, instance role); a named variable is checked
    needs_key = True
    default_key_env = None

    def __init__(self, spec: "ModelSpec", *, api_key: str | None = None, base_dir: Path | None = None):
        super().__init__(spec, api_key=api_key, base_dir=base_dir)
        import boto3
        import botocore.config
        import botocore.exceptions

        self._exc = botocore.exceptions
        cfg = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"},
                                     read_timeout=spec.retry.timeout_s, connect_timeout=10,
                                     max_pool_connections=max(10, spec.concurrency))
        self.client = boto3.client("bedrock-runtime",
                                   region_name=spec.region or os.environ.get("AWS_REGION")
                                   or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
                                   endpoint_url=spec.endpoint_url, config=cfg)
        self._local = threading.local()
        # its own threads: the event loop's default pool (min(32, CPUs + 4)) would hold a
        # 2-CPU driver to 6 calls at a time whatever the model's concurrency says
        self._threads = ThreadPoolExecutor(max_workers=max(1, spec.concurrency),
                                           thread_name_prefix=f"bedrock-{spec.id}"[:30])
        self.client.meta.events.register("before-sign.bedrock-runtime.Converse", self._add_header)

    def _add_header(self, request, **_: object) -> None:
        gid = getattr(self._local, "generation_id", None)
        if gid:
            request.headers[GENERATION_HEADER] = gid

    def _classify(self, exc: Exception) -> ProviderError:
        e = self._exc
        if isinstance(exc, e.ClientError):
            err = exc.response.get("Error", {})
            code = err.get("Code", "")
            meta = exc.response.get("ResponseMetadata", {})
            status = int(meta.get("HTTPStatusCode") or 0)
            headers = meta.get("HTTPHeaders", {}) or {}
            kind = ("rate_limit" if code in _RATE else "transient" if code in _TRANSIENT
                    else status_kind(status) if status else "fatal")
            return ProviderError(f"{code or 'HTTP ' + str(status)}: {_short(err.get('Message', ''))}",
                                 kind=kind, retry_after=parse_retry_after(headers.get("retry-after")),  # type: ignore[arg-type]
                                 status_code=status or None, request_id=meta.get("RequestId"))
        if isinstance(exc, (e.ReadTimeoutError, e.ConnectTimeoutError)):
            return ProviderError("request timed out", kind="transient")
        if isinstance(exc, (e.EndpointConnectionError, e.ConnectionClosedError)):
            return ProviderError(f"connection error: {_short(str(exc))}", kind="transient")
        return malformed_or_bug(exc, _short)

    def _call(self, req: Request) -> tuple[dict, float]:
        s = req.sampling
        system = [{"text": m["content"]} for m in req.messages if m["role"] == "system"]
        messages = [{"role": m["role"], "content": [{"text": m["content"]}]}
                    for m in req.messages if m["role"] != "system"]
        kwargs = dict(modelId=self.spec.backend_model, messages=messages,
                      inferenceConfig={"maxTokens": s["max_tokens"], "temperature": s["temperature"],
                                       "topP": s["top_p"]})
        if system:
            kwargs["system"] = system
        self._local.generation_id = req.generation_id
        t0 = time.monotonic()
        resp = self.client.converse(**kwargs)
        return resp, time.monotonic() - t0

    async def complete(self, req: Request) -> Completion:
        try:
            resp, latency = await asyncio.get_running_loop().run_in_executor(
                self._threads, self._call, req)
            content = resp["output"]["message"]["content"]
            text = "".join(part.get("text", "") for part in content)
            usage = resp.get("usage", {})
            in_tokens = int(usage.get("inputTokens", 0))
            cached = int(usage.get("cacheReadInputTokens", 0) or 0)
        except Exception as exc:  # noqa: BLE001
            raise self._classify(exc) from None
        return Completion(text=text, finish_reason=resp.get("stopReason"),
                          input_tokens=in_tokens + cached, output_tokens=int(usage.get("outputTokens", 0)),
                          cached_input_tokens=cached, latency_s=latency,
                          request_id=resp.get("ResponseMetadata", {}).get("RequestId"))

    @classmethod
    def preflight(cls, spec: "ModelSpec", base_dir: Path) -> list[str]:
        problems = super().preflight(spec, base_dir)
        if not spec.api_key_env:
            import boto3

            if boto3.session.Session().get_credentials() is None:
                problems.append(f"model {spec.id!r}: no AWS credentials found (environment, profile or role)")
        return problems

    async def aclose(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
        await super().aclose()
