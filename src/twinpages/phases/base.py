"""What every phase shares: per-process model caches, task stats, and the skip-if-done rule."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from ..io import write_json

_PIPELINES: dict = {}


def pipeline_for(config):
    """One Pipeline (its models load lazily) per configuration and process: a worker that runs many
    tasks of a phase, or tasks of several phases, loads each model once."""
    from ..pipeline import Pipeline

    if config not in _PIPELINES:
        _PIPELINES[config] = Pipeline(config)
    return _PIPELINES[config]


def loaded_pipelines() -> list:
    return list(_PIPELINES.values())


def add_stats(total: dict, part: dict) -> dict:
    """Counts add up: numbers are summed, dicts of numbers merged key by key."""
    for key, value in part.items():
        if isinstance(value, dict):
            total[key] = dict(sorted((Counter(total.get(key, {})) + Counter(value)).items()))
        else:
            total[key] = total.get(key, 0) + value
    return total


def save_stats(path: Path, stats: dict) -> None:
    write_json(path, stats)  # written last: the task's completion mark


def load_stats(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
