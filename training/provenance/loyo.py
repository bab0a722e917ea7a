"""Leave-one-year-out: the provenance recipe (train.py) trained on one WMT year's pairs, every fold of it,
and scored on the other year's (issue 31's honest validation, with the two years this repository may read).

    python training/provenance/loyo.py --pairs pairs/ [--variants today,no_text,length] --json

Variants: ``today`` (train.py as it ships: features, the TF-IDF text model, the translator, thresholds from
out-of-fold predictions of the training year), ``no_text`` (the same without the text model: no word of the
translation's surface), ``length`` (the length-ratio baseline). For each held-out year: direction (forced
from the probability, decided, share decided, per kind), machine against human balanced (forced, decided,
share decided; per system family), the ECE of each probability and the share right of the verdicts shown
as ≥ 0.95 sure. WMT22 and WMT24 are never read (kept aside).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import train as recipe  # noqa: E402

from twinpages.eval.provenance import evaluate_records, read_pairs  # noqa: E402
from twinpages.stages.provenance import Measures, ProvenanceModel  # noqa: E402

YEARS = ("wmt21", "wmt23")
LEVEL = {"direction": 0.95, "partial": 0.98, "translator": 0.90}  # the verdicts made must be right this often


def predictions(records: list[dict], model: ProvenanceModel) -> dict[str, tuple[np.ndarray, ...]]:
    """Per task (direction of full and of partial translations, translator): the model's probability of
    the truth ("the original is side a", "a machine translated it"), the label, and whether the model's own
    threshold made a verdict, for every pair the model covers — the translation's side first every other
    pair, as eval/provenance.evaluate_records judges them."""
    out: dict[str, tuple[list, ...]] = {t: ([], [], []) for t in ("direction", "partial", "translator")}
    for k, rec in enumerate(records):
        m = Measures.from_dict(rec["measures"])
        flip = k % 2 == 1
        v = model.judge(m.swapped() if flip else m)
        if v is None:
            continue
        task = "partial" if rec["kind"] == "partial" else "direction"
        out[task][0].append(v.p_a_original)
        out[task][1].append(0 if flip else 1)
        out[task][2].append(v.original is not None)
        out["translator"][0].append(v.p_machine)
        out["translator"][1].append(int(rec["translator"] == "machine"))
        out["translator"][2].append(v.translator != "unknown")
    return {t: tuple(np.array(c) for c in cols) for t, cols in out.items()}


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def platt(z: np.ndarray, y: np.ndarray, balanced: bool) -> tuple[float, float]:
    """(a, b) of p = sigmoid(a z + b) by weighted log loss: a temperature and a bias learnt on predictions
    of a model that never saw these pairs' year."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e6, class_weight="balanced" if balanced else None).fit(z[:, None], y)
    return float(lr.coef_[0][0]), float(lr.intercept_[0])


def verdicts(p: np.ndarray, y: np.ndarray, sel: np.ndarray, balanced: bool) -> dict:
    """Forced and decided accuracy (balanced over the classes for the translator), share decided, ECE and
    the share right of the verdicts ≥ 0.95 sure, for probabilities ``p`` of the label 1 (``sel``: the
    pairs given a verdict)."""
    from twinpages.eval.calibration import binned

    sure = np.maximum(p, 1 - p)
    right = (p >= 0.5) == (y == 1)

    def acc(mask):
        if not mask.any():
            return None
        if not balanced:
            return round(float(right[mask].mean()), 4)
        per = [right[mask & (y == c)].mean() for c in (0, 1) if (mask & (y == c)).any()]
        return round(float(np.mean(per)), 4)

    ece, _ = binned(sure, right.astype(float), np.linspace(0.5, 1.0, 6))
    very = sure >= 0.95
    return {"pairs": len(y), "forced": acc(np.ones(len(y), bool)), "decided": round(float(sel.mean()), 4),
            "decided_accuracy": acc(sel), "ece": round(ece, 4), "sure_0.95": int(very.sum()),
            "sure_0.95_right": round(float(right[very].mean()), 4) if very.any() else None}


