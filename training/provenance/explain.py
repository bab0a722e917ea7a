"""What pulls the shipped direction model one way or the other on a set of pairs: the mean contribution of
each feature group to the logit "the first language's side is the original" (full translations only).

    python training/provenance/explain.py manual-pairs/debian.en-ja.jsonl pairs/wmt23.en-ja.jsonl

Groups: each side's vocabulary profile (``a:vocab``, ``b:vocab``; a and b in alphabetical order of the
languages), each side's style rates and every shape feature on its own. Printed for each file, sorted by
how much the first file differs from the second.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from twinpages.stages.provenance import (
    PARTIAL_GAP,
    STYLE,
    Measures,
    ProvenanceModel,
    coverage_gap,
    feature_names,
    features,
)


def contributions(path: Path, model: ProvenanceModel) -> dict[str, float]:
    sums: dict[str, list[float]] = defaultdict(list)
    for line in path.open(encoding="utf-8"):
        m = Measures.from_dict(json.loads(line)["measures"])
        key = tuple(sorted((m.lang_a, m.lang_b)))
        pair = model.pairs[key]
        m = m if m.lang_a == key[0] else m.swapped()
        if coverage_gap(m) >= PARTIAL_GAP:
            continue
        d = pair.direction
        z = (features(m, pair.vocab[key[0]], pair.vocab[key[1]]) - d.mean) / d.scale * d.coef
        groups: dict[str, float] = defaultdict(float)
        for name, v in zip(feature_names(pair.vocab[key[0]], pair.vocab[key[1]]), z, strict=True):
            side, _, rest = name.partition(":")
            groups[f"{side}:vocab" if rest and rest not in STYLE else name] += float(v)
        for g, v in groups.items():
            sums[g].append(v)
    return {g: float(np.mean(v)) for g, v in sums.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pairs", type=Path, help="a JSONL file of build.py's or manuals.py's pairs")
    ap.add_argument("against", type=Path, help="another such file, for comparison")
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args()
    model = ProvenanceModel.load()
    a, b = contributions(args.pairs, model), contributions(args.against, model)
    print(f"{'group':28s} {args.pairs.stem:>18s} {args.against.stem:>18s}")
    for g in sorted(a, key=lambda g: a[g] - b.get(g, 0.0))[:args.top]:
        print(f"{g:28s} {a[g]:18.2f} {b.get(g, 0.0):18.2f}")
    print(f"{'logit (without intercept)':28s} {sum(a.values()):18.2f} {sum(b.values()):18.2f}")


if __name__ == "__main__":
    main()
