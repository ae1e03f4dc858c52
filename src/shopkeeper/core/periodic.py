"""Jobs the worker's loops run every so often: at their first call, then at most once per interval in
this process (`if FEEDS.due(): ...`)."""

from __future__ import annotations

import time


class Every:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: float | None = None

    def due(self) -> bool:
        """Whether the job should run now; answering yes starts the next interval."""
        now = time.monotonic()
        if self._last is not None and now - self._last < self.seconds:
            return False
        self._last = now
        return True
