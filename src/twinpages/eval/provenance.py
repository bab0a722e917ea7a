"""Direction and translator verdicts (stages/provenance.py) against pairs of known provenance.

The pairs are what training/provenance/build.py writes: WMT test-set documents aligned with their human
references and system outputs, each with its original language, translator and family (human, nmt, llm),
kind (full or partial) and fold (train or dev). Reported per test set (language pair and direction) and
kind: accuracy when forced to choose (probability 0.5), the share decided above the model's threshold and
the accuracy of those, calibration (expected calibration error over ten bins, with the table), and how often
the decided directions were right per word the report gives them ("very likely", ...).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ..report import how_sure
from ..stages.provenance import Measures, ProvenanceModel, is_partial
from .calibration import binned


def read_pairs(folder: Path, fold: str | None = "dev") -> Iterator[dict]:
    """The records of every ``*.jsonl`` in ``folder``, of one fold (None: all)."""
    for path in sorted(Path(folder).glob("*.jsonl")):
        with path.open(encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                if fold is None or rec["fold"] == fold:
                    yield rec


def reliability(p_true: Iterable[float], correct: Iterable[bool], bins: int = 10) -> tuple[float, list[dict]]:
    """Expected calibration error of the probability a verdict gave its answer (0.5-1), and the table."""
    p = np.asarray(list(p_true), dtype=float)
    c = np.asarray(list(correct), dtype=float)
    if not len(p):
        return 0.0, []
    ece, rows = binned(p, c, np.linspace(0.5, 1.0, bins // 2 + 1))
    return ece, [{"bin": f"{lo:.2f}-{hi:.2f}", "pairs": n, "confidence": round(conf, 3), "accuracy": round(acc, 3)}
                 for lo, hi, n, conf, acc in rows]


def _summary(rows: list[tuple[bool, bool]]) -> dict:
    """rows: (forced answer right, decided above the threshold and right or None when undecided)."""
    n = len(rows)
    decided = [r for _, r in rows if r is not None]
    return {"pairs": n, "accuracy": round(sum(f for f, _ in rows) / n, 4) if n else None,
            "decided": round(len(decided) / n, 4) if n else None,
            "decided_accuracy": round(sum(decided) / len(decided), 4) if decided else None}


def evaluate_records(records: Iterable[dict], model: ProvenanceModel) -> dict:
    """Metrics of ``model`` on built pair records (a = the original, as build.py stores them). Each pair is
    judged with the translation's side first as often as the original's (alternately), so a model that
    always names the first side fails."""
    direction: dict[str, list] = defaultdict(list)
    words: dict[str, list] = defaultdict(list)  # the report's word for a decided direction -> right or not
    translator: dict[str, list] = defaultdict(list)
    d_probs, d_right, t_probs, t_right = [], [], [], []
    bead_right, bead_n = 0, 0
    skipped = 0
    for k, rec in enumerate(records):
        m = Measures.from_dict(rec["measures"])
        flip = k % 2 == 1
        v = model.judge(m.swapped() if flip else m)
        if v is None:
            skipped += 1
            continue
        truth = "b" if flip else "a"
        forced = v.likelier
        key = f"{rec['original']}->{rec['translation']} {rec['kind']}"
        direction[key].append((forced == truth, None if v.original is None else v.original == truth))
        if v.original is not None:
            partial = is_partial(m.cov_a, m.cov_b)
            words[f"{'partial' if partial else 'full'}: {how_sure(v.direction_probability, partial)}"].append(
                v.original == truth)
        d_probs.append(v.direction_probability)
        d_right.append(forced == truth)
        is_machine = rec["translator"] == "machine"
        forced_machine = v.likelier_translator == "machine"
        t_key = f"{rec['original']}->{rec['translation']} {rec['family']}"
        translator[t_key].append((forced_machine == is_machine,
                                  None if v.translator == "unknown" else (v.translator == "machine") == is_machine))
        translator[f"all {rec['family']}"].append(translator[t_key][-1])
        t_probs.append(v.translator_probability)
        t_right.append(forced_machine == is_machine)
        if v.bead_machine:
            bead_right += sum((p >= 0.5) == is_machine for p in v.bead_machine)
            bead_n += len(v.bead_machine)
    ece_d, table_d = reliability(d_probs, d_right)
    ece_t, table_t = reliability(t_probs, t_right)
    return {"direction": {k: _summary(v) for k, v in sorted(direction.items())},
            "direction_all": {kind: _summary([r for k, v in direction.items() if k.endswith(kind) for r in v])
                              for kind in ("full", "partial")},
            "direction_ece": round(ece_d, 4), "direction_reliability": table_d,
            "direction_words": {w: {"pairs": len(r), "right": round(sum(r) / len(r), 4)}
                                for w, r in sorted(words.items())},
            "translator": {k: _summary(v) for k, v in sorted(translator.items())},
            "translator_ece": round(ece_t, 4), "translator_reliability": table_t,
            "bead_translator_accuracy": round(bead_right / bead_n, 4) if bead_n else None,
            "pairs_without_model": skipped}


def evaluate(folder: str | Path, model_path: str | None = None, fold: str = "dev",
             sets: list[str] | None = None) -> dict:
    model = ProvenanceModel.load(model_path)
    records = (r for r in read_pairs(folder, fold) if not sets or r["set"] in sets)
    return evaluate_records(records, model) | {"fold": fold, "model": model.info.get("trained", "")}
