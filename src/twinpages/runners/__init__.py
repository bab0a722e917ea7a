"""Runners: how the phases' tasks are executed. A phase is a picklable function over a list of tasks
(input shards, candidate batches); a runner maps it, in order, in this process, in a pool of local
processes, or on Ray. Stages and phases never import from here: the same phase runs under each runner
and writes the same bytes.

    from twinpages.runners import RunnerConfig, make_runner
    with make_runner(RunnerConfig(runner="ray", workers=4)) as runner:
        results = list(runner.map(fn, tasks))
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from ..settings import check_ranges, setting
from .base import Runner, RunnerError, TaskOutcome

RUNNERS = ("local", "ray")


@dataclass(frozen=True, slots=True)
class RunnerConfig:
    """Where the tasks run. Not part of the run signature: outputs are the same under every runner."""

    runner: str = setting("local", flag="--runner", choices=RUNNERS, signed=False,
                          help="local: this process (--workers 1) or a pool of processes; ray: Ray workers")
    workers: int = setting(1, flag="--workers", signed=False, low=1,
                           help="worker processes (local) or Ray workers (ray)")
    address: str | None = setting(None, flag="--address", signed=False,
                                  help="Ray cluster to join (e.g. HEAD:6379, or 'auto'); default: start a "
                                       "local one on 127.0.0.1")


def make_runner(config: RunnerConfig = RunnerConfig()) -> Runner:
    check_ranges(config)
    if config.runner == "ray":
        from .ray import RayRunner

        return RayRunner(config.workers, config.address)
    if config.runner != "local":
        raise ValueError(f"unknown runner {config.runner!r}; choose from {RUNNERS}")
    from .local import LocalRunner

    workers = config.workers
    if workers > usable_cores():
        # the tasks are CPU-bound: more processes than cores only wait for each other, each holding its
        # own models (64 workers on 2 cores ran the seeds in 36 s against 5.3 s with 2)
        workers = usable_cores()
        print(f"twinpages: --workers {config.workers} is more than the {workers} cores this process may use: "
              f"running {workers} worker process{'es' if workers > 1 else ''}", file=sys.stderr)
    return LocalRunner(workers)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which a container or taskset narrows)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


__all__ = ["RUNNERS", "Runner", "RunnerConfig", "RunnerError", "TaskOutcome", "make_runner"]
