"""One HTTP server on 127.0.0.1 that speaks three providers' wire formats:

- OpenAI Chat Completions: ``POST /v1/chat/completions``
- Anthropic Messages: ``POST /v1/messages``
- Bedrock Converse: ``POST /model/{modelId}/converse``

It injects latency, 429 + Retry-After, 5xx, hangs (client timeouts), malformed bodies and
permanent 4xx, enforces an optional requests/min limit, and counts *billed* requests: a
200 answer generated for a client still connected, keyed by the generation id header the
collector sends (or the body hash), so tests can assert that nothing was paid for twice.
"""
from __future__ import annotations

import hashlib
import json
import random
import select
import socket
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class FaultPlan:
    p429: float = 0.0
    p5xx: float = 0.0
    p_malformed: float = 0.0
    p_hang: float = 0.0
    fatal_status: int | None = None      # every request answers this 4xx
    fatal_when: Callable[[str], bool] | None = None   # prompt -> answer fatal_status (400)?
    retry_after_s: float = 0.2
    hang_s: float = 5.0


def _default_responder(prompt: str, model: str) -> str:
    h = hashlib.sha256(f"{model}\n{prompt}".encode()).hexdigest()[:8]
    return f"Here is the code:\n```python\ndef answer():\n    return '{h}'\n```\n"


class FakeProvider:
    def __init__(self, *, latency_s: float = 0.0, faults: FaultPlan | None = None,
                 rpm_limit: float | None = None, seed: int = 0,
                 responder: Callable[[str, str], str] | None = None, max_output_tokens: int | None = None,
                 reasoning_models: set[str] | frozenset[str] = frozenset()):
        self.latency_s = latency_s
        self.faults = faults or FaultPlan()
        self.rpm_limit = rpm_limit
        self.rng = random.Random(seed)
        self.responder = responder or _default_responder
        self.max_output_tokens = max_output_tokens
        self.reasoning_models = set(reasoning_models)   # refuse max_tokens / temperature, as OpenAI does
        self.lock = threading.Lock()
        self.billed: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.requests = 0
        self.in_flight = 0              # requests sleeping their latency now
        self.max_in_flight = 0          # the most at once (what a client's concurrency reached)
        self.seen_auth: set[str] = set()
        self._window: deque[float] = deque()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "FakeProvider":
        provider = self

        class Handler(_Handler):
            fake = provider

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "FakeProvider":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    @property
    def billed_total(self) -> int:
        return sum(self.billed.values())

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.billed.values() if n > 1)

    # ------------------------------------------------------------------ decisions
    def decide(self, prompt: str) -> tuple[str, float | None]:
        """-> (outcome, retry_after): ok | 429 | 5xx | malformed | hang | fatal."""
        f = self.faults
        with self.lock:
            self.requests += 1
            if f.fatal_status is not None or (f.fatal_when is not None and f.fatal_when(prompt)):
                return "fatal", None
            now = time.monotonic()
            if self.rpm_limit is not None:
                while self._window and now - self._window[0] >= 60.0:
                    self._window.popleft()
                if len(self._window) >= self.rpm_limit:
                    return "429", max(0.05, 60.0 - (now - self._window[0]))
            r = self.rng.random()
            if r < f.p429:
                return "429", f.retry_after_s
            r -= f.p429
            if r < f.p5xx:
                return "5xx", None
            r -= f.p5xx
            if r < f.p_malformed:
                return "malformed", None
            r -= f.p_malformed
            if r < f.p_hang:
                return "hang", None
            if self.rpm_limit is not None:
                self._window.append(now)
            return "ok", None


