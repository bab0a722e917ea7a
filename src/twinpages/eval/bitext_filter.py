"""The bitext filter (stages/beadfilter.py) against beads whose truth is known.

The beads are what training/beads/build.py writes: document pairs aligned by twinpages, one record a pair
with every aligned bead labelled 1 (its sides translate each other), 0 (they do not) or null (the gold cannot
say; left out). Precision and recall are of the aligner's own beads: recall is the share of its right beads
the filter keeps (a bead the aligner never made is the aligner's loss, measured by `eval sentalign`).

Reported for the filter as shipped (rules, then the probability at the configured threshold), for the rules
alone, for the model's probability alone (a precision-recall curve), and for the raw bead ``score``
thresholded (the same curve: what a user had before); calibration as expected calibration error over ten
equal-width bins of the probability, with the reliability table.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ..schemas import pair_from_dict
from ..stages.beadfilter import BeadFilter, BeadModel, FilterConfig, features, rule
from .calibration import binned


def read_records(paths: Iterable[Path]) -> Iterator[dict]:
    """The records of the given ``*.jsonl`` files, or of every ``*.jsonl`` in a given folder."""
    for path in paths:
        path = Path(path)
        for p in sorted(path.glob("*.jsonl")) if path.is_dir() else [path]:
            with p.open(encoding="utf-8") as f:
                for line in f:
                    yield json.loads(line)


def labelled_beads(records: Iterable[dict], bead_filter: BeadFilter) -> dict:
    """Every labelled aligned bead: label, features, rule verdict, raw score, set and variant."""
    out: dict[str, list] = {k: [] for k in ("label", "x", "rule", "score", "set", "variant", "group")}
    for rec in records:
        pair = pair_from_dict(rec["pair"])
        facts = bead_filter.facts(pair)
        for label, f in zip(rec["labels"], facts, strict=True):
            if f is None or label is None:
                continue
            out["label"].append(int(label))
            out["x"].append(features(f))
            out["rule"].append(rule(f, bead_filter.config))
            out["score"].append(f.score)
            out["set"].append(rec["set"])
            out["variant"].append(rec.get("variant", ""))
            out["group"].append(f"{rec['set']}/{rec['doc']}")
    return out


def precision_recall(keep: np.ndarray, label: np.ndarray) -> dict:
    kept_true = int((keep & (label == 1)).sum())
    kept = int(keep.sum())
    true = int((label == 1).sum())
    return {"kept": kept, "precision": round(kept_true / kept, 4) if kept else None,
            "recall": round(kept_true / true, 4) if true else None}


def curve(values: np.ndarray, label: np.ndarray, thresholds: Iterable[float]) -> list[dict]:
    return [{"threshold": round(float(t), 4)} | precision_recall(values >= t, label) for t in thresholds]


def calibration(p: np.ndarray, label: np.ndarray, bins: int = 10) -> tuple[float, list[dict]]:
    """Expected calibration error of P(translation) over ``bins`` equal-width bins, and the table."""
    ece, rows = binned(p, label, np.linspace(0.0, 1.0, bins + 1))
    return round(ece, 4), [{"bin": f"{lo:.1f}-{hi:.1f}", "beads": n, "probability": round(conf, 3),
                            "translations": round(acc, 3)} for lo, hi, n, conf, acc in rows]


def score_at_recall(score: np.ndarray, label: np.ndarray, recall: float) -> float:
    """The raw-score threshold that keeps ``recall`` of the true beads (for a like-for-like comparison)."""
    true = np.sort(score[label == 1])
    return float(true[int(np.floor((1 - recall) * len(true)))]) if len(true) else 0.0


def summarise(beads: dict, model: BeadModel, config: FilterConfig) -> dict:
    label = np.asarray(beads["label"])
    if not len(label):
        return {"beads": 0}
    p = model.probability(np.asarray(beads["x"], np.float64))
    rules = np.array([r == "" for r in beads["rule"]])
    score = np.asarray(beads["score"])
    kept = rules & (p >= config.min_translation_probability)
    ece, table = calibration(p, label)
    shipped = precision_recall(kept, label)
    at = score_at_recall(score, label, shipped["recall"] or 0.0)
    reasons = Counter(r for r in beads["rule"] if r)
    reasons_true = Counter(r for r, y in zip(beads["rule"], label, strict=True) if r and y == 1)
    return {
        "beads": int(len(label)), "true_beads": int(label.sum()),
        "aligner_precision": round(float(label.mean()), 4),
        "threshold": config.min_translation_probability,
        "filter": shipped,
        "rules_alone": precision_recall(rules, label),
        "probability_alone": precision_recall(p >= config.min_translation_probability, label),
        "raw_score_same_recall": {"threshold": round(at, 4)} | precision_recall(score >= at, label),
        "rule_rejections": {r: {"beads": reasons[r], "true_beads": reasons_true[r]} for r in sorted(reasons)},
        "ece": ece, "reliability": table,
        "curve_probability": curve(p, label, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]),
        "curve_raw_score": curve(score, label, np.quantile(score, [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5])),
    }


def evaluate(paths: Iterable[Path], model_path: str | None = None, config: FilterConfig | None = None,
             by: str = "set") -> dict:
    """Metrics over all beads of ``paths`` and per ``by`` (set, variant); ``config``: the filter's settings
    (default: as shipped)."""
    config = config or FilterConfig()
    model = BeadModel.load(model_path)
    beads = labelled_beads(read_records(paths), BeadFilter(config, model))
    out = {"all": summarise(beads, model, config), by: {}}
    for key in sorted(set(beads[by])):
        sel = [k for k, v in enumerate(beads[by]) if v == key]
        part = {name: [values[k] for k in sel] for name, values in beads.items()}
        out[by][key] = summarise(part, model, config)
    return out
