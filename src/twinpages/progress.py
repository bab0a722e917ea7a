"""Progress on stderr: items done, items/s and ETA, at most once a second."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, label: str, total: int | None = None, enabled: bool = True, stream=None,
                 unit: str = "documents", items_unit: str | None = None):
        """``unit`` is what ``total`` counts (the ETA's measure: bytes, documents, candidate pairs);
        ``items_unit``, when given, is a second count shown with its rate (documents read from bytes)."""
        self.label, self.total, self.enabled, self.unit, self.items_unit = label, total, enabled, unit, items_unit
        self.stream = stream or sys.stderr
        self.done = 0
        self.items = 0
        self.start = time.monotonic()
        self._last = self.start

    def update(self, n: int = 1, items: int = 0) -> None:
        self.done += n
        self.items += items
        now = time.monotonic()
        if self.enabled and now - self._last >= 1.0:
            self._last = now
            self._print(now)

    def close(self) -> None:
        if self.enabled:
            self._print(time.monotonic(), final=True)

    def _print(self, now: float, final: bool = False) -> None:
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        msg = f"{self.label}: {self.done:,}"
        if self.total:
            msg += f"/{self.total:,}"
        msg += f" {self.unit}, {rate:,.1f} {self.unit}/s"
        if self.items_unit:
            msg += f", {self.items:,} {self.items_unit}, {self.items / elapsed:,.1f} {self.items_unit}/s"
        if self.total and not final and rate > 0:
            msg += f", ETA {_fmt(max(self.total - self.done, 0) / rate)}"
        if final:
            msg += f", {_fmt(elapsed)} in all"
        print(msg, file=self.stream, flush=True)


def _fmt(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"
