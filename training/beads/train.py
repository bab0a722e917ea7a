"""Train the bead model of the bitext filter (stages/beadfilter.py) on WMT21 beads; report on WMT23.

    python training/beads/train.py --beads beads/ --out src/twinpages/resources/beadfilter.json \
        --metrics training/beads/metrics.json

A logistic regression over the standardised FEATURES; its regularisation chosen by 5-fold cross-validation
grouped by document (a document's pairs, clean and noisy, with every translator, stay in one fold), by log
loss. The default threshold (stages/beadfilter.py's ``DEFAULT_MIN_PROBABILITY``, set by hand from
metrics.json's "default_threshold") is the lowest at which the out-of-fold precision on WMT21's clean
partial twins reaches 0.995; the figures for every threshold are in metrics.json ("oof_curve_by_variant").
WMT23 is never used to fit anything: its figures are the held-out check (`twinpages eval bitext` repeats
them from the package).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GroupKFold

from twinpages.eval.bitext_filter import calibration, curve, labelled_beads, read_records
from twinpages.stages.beadfilter import FEATURES, BeadFilter, FilterConfig

CS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
TARGET_PRECISION = 0.995


def fit(x: np.ndarray, y: np.ndarray, c: float):
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=c, max_iter=2000).fit((x - mean) / scale, y)
    return mean, scale, lr


def predict(model, x: np.ndarray) -> np.ndarray:
    mean, scale, lr = model
    return lr.predict_proba((x - mean) / scale)[:, 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--beads", type=Path, required=True, help="build.py's folder")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    args = ap.parse_args()
    train_files = sorted(args.beads.glob("wmt21.*.jsonl"))
    if not train_files:
        sys.exit(f"no WMT21 beads in {args.beads}: run build.py first")
    beads = labelled_beads(read_records(train_files), BeadFilter(FilterConfig(enabled=False)))
    x, y = np.asarray(beads["x"], np.float64), np.asarray(beads["label"])
    groups = np.asarray(beads["group"])
    folds = list(GroupKFold(n_splits=5).split(x, y, groups))
    losses = {}
    for c in CS:
        oof = np.zeros(len(y))
        for tr, te in folds:
            oof[te] = predict(fit(x[tr], y[tr], c), x[te])
        losses[c] = log_loss(y, oof)
        print(f"C={c}: out-of-fold log loss {losses[c]:.4f}", file=sys.stderr)
    best = min(losses, key=losses.get)
    oof = np.zeros(len(y))
    for tr, te in folds:
        oof[te] = predict(fit(x[tr], y[tr], best), x[te])
    mean, scale, lr = fit(x, y, best)
    ece, table = calibration(oof, y)
    thresholds = [round(t, 2) for t in np.arange(0.3, 0.951, 0.05)]
    variant = np.asarray(beads["variant"])
    by_variant = {v: curve(oof[variant == v], y[variant == v], thresholds) for v in sorted(set(variant))}
    # the default threshold: the lowest at which the out-of-fold precision on clean partial twins (the case
    # the goal names) reaches TARGET_PRECISION
    default = next((row["threshold"] for row in by_variant["clean"] if row["precision"] >= TARGET_PRECISION),
                   thresholds[-1])
    metrics = {"trained_on": [p.name for p in train_files], "beads": int(len(y)), "true_beads": int(y.sum()),
               "C": best, "oof_log_loss": {str(c): round(v, 5) for c, v in losses.items()},
               "default_threshold": default, "oof_curve_by_variant": by_variant,
               "oof_ece": ece, "oof_reliability": table, "oof_curve": curve(oof, y, thresholds),
               "coefficients": {n: round(float(w), 4) for n, w in zip(FEATURES, lr.coef_[0], strict=True)}}
    model = {"features": list(FEATURES), "mean": mean.tolist(), "scale": scale.tolist(),
             "coef": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0]), "C": best,
             "trained_on": metrics["trained_on"], "beads": metrics["beads"]}
    args.out.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    args.metrics.write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: metrics[k] for k in ("beads", "true_beads", "C", "oof_ece", "default_threshold")}))


if __name__ == "__main__":
    main()