def _client_gone(sock: socket.socket) -> bool:
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeProvider

    def log_message(self, *args: Any) -> None:  # quiet
        return

    # ---------------------------------------------------------------- plumbing
    def _send(self, status: int, body: bytes | dict, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        with self.fake.lock:
            self.fake.statuses[status] += 1

    def _wait_latency(self) -> bool:
        """Sleep the latency; False when the client hung up meanwhile (nothing billed)."""
        end = time.monotonic() + self.fake.latency_s
        with self.fake.lock:
            self.fake.in_flight += 1
            self.fake.max_in_flight = max(self.fake.max_in_flight, self.fake.in_flight)
        try:
            while True:
                left = end - time.monotonic()
                if _client_gone(self.connection):
                    return False
                if left <= 0:
                    return True
                time.sleep(min(0.02, left))
        finally:
            with self.fake.lock:
                self.fake.in_flight -= 1

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send(400, {"error": {"message": "bad json"}})
            return
        auth = self.headers.get("Authorization") or self.headers.get("x-api-key") or ""
        if auth:
            with self.fake.lock:
                self.fake.seen_auth.add(auth)
        path = self.path.split("?")[0]
        if path.endswith("/chat/completions"):
            proto = "openai"
        elif path.endswith("/messages"):
            proto = "anthropic"
        elif path.startswith("/model/") and path.endswith("/converse"):
            proto = "bedrock"
        else:
            self._send(404, {"error": {"message": f"no route {path}"}})
            return
        prompt, model, max_tokens = _prompt_of(proto, body, path)
        refused = _reasoning_refusal(proto, model, body, self.fake.reasoning_models)
        if refused:                                   # as api.openai.com answers o-series models
            self._send(400, {"error": {"message": refused, "type": "invalid_request_error"}})
            return
        outcome, retry_after = self.fake.decide(prompt)
        if outcome == "hang":
            time.sleep(self.fake.faults.hang_s)
            self.close_connection = True
            return
        if not self._wait_latency():
            self.close_connection = True
            return
        if outcome != "ok":
            self._error(proto, outcome, retry_after)
            return
        text = self.fake.responder(prompt, model)
        out_tokens = max(1, len(text) // 4)
        finish = "stop"
        cap = min(max_tokens or 1 << 30, self.fake.max_output_tokens or 1 << 30)
        if out_tokens > cap:
            text, out_tokens, finish = text[: cap * 4], cap, "length"
        in_tokens = max(1, len(prompt) // 4)
        key = self.headers.get("X-Codeharvest-Generation-Id") or hashlib.sha256(raw).hexdigest()
        rid = uuid.uuid4().hex[:16]
        if proto == "openai":
            body_out, headers = {
                "id": f"chatcmpl-{rid}", "object": "chat.completion", "created": int(time.time()),
                "model": model, "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                             "finish_reason": finish, "logprobs": None}],
                "usage": {"prompt_tokens": in_tokens, "completion_tokens": out_tokens,
                          "total_tokens": in_tokens + out_tokens,
                          "prompt_tokens_details": {"cached_tokens": 0},
                          "completion_tokens_details": {"reasoning_tokens": 0}}}, {"x-request-id": f"req_{rid}"}
        elif proto == "anthropic":
            body_out, headers = {
                "id": f"msg_{rid}", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn" if finish == "stop" else "max_tokens", "stop_sequence": None,
                "usage": {"input_tokens": in_tokens, "output_tokens": out_tokens,
                          "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}}, {"request-id": f"req_{rid}"}
        else:
            body_out, headers = {
                "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
                "stopReason": "end_turn" if finish == "stop" else "max_tokens",
                "usage": {"inputTokens": in_tokens, "outputTokens": out_tokens,
                          "totalTokens": in_tokens + out_tokens},
                "metrics": {"latencyMs": int(self.fake.latency_s * 1000)}}, {"x-amzn-RequestId": rid}
        # billed = a completion handed to a client that is still connected (checked last,
        # right before the write: a client that died during the latency abandoned it)
        if _client_gone(self.connection):
            self.close_connection = True
            return
        with self.fake.lock:
            self.fake.billed[key] += 1
        try:
            self._send(200, body_out, headers)
        except OSError:                  # the client was gone before it could be answered
            with self.fake.lock:
                self.fake.billed[key] -= 1
                if self.fake.billed[key] <= 0:
                    del self.fake.billed[key]

    def _error(self, proto: str, outcome: str, retry_after: float | None) -> None:
        headers: dict[str, str] = {}
        if outcome == "malformed":
            self._send(200, b'{"id": "broken", "choices": [', {})
            return
        if outcome == "429":
            status, etype, btype = 429, "rate_limit_error", "ThrottlingException"
            headers["retry-after"] = f"{retry_after or 1:.3f}"
        elif outcome == "5xx":
            status, etype, btype = 503, "overloaded_error", "ServiceUnavailableException"
        else:
            status = self.fake.faults.fatal_status or 400
            etype, btype = "invalid_request_error", "ValidationException"
        msg = f"injected {outcome}"
        if proto == "openai":
            self._send(status, {"error": {"message": msg, "type": etype, "code": None}}, headers)
        elif proto == "anthropic":
            self._send(status, {"type": "error", "error": {"type": etype, "message": msg}}, headers)
        else:
            headers["x-amzn-ErrorType"] = f"{btype}:http://internal.amazon.com/coral/com.amazon.bedrock/"
            self._send(status, {"message": msg}, headers)


def _reasoning_refusal(proto: str, model: str, body: dict, reasoning_models: set[str]) -> str:
    if proto != "openai" or model not in reasoning_models:
        return ""
    if "max_tokens" in body:
        return "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
    if body.get("temperature", 1) != 1 or body.get("top_p", 1) != 1:
        return "Unsupported value: 'temperature' does not support 0.0 with this model. Only the default (1) value is supported."
    return ""


def _prompt_of(proto: str, body: dict, path: str) -> tuple[str, str, int | None]:
    if proto == "bedrock":
        model = path[len("/model/"):-len("/converse")]
        parts = [c.get("text", "") for m in body.get("messages", []) for c in m.get("content", [])]
        return "\n".join(parts), model, (body.get("inferenceConfig") or {}).get("maxTokens")
    msgs = body.get("messages", [])
    parts = []
    for m in msgs:
        c = m.get("content")
        parts.append(c if isinstance(c, str) else "".join(x.get("text", "") for x in c or []))
    return "\n".join(parts), body.get("model", ""), body.get("max_tokens", body.get("max_completion_tokens"))
