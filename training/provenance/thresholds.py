"""The levels below which a provenance verdict says `unknown`, fitted out of year (issue 31).

    python training/provenance/thresholds.py --pairs pairs/ --model provenance.json --out provenance.json --json

train.py chooses each threshold on out-of-fold predictions of the year it trains on, and out of year the
verdicts it lets through were right less often than it promised (BENCHMARKS, "Provenance out of year"). Here
the recipe is trained on one WMT year and judges the other (both ways, as loyo.py); per language pair the
threshold is the lowest probability at which the pooled out-of-year verdicts reach the level shown to users
(direction 95 %, partial translations 98 %, translator 90 % in each class) — 1.0, never decide, where none
does. A language pair only one year has (de-fr: WMT21) has no out-of-year verdicts to choose on: 1.0 as well
(no verdict that could not be checked out of year; every pair that could be checked needed a higher level
than train.py chose). The thresholds are written into the model file; its weights are left as train.py
made them.
WMT22 and WMT24 are never read (kept aside).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import loyo  # noqa: E402
import train as recipe  # noqa: E402

from twinpages.eval.provenance import read_pairs  # noqa: E402
from twinpages.stages.provenance import PARTIAL_GAP, Measures, ProvenanceModel, coverage_gap  # noqa: E402


def out_of_year(records: list[dict]) -> dict[tuple, tuple[list, list]]:
    """Per (language pair, task[, translation direction]): the probabilities of the truth's label 1 and the
    labels, each judged by a model trained on the other year (the translation's side first every other pair,
    as eval/provenance judges them)."""
    out: dict[tuple, tuple[list, list]] = defaultdict(lambda: ([], []))
    for held in loyo.YEARS:
        other = next(y for y in loyo.YEARS if y != held)
        pm = ProvenanceModel(recipe.train([dict(r, fold="train") for r in records if r["set"].startswith(other)],
                                          {other}))
        for k, rec in enumerate(r for r in records if r["set"].startswith(held)):
            m = Measures.from_dict(rec["measures"])
            flip = k % 2 == 1
            v = pm.judge(m.swapped() if flip else m)
            if v is None:
                continue
            key = tuple(sorted((m.lang_a, m.lang_b)))
            task = "partial" if coverage_gap(m) >= PARTIAL_GAP else "direction"  # the model the judge used
            out[(key, task)][0].append(v.p_a_original)
            out[(key, task)][1].append(0 if flip else 1)
            name = f"{rec['original']}->{rec['translation']}"
            out[(key, "translator", name)][0].append(v.p_machine)
            out[(key, "translator", name)][1].append(int(rec["translator"] == "machine"))
    return out


def fitted(preds: dict[tuple, tuple[list, list]], model: dict) -> dict:
    """The model with thresholds from ``preds``, and the table of old and new thresholds."""
    table = {}
    for pair in model["pairs"]:
        key = tuple(pair["langs"])
        row = {}
        for task, field, level in (("direction", "direction_threshold", loyo.LEVEL["direction"]),
                                   ("partial", "partial_threshold", loyo.LEVEL["partial"])):
            p, y = (np.array(a) for a in preds.get((key, task), ([], [])))
            after = recipe.threshold(p, y, level) if len(y) else 1.0
            row[task] = {"before": pair[field], "after": after, "pairs": len(y)}
            pair[field] = after
        for name in pair["translator_threshold"]:
            p, y = (np.array(a) for a in preds.get((key, "translator", name), ([], [])))
            before = pair["translator_threshold"][name]
            after = recipe.threshold(p, y, loyo.LEVEL["translator"], balanced=True) if len(y) else 1.0
            row[name] = {"before": before, "after": after, "pairs": len(y)}
            pair["translator_threshold"][name] = after
        table["-".join(key)] = row
    model["info"]["thresholds"] = ("out of year: training/provenance/thresholds.py (trained on one WMT year, "
                                   "chosen on the other's verdicts)")
    return table


LEVELS = (0.5, 0.75, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999)


def bands(preds: dict[tuple, tuple[list, list]]) -> dict:
    """Per task: of the out-of-year verdicts whose likelier answer has a probability at or above each level,
    how many and the share right (what the report's words for a probability may claim)."""
    out: dict = {}
    for task in ("direction", "partial", "translator"):
        p = np.concatenate([np.array(v[0]) for k, v in preds.items() if k[1] == task])
        y = np.concatenate([np.array(v[1]) for k, v in preds.items() if k[1] == task])
        sure, right = np.maximum(p, 1 - p), (p >= 0.5) == (y == 1)
        out[task] = {}
        for level in LEVELS:
            sel = sure >= level
            out[task][f">={level}"] = {"pairs": int(sel.sum()),
                                       "right": round(float(right[sel].mean()), 4) if sel.any() else None}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=Path, required=True)
    ap.add_argument("--model", type=Path, required=True, help="the model file train.py wrote")
    ap.add_argument("--out", type=Path, required=True, help="where to write it with the new thresholds")
    ap.add_argument("--json", action="store_true", help="print the table as one JSON line last")
    args = ap.parse_args()
    model = json.loads(args.model.read_text(encoding="utf-8"))
    preds = out_of_year(list(read_pairs(args.pairs, fold=None)))
    table = {"thresholds": fitted(preds, model), "words": bands(preds)}
    args.out.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(json.dumps(table) if args.json else json.dumps(table, indent=1))


if __name__ == "__main__":
    main()
