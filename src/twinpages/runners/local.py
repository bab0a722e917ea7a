"""In this process (one worker), or in a pool of local processes (several)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from functools import partial

from .base import Runner, TaskOutcome, call


class LocalRunner(Runner):
    name = "local"

    def __init__(self, workers: int = 1):
        super().__init__()
        self.workers = workers
        self._pool = None

    def _map(self, fn: Callable, tasks: Iterable) -> Iterator[TaskOutcome]:
        if self.workers <= 1:
            for task in tasks:
                yield call(fn, task)
            return
        if self._pool is None:
            # spawn, not fork: the driver may hold threads (BLAS, the encoder) that a fork would copy
            # mid-state. One pool serves every phase, so a worker's loaded models serve them all.
            self._pool = multiprocessing.get_context("spawn").Pool(self.workers)
        # ordered; one task at a time per worker (tasks are shards or batches, already coarse)
        yield from self._pool.imap(partial(call, fn), tasks, chunksize=1)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
