"""Ray: one actor per worker, each a long-lived process that keeps its loaded models across tasks.

Actors rather than Ray Data: a phase's tasks are already coarse (an input shard, a batch of candidate
pairs), each worker must load its models once and keep them (an actor is exactly that), and results
must come back in task order for byte-identical outputs (``ActorPool.map`` is ordered). Ray Data's
row/block model and its own scheduling would add a layer between twinpages and its shards without
removing any. ``import ray`` happens here only, when a Ray runner starts.

Started by twinpages (no ``--address``), Ray runs on this machine only: it binds to 127.0.0.1, with
the dashboard and usage statistics off, so nothing leaves the machine. With ``--address`` it joins an
existing cluster, whose nodes must all see the run folder at the same path (a shared file system) and
have twinpages installed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator

from .base import Runner, TaskOutcome, call


class RayRunner(Runner):
    name = "ray"

    def __init__(self, workers: int = 1, address: str | None = None):
        super().__init__()
        self.workers = workers
        self.address = address
        self._pool = None
        self._started = False

    def _start(self):
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"  # before ray is imported: its processes inherit it
        try:
            import ray
            from ray.util import ActorPool
        except ImportError as e:
            raise RuntimeError("the Ray runner needs Ray: pip install 'twinpages[ray]'") from e
        if not ray.is_initialized():
            if self.address:
                ray.init(address=self.address, logging_level="ERROR", log_to_driver=False)
            else:
                ray.init(num_cpus=self.workers, include_dashboard=False, _node_ip_address="127.0.0.1",
                         logging_level="ERROR", log_to_driver=False)
                self._started = True

        @ray.remote(num_cpus=1)
        class Worker:
            def run(self, fn, task):
                return call(fn, task)

        self._ray = ray
        self._actors = [Worker.remote() for _ in range(self.workers)]
        self._pool = ActorPool(self._actors)

    def _map(self, fn: Callable, tasks: Iterable) -> Iterator[TaskOutcome]:
        if self._pool is None:
            self._start()
        ref = self._ray.put(fn)  # shipped once, not with every task
        yield from self._pool.map(lambda actor, task: actor.run.remote(ref, task), tasks)

    def close(self) -> None:
        if self._pool is not None:
            for actor in self._actors:
                self._ray.kill(actor)
            self._pool, self._actors = None, []
        if self._started:
            self._ray.shutdown()
            self._started = False
