"""Bead-labelled twins for the bitext filter (stages/beadfilter.py): WMT document pairs aligned by twinpages,
each aligned bead labelled right or wrong from the test set's own line alignment.

    python training/beads/build.py --wmt21 PATH --wmt23 PATH --out beads/   # then train.py

The WMT test sets are line-aligned (line i of a reference or a system output translates line i of the
source). Each example is a pair as `mine` would meet it on the web: the whole original against a contiguous
block of 40-70 % of a translation (a partial twin, the seed's case: ``part``) or against the whole
translation (a site's language versions: ``full``), in two forms each:
- clean: as translated;
- noisy: with the errors web bitext is made of put into some of its lines — a line left in the
  original's language (``copy``, an untranslated segment), a line cut to its first half (``cut``, a
  near-miss: the rest of it untranslated), a line of another document (``other``, a wrong neighbour), a line
  dropped (so the aligner may pair its original with a neighbour).
The aligner (Decider.decide, the code `mine` runs) aligns each pair; every aligned bead is labelled:
- 1 when its sides hold the same lines, every target line a real translation (kind ``ok``), and the bead
  takes every sentence of those lines — or, where a line splits into as many sentences on both sides, the
  one at the same place;
- 0 when the lines differ or any target line is not a translation of its original;
- null (left out of training and scoring) when the lines agree but split into different numbers of
  sentences and the bead takes part of them: the gold cannot say.
Years: WMT21 (train) and WMT23 (test); WMT22 and WMT24 are kept aside and never read (wmt.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "provenance"))
import wmt  # noqa: E402

from twinpages.config import PipelineConfig  # noqa: E402
from twinpages.data import Document, Line  # noqa: E402
from twinpages.phases.base import Models  # noqa: E402
from twinpages.schemas import pair_to_dict  # noqa: E402
from twinpages.stages.docalign import DocAlignConfig  # noqa: E402
from twinpages.stages.embed import EmbedConfig  # noqa: E402
from twinpages.stages.segment import segment_document  # noqa: E402

MAX_LINES = 40  # documents are cut here: alignment cost, not content
NOISE = {"copy": 0.07, "cut": 0.07, "other": 0.05, "drop": 0.07}  # each line's chance of each error


def make_doc(doc_id: str, lang: str, lines: list[str]) -> Document:
    doc = Document(doc_id, "\n".join(lines), lang=lang, lines=[Line(i + 1, t, True) for i, t in enumerate(lines)],
                   main_text="\n".join(lines))
    return segment_document(doc)


def noisy_block(rng: random.Random, orig: list[str], trans: list[str], other: list[str], rows: list[int]):
    """The target lines and, for each, (original line index, kind)."""
    lines, gold = [], []
    for i in rows:
        r = rng.random()
        edges = list(NOISE.items())
        acc = 0.0
        kind = "ok"
        for name, p in edges:
            acc += p
            if r < acc:
                kind = name
                break
        if kind == "drop":
            continue
        if kind == "copy":
            text = orig[i]
        elif kind == "cut":
            words = trans[i].split()
            if len(words) < 6:
                kind, text = "ok", trans[i]
            else:
                text = " ".join(words[:max(2, len(words) // 2)])
        elif kind == "other":
            text = rng.choice(other) if other else trans[i]
            kind = "other" if other else "ok"
        else:
            text = trans[i]
        lines.append(text)
        gold.append((i, kind))
    return lines, gold


def label(bead_src: tuple, bead_tgt: tuple, src_line: list[int], tgt_gold: list[tuple[int, str]],
          src_count: dict[int, int], tgt_count: dict[int, int], src_pos: list[int], tgt_pos: list[int]):
    if any(tgt_gold[j][1] != "ok" for j in bead_tgt):
        return 0
    s_lines = {src_line[i] for i in bead_src}
    t_lines = {tgt_gold[j][0] for j in bead_tgt}
    if s_lines != t_lines:
        return 0
    whole = all(sum(1 for i in bead_src if src_line[i] == L) == src_count[L] for L in s_lines) and \
        all(sum(1 for j in bead_tgt if tgt_gold[j][0] == L) == tgt_count[L] for L in t_lines)
    if whole:
        return 1
    if len(bead_src) == 1 and len(bead_tgt) == 1:
        L = src_line[bead_src[0]]
        if src_count[L] == tgt_count[L]:
            return int(src_pos[bead_src[0]] == tgt_pos[bead_tgt[0]])
    return None


def sentence_lines(doc: Document, line_of: list) -> tuple[list, dict, list]:
    """Per sentence: its line's gold (``line_of[raw line - 1]``), sentences per gold line, place in its line."""
    gold = [line_of[s.line - 1] for s in doc.sentences]
    key = [g[0] if isinstance(g, tuple) else g for g in gold]
    count: dict[int, int] = {}
    pos = []
    for k in key:
        pos.append(count.get(k, 0))
        count[k] = count.get(k, 0) + 1
    return gold, count, pos


