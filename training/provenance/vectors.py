"""The encoder's vectors as a direction signal (issue 31, item 3), measured out of year and out of genre.

    python training/provenance/vectors.py --pairs pairs/ [--test manual-pairs/] --json

``Measures.vectors`` (stages/provenance.py; build.py and manuals.py store it, measure(vectors=True)): per
pair, the mean over aligned beads of one side's USE-m3 vector minus the other's. A logistic regression per
language pair over those 512 numbers (first language first, so the label is "the first language's side is
the original" as in train.py; full and partial translations apart; C by 5-fold cross-validation grouped by
document block) is trained on one WMT year and scored on the other — loyo.py's protocol — beside today's
recipe (train.py) on the same pairs. "Combined": the two logits weighted by a logistic regression without
intercept (so that either side first is judged alike) fitted on the *other* held-out year's predictions:
neither model nor weights saw the scored year's labels. ``--test``: pairs never trained on (manuals.py's),
judged by the recipe and the vector models trained as train.py trains the direction (WMT21's train fold),
combined by weights fitted on both held-out years' predictions.

Not shipped: on the manuals the combined direction was worse than the recipe alone (BENCHMARKS, "Encoder
vectors as a signal"; the code that would ship it is on branch issue31-vectors-not-shipped). The translator
over vectors (translation minus original, and the translation's mean) was measured at commit
20e3013 and gained nothing out of year; it is not repeated here. WMT22 and WMT24 are never read (kept aside).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_predict

sys.path.insert(0, str(Path(__file__).parent))
import loyo  # noqa: E402
import train as recipe  # noqa: E402

from twinpages.eval.provenance import read_pairs  # noqa: E402
from twinpages.stages.provenance import PARTIAL_GAP, Linear, Measures, ProvenanceModel, coverage_gap  # noqa: E402

CS = (0.01, 0.03, 0.1, 0.3, 1.0)
TASKS = ("direction", "partial")  # the direction of full translations, of partial ones


def fit(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> dict:
    """A logistic regression, C by grouped cross-validation (log loss), as a stages.provenance.Linear dict."""
    best = None
    for c in CS:
        p = cross_val_predict(LogisticRegression(C=c, max_iter=3000), x, y, groups=groups,
                              cv=GroupKFold(n_splits=5), method="predict_proba")[:, 1]
        loss = -np.mean(y * np.log(np.clip(p, 1e-9, 1)) + (1 - y) * np.log(np.clip(1 - p, 1e-9, 1)))
        if best is None or loss < best[0]:
            best = (loss, c)
    lr = LogisticRegression(C=best[1], max_iter=3000).fit(x, y)
    return {"mean": [0.0] * x.shape[1], "scale": [1.0] * x.shape[1], "coef": recipe._r(lr.coef_[0]),
            "intercept": float(lr.intercept_[0])}


def train_vectors(records: list[dict]) -> dict[tuple, dict[str, dict]]:
    """Per language pair with both directions: the vector models of full and of partial translations."""
    by_pair: dict[tuple, list] = defaultdict(list)
    for r in records:
        if r["measures"].get("vectors") is not None:
            by_pair[tuple(sorted((r["original"], r["translation"])))].append(r)
    models = {}
    for key, recs in sorted(by_pair.items()):
        if len({r["original"] for r in recs}) < 2:
            continue
        canon = [recipe.canonical(r) for r in recs]
        partial = np.array([coverage_gap(m) >= PARTIAL_GAP for _, m, _ in canon])
        x = np.array([m.vectors for _, m, _ in canon])
        y = np.array([first for _, _, first in canon])
        g = np.array([r["group"] for r in recs])
        models[key] = {"direction": fit(x[~partial], y[~partial], g[~partial]),
                       "partial": fit(x[partial], y[partial], g[partial])}
        print(f"vectors: trained {key}", file=sys.stderr, flush=True)
    return models


def p_original(models: dict, m: Measures) -> float | None:
    """P(side a of ``m`` is the original) from its vectors alone; None where no model covers it."""
    key = tuple(sorted((m.lang_a, m.lang_b)))
    if key not in models or m.vectors is None:
        return None
    canon = m if m.lang_a == key[0] else m.swapped()
    task = "partial" if coverage_gap(m) >= PARTIAL_GAP else "direction"
    p_first = 1 / (1 + np.exp(-float(Linear.from_dict(models[key][task]).logit(np.asarray(canon.vectors)))))
    return p_first if canon is m else 1 - p_first


def vector_predictions(records: list[dict], models: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """As loyo.predictions (the translation's side first every other pair): per task, P(the truth) and the
    label."""
    out: dict[str, tuple[list, list]] = {t: ([], []) for t in TASKS}
    for k, rec in enumerate(records):
        m = Measures.from_dict(rec["measures"])
        flip = k % 2 == 1
        task = "partial" if rec["kind"] == "partial" else "direction"
        out[task][0].append(p_original(models, m.swapped() if flip else m))
        out[task][1].append(0 if flip else 1)
    return {t: (np.array(p, dtype=float), np.array(y)) for t, (p, y) in out.items()}


def covered(records: list[dict], pm: ProvenanceModel, models: dict) -> list[dict]:
    """The pairs both models judge (the same pairs in every column)."""
    return [r for r in records if pm.judge(Measures.from_dict(r["measures"])) is not None
            and p_original(models, Measures.from_dict(r["measures"])) is not None]


def weights(today: list[tuple], vectors: list[tuple]) -> list[float]:
    """[features', vectors', bias] for the combined logit, fitted on pooled predictions (no intercept: the
    probabilities are of "side a is the original" with either side first, so a bias would favour one)."""
    z = np.c_[np.concatenate([loyo._logit(t[0]) for t in today]), np.concatenate([loyo._logit(v[0]) for v in vectors])]
    y = np.concatenate([t[1] for t in today])
    lr = LogisticRegression(C=1e6, fit_intercept=False).fit(z, y)
    return [round(float(lr.coef_[0][0]), 5), round(float(lr.coef_[0][1]), 5), 0.0]


def combined(w: list[float], today: tuple, vectors: tuple) -> np.ndarray:
    z = w[0] * loyo._logit(today[0]) + w[1] * loyo._logit(vectors[0]) + w[2]
    return 1 / (1 + np.exp(-z))


def three_ways(today: tuple, vectors: tuple, w: list[float]) -> dict:
    every = np.ones(len(today[1]), bool)
    return {"today": loyo.verdicts(today[0], today[1], every, False),
            "vectors": loyo.verdicts(vectors[0], vectors[1], every, False),
            "combined": loyo.verdicts(combined(w, today, vectors), today[1], every, False) | {"weights": w}}


def as_train_py_would(records: list[dict]) -> tuple[dict, ProvenanceModel]:
    """The vector models trained as train.py trains the direction (the train fold of WMT21), and today's
    recipe trained so."""
    train_recs = [r for r in records if r["fold"] == "train" and r["set"].startswith("wmt21")]
    return train_vectors(train_recs), ProvenanceModel(recipe.train(records, {"wmt21"}))


def judge_test(tests: list[dict], models: dict, pm: ProvenanceModel, w: dict[str, list[float]]) -> dict:
    tests = covered(tests, pm, models)
    today, vecs = loyo.predictions(tests, pm), vector_predictions(tests, models)
    out: dict = {"pairs": len(tests), "sets": sorted({r["set"] for r in tests})}
    for task in TASKS:
        if len(today[task][1]):
            out[task] = three_ways(today[task][:2], vecs[task], w[task])
    full = [k for k, r in enumerate(tests) if r["kind"] != "partial"]
    both = combined(w["direction"], today["direction"][:2], vecs["direction"])
    columns = (("today", today["direction"][0]), ("vectors", vecs["direction"][0]), ("combined", both))
    out["direction_by_set"] = {}
    for name in sorted({r["set"] for r in tests}):
        idx = np.array([i for i, k in enumerate(full) if tests[k]["set"] == name])
        if len(idx):
            y = today["direction"][1][idx]
            out["direction_by_set"][name] = {
                src: round(float(((p[idx] >= 0.5) == (y == 1)).mean()), 4) for src, p in columns}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=Path, required=True, help="build.py's pairs (with Measures.vectors)")
    ap.add_argument("--test", type=Path, help="pairs never trained on (manuals.py's)")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON line last")
    args = ap.parse_args()
    records = list(read_pairs(args.pairs, fold=None))
    preds: dict = {}
    for held in loyo.YEARS:
        other = next(y for y in loyo.YEARS if y != held)
        train_recs = [dict(r, fold="train") for r in records if r["set"].startswith(other)]
        pm = ProvenanceModel(recipe.train(train_recs, {other}))
        models = train_vectors(train_recs)
        test = covered([r for r in records if r["set"].startswith(held)], pm, models)
        today = loyo.predictions(test, pm)
        preds[held] = {"today": {t: today[t][:2] for t in TASKS}, "vectors": vector_predictions(test, models)}
    figures: dict = {}
    for fit_year, held in (loyo.YEARS, loyo.YEARS[::-1]):
        figures[f"held_out_{held}"] = {
            task: three_ways(preds[held]["today"][task], preds[held]["vectors"][task],
                             weights([preds[fit_year]["today"][task]], [preds[fit_year]["vectors"][task]]))
            for task in TASKS}
        print(f"{held}: {json.dumps(figures[f'held_out_{held}'])}", file=sys.stderr, flush=True)
    pooled = {task: weights([preds[y]["today"][task] for y in loyo.YEARS], [preds[y]["vectors"][task]
                                                                            for y in loyo.YEARS])
              for task in TASKS}
    figures["weights"] = pooled
    if args.test:
        models, pm = as_train_py_would(records)
        figures["test"] = judge_test(list(read_pairs(args.test, fold=None)), models, pm, pooled)
    print(json.dumps(figures) if args.json else json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
