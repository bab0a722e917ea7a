"""The runner protocol: an ordered map of a picklable function over tasks.

Each task runs through ``call`` in whichever process the runner chose; ``call`` notes that process's
id and peak memory beside the result, so the driver can report each worker's peak resident memory.
Results come back in task order, so what the driver writes does not depend on the runner or on how
many workers there are.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass


class RunnerError(Exception):
    """The runner cannot go on (a cluster out of reach, workers that keep dying): the message says what
    happened and what to do; the run's finished tasks are kept."""


@dataclass(slots=True)
class TaskOutcome:
    value: object
    pid: int
    peak_rss_mb: int
    seconds: float
    cpu_seconds: float = 0.0  # the process's CPU time (all its threads) while it ran the task


def call(fn: Callable, task) -> TaskOutcome:
    t0, c0 = time.perf_counter(), time.process_time()
    value = fn(task)
    return TaskOutcome(value, os.getpid(), peak_rss_mb(), time.perf_counter() - t0, time.process_time() - c0)


def peak_rss_mb() -> int:
    """This process's peak resident memory so far, in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


class Runner:
    """Subclasses implement ``_map``; ``map`` keeps the per-worker bookkeeping."""

    workers: int = 1
    name: str = "runner"

    def __init__(self) -> None:
        self.worker_peak_rss_mb: dict[int, int] = {}  # pid -> MB, every process that ran a task
        self.task_seconds = 0.0
        self.cpu_seconds = 0.0  # CPU time of all tasks so far: over a phase's wall time, how busy the cores were

    def map(self, fn: Callable, tasks: Iterable) -> Iterator:
        """``fn(task)`` for each task, results in task order. ``fn`` must pickle (its models load lazily,
        once per worker process: see phases/base.py)."""
        for outcome in self._map(fn, tasks):
            peaks = self.worker_peak_rss_mb
            peaks[outcome.pid] = max(outcome.peak_rss_mb, peaks.get(outcome.pid, 0))
            self.task_seconds += outcome.seconds
            self.cpu_seconds += outcome.cpu_seconds
            yield outcome.value

    def _map(self, fn: Callable, tasks: Iterable) -> Iterator[TaskOutcome]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