def cross_fitted(preds: dict[str, dict]) -> dict:
    """Calibration and thresholds learnt on one held-out year's predictions, judged on the other's: each
    year's predictions come from a model trained on the other year only, so neither side of the check saw
    the pairs it is scored on (two folds: the only years this repository may read)."""
    out: dict = {}
    for fit_year, test_year in (YEARS, YEARS[::-1]):
        for task in ("direction", "partial", "translator"):
            balanced = task == "translator"
            p_fit, y_fit, _ = preds[fit_year][task]
            raw, y, made = preds[test_year][task]
            z_fit, z = _logit(p_fit), _logit(raw)
            a, b = platt(z_fit, y_fit, balanced) if task == "translator" else (platt(z_fit, y_fit, False)[0], 0.0)
            cal_fit = 1 / (1 + np.exp(-(a * z_fit + b)))
            cal = 1 / (1 + np.exp(-(a * z + b)))
            t = recipe.threshold(cal_fit, y_fit, LEVEL[task], balanced=balanced)
            out.setdefault(f"held_out_{test_year}", {})[task] = {
                "today": verdicts(raw, y, made, balanced),
                "calibrated": verdicts(cal, y, np.maximum(cal, 1 - cal) >= t, balanced)
                | {"scale": round(a, 3), "bias": round(b, 3), "threshold": t}}
    return out


def sure_right(preds: dict[str, tuple[np.ndarray, ...]], level: float = 0.95) -> dict:
    """Of the direction (full and partial) and translator verdicts whose probability is ≥ ``level`` sure,
    the share right."""
    out = {}
    for name, tasks in (("direction", ("direction", "partial")), ("translator", ("translator",))):
        p = np.concatenate([preds[t][0] for t in tasks])
        y = np.concatenate([preds[t][1] for t in tasks])
        sure = np.maximum(p, 1 - p) >= level
        right = (p >= 0.5) == (y == 1)
        out[f"{name}_sure"] = int(sure.sum())
        out[f"{name}_sure_right"] = round(float(right[sure].mean()), 4) if sure.any() else None
    return out


def summary(fig: dict) -> dict:
    """The issue's table row: direction and machine-vs-human, forced and decided, share decided, ECE."""
    out = {f"direction_{kind}": fig["direction_all"][kind] for kind in ("full", "partial")}
    fam = fig["translator"]
    human = fam.get("all human")
    machine = [fam[k] for k in fam if k.startswith("all ") and k != "all human"]
    if human and machine:
        n_m = sum(m["pairs"] for m in machine)
        acc_m = sum(m["accuracy"] * m["pairs"] for m in machine) / n_m
        dec_m = [m for m in machine if m["decided_accuracy"] is not None]
        out["translator_balanced_forced"] = round((human["accuracy"] + acc_m) / 2, 4)
        if human["decided_accuracy"] is not None and dec_m:
            n_d = sum(m["decided"] * m["pairs"] for m in dec_m)
            acc_d = sum(m["decided_accuracy"] * m["decided"] * m["pairs"] for m in dec_m) / max(n_d, 1e-9)
            out["translator_balanced_decided"] = round((human["decided_accuracy"] + acc_d) / 2, 4)
        out["translator_decided_share"] = round(
            (human["decided"] * human["pairs"] + sum(m["decided"] * m["pairs"] for m in machine))
            / (human["pairs"] + n_m), 4)
    out["families"] = {k.removeprefix("all "): v for k, v in fam.items() if k.startswith("all ")}
    out["direction_ece"], out["translator_ece"] = fig["direction_ece"], fig["translator_ece"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=Path, required=True)
    ap.add_argument("--variants", default="today,no_text,length")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON line last")
    args = ap.parse_args()
    records = list(read_pairs(args.pairs, fold=None))
    figures: dict = {}
    preds: dict[str, dict] = {}
    for held in YEARS:
        other = next(y for y in YEARS if y != held)
        train_recs = [dict(r, fold="train") for r in records if r["set"].startswith(other)]
        test = [r for r in records if r["set"].startswith(held)]
        for variant in args.variants.split(","):
            model = recipe.train(train_recs, {other}, length_only=variant == "length",
                                 text_model=variant != "no_text")
            pm = ProvenanceModel(model)
            fig = evaluate_records(test, pm)
            pred = predictions(test, pm)
            if variant == "today":
                preds[held] = pred
            figures.setdefault(f"held_out_{held}", {})[variant] = (
                summary(fig) | sure_right(pred) | {"by_pair": fig["direction"], "pairs": len(test)})
            print(f"{held} {variant}: {json.dumps(figures[f'held_out_{held}'][variant])[:400]}", file=sys.stderr,
                  flush=True)
    if len(preds) == len(YEARS):
        figures["cross_fitted_calibration"] = cross_fitted(preds)
    print(json.dumps(figures) if args.json else json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
