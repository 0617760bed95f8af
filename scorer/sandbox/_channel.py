"""Host side of the runner channel: length-prefixed JSON frames with a deadline."""
from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

_FRAME = struct.Struct(">I")
MAX_FRAME = 512 << 20


class ChannelError(Exception):
    """The runner did not answer properly (died, hung, spoke garbage): infrastructure."""


class Channel:
    """Frames over a pair of file descriptors (a connected socket, or a child's pipes)."""

    def __init__(self, rfd: int, wfd: int) -> None:
        self.rfd, self.wfd = rfd, wfd
        self._buf = bytearray()

    def call(self, obj: Any, timeout_s: float) -> dict:
        self.send(obj, timeout_s)
        return self.recv(timeout_s)

    def send(self, obj: Any, timeout_s: float) -> None:
        data = json.dumps(obj, separators=(",", ":")).encode("utf-8")
        view = memoryview(_FRAME.pack(len(data)) + data)
        deadline = time.monotonic() + timeout_s
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelError("timed out sending to the runner")
            _, w, _ = select.select([], [self.wfd], [], left)
            if not w:
                continue
            try:
                n = os.write(self.wfd, view[: 1 << 20])
            except (BrokenPipeError, ConnectionError, OSError) as exc:
                raise ChannelError(f"runner channel closed ({exc})") from None
            view = view[n:]

    def recv(self, timeout_s: float) -> dict:
        deadline = time.monotonic() + timeout_s
        need = None
        while True:
            if need is None and len(self._buf) >= 4:
                (need,) = _FRAME.unpack(self._buf[:4])
                if need > MAX_FRAME:
                    raise ChannelError("runner sent an oversized frame")
            if need is not None and len(self._buf) >= 4 + need:
                body = bytes(self._buf[4:4 + need])
                del self._buf[:4 + need]
                try:
                    msg = json.loads(body)
                except (ValueError, RecursionError) as exc:
                    raise ChannelError(f"runner sent malformed JSON ({exc})") from None
                if not isinstance(msg, dict):
                    raise ChannelError("runner sent a non-object frame")
                return msg
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelError(f"runner did not answer within {timeout_s:.1f} s")
            r, _, _ = select.select([self.rfd], [], [], left)
            if not r:
                continue
            try:
                chunk = os.read(self.rfd, 1 << 20)
            except (ConnectionError, OSError) as exc:
                raise ChannelError(f"runner channel closed ({exc})") from None
            if not chunk:
                raise ChannelError("runner closed the channel (it died or was killed)")
            self._buf += chunk