def build(ts: wmt.TestSet, pipe: Models, out: Path, max_docs: int | None) -> int:
    rng = random.Random(ts.name)
    refs = [t for t in ts.translations if t.translator == "human"][:1]
    systems = sorted((t for t in ts.translations if t.translator == "machine"),
                     key=lambda t: hashlib.sha1(t.name.encode()).hexdigest())[:1]
    docs = ts.docs if max_docs is None else ts.docs[:max_docs]
    written, start = 0, time.time()
    with out.open("w", encoding="utf-8") as f:
        for k, (doc_id, rows) in enumerate(docs):
            rows = [i for i in rows[:MAX_LINES] if ts.source[i].strip()]
            if len(rows) < 6:
                continue
            orig_lines = [ts.source[i].strip() for i in rows]
            orig = make_doc(f"{doc_id}:orig", ts.src_lang, orig_lines)
            other_rows = ts.docs[(k + 7) % len(ts.docs)][1]
            todo = []
            for t in refs + systems:
                trans = [t.lines[i].strip() for i in rows]
                if not all(trans):
                    continue
                other = [t.lines[i].strip() for i in other_rows if t.lines[i].strip()]
                size = max(3, round(len(rows) * rng.uniform(0.4, 0.7)))
                at = rng.randrange(0, len(rows) - size + 1)
                for variant in ("clean", "noisy", "full-clean", "full-noisy"):
                    block = list(range(len(rows))) if variant.startswith("full") else list(range(at, at + size))
                    if variant.endswith("clean"):
                        lines, gold = [trans[i] for i in block], [(i, "ok") for i in block]
                    else:
                        lines, gold = noisy_block(rng, orig_lines, trans, other, block)
                    if len(lines) < 2:
                        continue
                    todo.append((t, variant, gold, make_doc(f"{doc_id}:{t.name}:{variant}", ts.tgt_lang, lines)))
            pipe.embedder.embed_batch([orig] + [d for *_, d in todo if d.sentences], "usem3")
            src_gold, src_count, src_pos = sentence_lines(orig, list(range(len(rows))))
            for t, variant, gold, tr in todo:
                if not tr.sentences or not orig.sentences:
                    continue
                pair = pipe.decider.decide(orig, tr, candidate_score=0.0)
                if pair is None:
                    continue
                tgt_gold, tgt_count, tgt_pos = sentence_lines(tr, gold)
                turned = pair.src_id != orig.id
                labels = []
                for b in pair.beads:
                    if not (b.src_idx and b.tgt_idx):
                        labels.append(None)
                        continue
                    s, g = (b.tgt_idx, b.src_idx) if turned else (b.src_idx, b.tgt_idx)
                    labels.append(label(s, g, src_gold, tgt_gold, src_count, tgt_count, src_pos, tgt_pos))
                kinds = [[tgt_gold[j][1] for j in (b.src_idx if turned else b.tgt_idx)] for b in pair.beads]
                f.write(json.dumps({"set": ts.name, "doc": doc_id, "system": t.name, "translator": t.translator,
                                    "variant": variant, "labels": labels, "kinds": kinds,
                                    "pair": pair_to_dict(pair)}, ensure_ascii=False) + "\n")
                written += 1
            if k % 10 == 0:
                print(f"{ts.name}: document {k + 1}/{len(docs)}, {written} pairs, {time.time() - start:.0f} s",
                      file=sys.stderr, flush=True)
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    wmt.add_arguments(ap)
    ap.add_argument("--max-docs", type=int, help="documents per test set (default: all)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # the pairs as `mine` aligns them; no provenance verdicts (the filter does not read them)
    pipe = Models.of(PipelineConfig(embed=EmbedConfig(cache=args.cache), docalign=DocAlignConfig(provenance=False)))
    wmt.build_each(wmt.load(args.wmt21, args.wmt23), args.out, args.only,
                   lambda ts, tmp: build(ts, pipe, tmp, args.max_docs))


if __name__ == "__main__":
    main()
