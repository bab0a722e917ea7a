"""Would Text+Berg's dev document, added to the training beads, calibrate the model on literary text?
(An experiment; the shipped model is trained on WMT21 alone.)

    python training/beads/textberg.py --data ../shared/data/sentalign/textberg --split dev \
        --out beads/textberg-dev.de-fr.jsonl
    python training/beads/textberg_dev.py --beads beads/ --dev beads/textberg-dev.de-fr.jsonl

For each weight of the dev beads (0: left out) and two regularisations, the out-of-fold figures of 5-fold
cross-validation grouped by document (the dev document cut into five consecutive blocks, each a group): log
loss and ECE on WMT21 and on the dev beads, the dev beads' precision/recall at the default threshold, and
WMT21's clean partial twins' (the goal's case). Text+Berg's test documents are not read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GroupKFold

from twinpages.eval.bitext_filter import calibration, curve, labelled_beads, read_records
from twinpages.stages.beadfilter import DEFAULT_MIN_PROBABILITY, BeadFilter, FilterConfig


def fit_predict(x, y, weight, c, x_test):
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=c, max_iter=3000).fit((x - mean) / scale, y, sample_weight=weight)
    return lr.predict_proba((x_test - mean) / scale)[:, 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--beads", type=Path, required=True, help="build.py's folder (its wmt21.* files are read)")
    ap.add_argument("--dev", type=Path, required=True, help="textberg.py's output for --split dev")
    args = ap.parse_args()
    bead_filter = BeadFilter(FilterConfig(enabled=False))
    wmt = labelled_beads(read_records(sorted(args.beads.glob("wmt21.*.jsonl"))), bead_filter)
    dev = labelled_beads(read_records([args.dev]), bead_filter)
    n_dev = len(dev["label"])
    x = np.vstack([np.asarray(wmt["x"]), np.asarray(dev["x"])])
    y = np.concatenate([wmt["label"], dev["label"]]).astype(int)
    groups = np.concatenate([wmt["group"], [f"textberg-dev/{k * 5 // n_dev}" for k in range(n_dev)]])
    is_dev = np.arange(len(y)) >= len(wmt["label"])
    clean = np.concatenate([np.asarray(wmt["variant"]) == "clean", np.zeros(n_dev, bool)])
    folds = list(GroupKFold(n_splits=5).split(x, y, groups))
    for weight in (0, 1, 10, 30, 100):
        for c in (0.1, 1.0):
            oof = np.zeros(len(y))
            for train, test in folds:
                train = train if weight else train[~is_dev[train]]
                oof[test] = fit_predict(x[train], y[train], np.where(is_dev[train], weight, 1.0), c, x[test])
            print(json.dumps({
                "dev_weight": weight, "C": c,
                "wmt21": {"log_loss": round(log_loss(y[~is_dev], oof[~is_dev]), 4),
                          "ece": calibration(oof[~is_dev], y[~is_dev])[0]},
                "dev": {"log_loss": round(log_loss(y[is_dev], oof[is_dev]), 4),
                        "ece": calibration(oof[is_dev], y[is_dev])[0],
                        **curve(oof[is_dev], y[is_dev], [DEFAULT_MIN_PROBABILITY])[0]},
                "wmt21_clean_partial": curve(oof[clean], y[clean], [DEFAULT_MIN_PROBABILITY])[0]}))


if __name__ == "__main__":
    main()
