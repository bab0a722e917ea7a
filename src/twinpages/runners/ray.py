"""Ray: one actor per worker, each a long-lived process that keeps its loaded models across tasks.

Actors rather than Ray Data: a phase's tasks are already coarse (an input shard, a batch of candidate
pairs), each worker must load its models once and keep them (an actor is exactly that), and results
must come back in task order for byte-identical outputs. Ray Data's row/block model and its own
scheduling would add a layer between twinpages and its shards without removing any. ``import ray``
happens here only, when a Ray runner starts.

Started by twinpages (no ``--address``), Ray runs on this machine only: it binds to 127.0.0.1, with
the dashboard and usage statistics off, so nothing leaves the machine. With ``--address`` it joins an
existing cluster, whose nodes must all see the run folder at the same path (a shared file system) and
have twinpages installed. An address that does not answer within CONNECT_SECONDS ends the run with
a message (Ray itself would retry for minutes).

A worker that dies (killed, out of memory, its node gone) loses only the task it was running: a new
actor takes its place and the task runs again, up to TASK_ATTEMPTS times; then the run stops with a
message, and rerunning the command resumes (every finished task's files are kept).
"""

from __future__ import annotations

import os
import socket
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from .base import Runner, RunnerError, TaskOutcome, call

CONNECT_SECONDS = 10.0
TASK_ATTEMPTS = 3


class RayRunner(Runner):
    name = "ray"

    def __init__(self, workers: int = 1, address: str | None = None):
        super().__init__()
        self.workers = workers
        self.address = address
        self._actors: list = []
        self._started = False
        self.restarted = 0  # workers that died and were replaced
        if address:  # before any work: a run must not start on a cluster it cannot reach
            reachable(address)

    def _start(self):
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"  # before ray is imported: its processes inherit it
        try:
            import ray
        except ImportError as e:
            raise RunnerError("the Ray runner needs Ray: pip install 'twinpages[ray]'") from e
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

            def pid(self):
                return os.getpid()

        self._ray, self._worker = ray, Worker
        self._actors = [Worker.remote() for _ in range(self.workers)]

    def _map(self, fn: Callable, tasks: Iterable) -> Iterator[TaskOutcome]:
        """Results in task order; each idle actor takes the next task; a task whose actor died runs again
        on a new actor."""
        if not self._actors:
            self._start()
        ray = self._ray
        from ray.exceptions import RayActorError, WorkerCrashedError

        ref = ray.put(fn)  # shipped once, not with every task
        todo = deque(enumerate(tasks))
        idle = deque(range(len(self._actors)))
        running: dict = {}  # object ref -> (task number, task, actor slot)
        done: dict[int, TaskOutcome] = {}
        attempts: dict[int, int] = {}
        next_out = 0
        while todo or running:
            while todo and idle:
                k, task = todo.popleft()
                slot = idle.popleft()
                running[self._actors[slot].run.remote(ref, task)] = (k, task, slot)
            ready, _ = ray.wait(list(running), num_returns=1)
            k, task, slot = running.pop(ready[0])
            try:
                done[k] = ray.get(ready[0])
            except (RayActorError, WorkerCrashedError) as e:
                attempts[k] = attempts.get(k, 0) + 1
                if attempts[k] >= TASK_ATTEMPTS:
                    raise RunnerError(f"a Ray worker died running task {k + 1} {TASK_ATTEMPTS} times "
                                       f"({type(e).__name__}); the run stopped. What it finished is kept: "
                                       "rerun the same command to resume") from None
                ray.kill(self._actors[slot])
                self._actors[slot] = self._worker.remote()  # a fresh process in the dead one's place
                self.restarted += 1
                todo.appendleft((k, task))
            idle.append(slot)
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1

    def close(self) -> None:
        if self._actors:
            for actor in self._actors:
                self._ray.kill(actor)
            self._actors = []
        if self._started:
            self._ray.shutdown()
            self._started = False


def reachable(address: str, seconds: float = CONNECT_SECONDS) -> None:
    """Raise ValueError unless a Ray cluster address answers a TCP connection within ``seconds``
    ("auto" and "local" are Ray's own lookups: not checked here)."""
    if address in ("auto", "local"):
        return
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"--address {address}: write HOST:PORT (the Ray head's GCS port, 6379 by default), "
                         "or auto")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=seconds):
            pass
    except (OSError, RuntimeError) as e:  # refused, no such host, timed out (RuntimeError: a test's guard)
        raise ValueError(f"cannot reach the Ray cluster at {address} within {seconds:g} s ({e}); is its head "
                         "running (`ray start --head`), and is the address right?") from None
