"""A time budget for one document's work.

Every stage is bounded by construction where it can be (input size, HTML depth and element count,
paragraph chunks for the sentence splitter); this is the net under those: work on one document that
runs past the budget ends in an error record for that document, and the run goes on. It is a timer
signal, so it interrupts Python code (and the regular-expression engine, which checks for signals), not
a long call inside a C library, which the structural limits bound instead. Signals reach only the main
thread: elsewhere (a threaded worker) the budget is not applied, and ``applies()`` says so.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager


class DocumentTimeout(Exception):
    kind = "too_slow"


def applies() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_budget(seconds: float | None, what: str = "--max-doc-seconds"):
    """Raise DocumentTimeout in the block once it has run ``seconds`` (None or 0: no budget)."""
    if not seconds or not applies():
        yield
        return

    def on_alarm(signum, frame):
        raise DocumentTimeout(f"took over {seconds:g} s ({what})")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
