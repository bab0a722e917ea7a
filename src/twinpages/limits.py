"""Time budgets for one document's (or one pair's, or one query's) work.

Every stage is bounded by construction where it can be (input size, HTML depth and element count,
paragraph chunks for the sentence splitter); this is the net under those: work that runs past its
budget ends in an error record for that document (a query: a timeout answer), and the run goes on.

Two ways, by where the work runs. In the main thread a timer signal interrupts Python code (and the
regular-expression engine, which checks for signals), not a long call inside a C library, which the
structural limits bound instead. Signals reach only the main thread: elsewhere (a server's worker
thread) the budget is a deadline that the stages' long loops look at (``check``: between a document's
lines, an alignment's rows, an encoder's chunks), so a query past its time stops its own work instead
of holding the machine after its client was answered.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar


class DocumentTimeout(Exception):
    kind = "too_slow"


# (monotonic time, what set it) of the innermost budget of this thread (or asyncio task)
_deadline: ContextVar[tuple[float, float, str] | None] = ContextVar("twinpages_deadline", default=None)


def applies() -> bool:
    """Whether a budget here interrupts any Python code (a signal), not only the stages' checks."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def check() -> None:
    """Raise DocumentTimeout if the budget of the work under way is spent (cheap: call it in loops)."""
    found = _deadline.get()
    if found is not None and time.monotonic() > found[0]:
        raise DocumentTimeout(f"took over {found[1]:g} s ({found[2]})")


@contextmanager
def time_budget(seconds: float | None, what: str = "--max-doc-seconds"):
    """Raise DocumentTimeout in the block once it has run ``seconds`` (None or 0: no budget): by a
    signal in the main thread, at the next ``check`` elsewhere (and there as well)."""
    if not seconds:
        yield
        return
    token = _deadline.set(_tighter((time.monotonic() + seconds, seconds, what), _deadline.get()))
    try:
        if not applies():
            yield
            return

        end, total, said = _deadline.get()  # the tighter of this budget and an enclosing one

        def on_alarm(signum, frame):
            raise DocumentTimeout(f"took over {total:g} s ({said})")

        outer = signal.getitimer(signal.ITIMER_REAL)[0]  # an enclosing budget's time left (0: none)
        started = time.monotonic()
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(end - started, 1e-3))
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if outer:  # the enclosing budget goes on with what it had left
                signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 1e-3))
    finally:
        _deadline.reset(token)


def _tighter(new, old):
    """A budget inside another ends no later than the outer one."""
    return new if old is None or new[0] <= old[0] else old
