"""Sentence-alignment precision, recall and F1 with Vecalign's definitions (after Sennrich & Volk 2011).

strict: a bead counts only when it equals a gold bead; lax: when it overlaps a gold bead on both sides.
Precision is over all predicted beads, insertions and deletions included; recall ignores gold beads
with an empty side. Counts are summed over documents before dividing.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from pathlib import Path

Bead = tuple[tuple[int, ...], tuple[int, ...]]


def parse_beads(text: str) -> list[Bead]:
    """Read the gold format: one bead per line, ``[0]:[0, 1]``, 0-based, ``[]`` for no sentence."""
    beads = []
    for line in text.splitlines():
        if line.strip():
            src, tgt = line.split(":")
            beads.append((tuple(ast.literal_eval(src)), tuple(ast.literal_eval(tgt))))
    return beads


def _overlaps(a: Bead, b: Bead) -> bool:
    return bool(set(a[0]) & set(b[0])) and bool(set(a[1]) & set(b[1]))


@dataclass
class Counts:
    tp_strict_p: int = 0
    fp_strict: int = 0
    tp_lax_p: int = 0
    fp_lax: int = 0
    tp_strict_r: int = 0
    fn_strict: int = 0
    tp_lax_r: int = 0
    fn_lax: int = 0

    def add(self, gold: list[Bead], test: list[Bead]) -> None:
        gold_set = set(gold)
        for bead in test:
            if bead == ((), ()):
                continue
            if bead in gold_set:
                self.tp_strict_p += 1
                self.tp_lax_p += 1
            elif any(_overlaps(bead, g) for g in gold):
                self.fp_strict += 1
                self.tp_lax_p += 1
            else:
                self.fp_strict += 1
                self.fp_lax += 1
        test_set = set(test)
        for bead in gold:
            if not (bead[0] and bead[1]):
                continue
            if bead in test_set:
                self.tp_strict_r += 1
                self.tp_lax_r += 1
            elif any(_overlaps(bead, t) for t in test):
                self.fn_strict += 1
                self.tp_lax_r += 1
            else:
                self.fn_strict += 1
                self.fn_lax += 1

    def scores(self) -> dict[str, float]:
        def div(a, b):
            return a / b if b else 0.0

        def f1(p, r):
            return div(2 * p * r, p + r)

        ps = div(self.tp_strict_p, self.tp_strict_p + self.fp_strict)
        rs = div(self.tp_strict_r, self.tp_strict_r + self.fn_strict)
        pl = div(self.tp_lax_p, self.tp_lax_p + self.fp_lax)
        rl = div(self.tp_lax_r, self.tp_lax_r + self.fn_lax)
        return {"precision_strict": ps, "recall_strict": rs, "f1_strict": f1(ps, rs),
                "precision_lax": pl, "recall_lax": rl, "f1_lax": f1(pl, rl)}


def score(gold_docs: list[list[Bead]], test_docs: list[list[Bead]]) -> dict[str, float]:
    counts = Counts()
    for gold, test in zip(gold_docs, test_docs, strict=True):
        counts.add(gold, test)
    return counts.scores()


@dataclass
class AlignmentDoc:
    name: str
    src: list[str]
    tgt: list[str]
    gold: list[Bead]


def _lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    # ParIce style "index<TAB>sentence"
    if lines and all("\t" in x and x.split("\t", 1)[0].isdigit() for x in lines if x):
        return [x.split("\t", 1)[1] for x in lines]
    return lines


def load_dataset(data: Path, split: str = "test") -> list[AlignmentDoc]:
    """Text+Berg layout (NAME.de, NAME.fr, NAME.defr) or ParIce layout (eng/, isl/, gold/ with one
    file per document). ``split`` picks Text+Berg documents by name prefix (``test``, ``dev``)."""
    data = Path(data)
    if (data / "gold").is_dir():
        sides = sorted(p for p in data.iterdir() if p.is_dir() and p.name != "gold")
        if len(sides) != 2:
            raise ValueError(f"{data}: expected two language folders beside gold/, found {[p.name for p in sides]}")
        a, b = sides
        return [AlignmentDoc(g.stem, _lines(a / g.name), _lines(b / g.name), parse_beads(g.read_text("utf-8")))
                for g in sorted((data / "gold").iterdir())]
    docs = []
    for gold_path in sorted(data.glob(f"{split}*.*")):
        suffix = gold_path.suffix[1:]
        if len(suffix) != 4:
            continue
        l1, l2 = suffix[:2], suffix[2:]
        stem = gold_path.with_suffix("")
        docs.append(AlignmentDoc(stem.name, _lines(stem.with_suffix("." + l1)), _lines(stem.with_suffix("." + l2)),
                                 parse_beads(gold_path.read_text("utf-8"))))
    if not docs:
        raise ValueError(f"{data}: no alignment gold found (NAME.l1l2 files or a gold/ folder)")
    return docs


def evaluate(data: Path, split: str = "test", config=None, encoder: str = "auto", mode: str = "exact") -> dict:
    """Align every document of a gold set and score it; adds documents, sentences and seconds.
    ``encoder="auto"`` picks the encoder from the languages of the data (see choose_encoder).
    ``mode``: ``exact`` aligns with every run encoded (what `twinpages align` does); ``guided`` as `mine`
    decides a pair: a quick pass (mean-vector runs, beads of up to 2 sentences), then the exact pass
    guided by it with the encoder's shortcut runs only (DocAlignConfig.guided, encode_short_runs)."""
    import time

    from ..backends.encoders import choose_encoder, encode_overlaps, get_encoder
    from ..backends.lid import get_identifier
    from ..stages.docalign import DocAlignConfig, anchor_chain
    from ..stages.sentalign import SentAlignConfig, align

    config = config or SentAlignConfig()
    docs = load_dataset(Path(data), split)
    if encoder == "auto":
        lid = get_identifier("fasttext")
        langs = {lid.detect(" ".join(side[:50]))[0] for d in docs for side in (d.src, d.tgt)}
        encoder = choose_encoder(langs)
    encoder = get_encoder(encoder, threads=2)
    config = replace(config, similarity_scale=encoder.similarity_scale, prior_cosine=encoder.unrelated_cosine)
    t0 = time.perf_counter()
    tests = []
    def shortcut_runs(sentences, sizes, windows=None):
        return encode_overlaps(encoder, sentences, sizes, shortcut_only=True)

    shortcut_runs.windowed = True
    for d in docs:
        if mode == "guided":
            src_emb, tgt_emb = encoder.encode(d.src), encoder.encode(d.tgt)
            anchors = anchor_chain(src_emb, tgt_emb, config, DocAlignConfig().anchor_level)
            quick = align(d.src, d.tgt, src_emb, tgt_emb, None, replace(config, max_bead=min(2, config.max_bead)),
                          anchors=anchors)
            al = align(d.src, d.tgt, src_emb, tgt_emb, shortcut_runs, config, guide=quick.beads)
        else:
            al = align(d.src, d.tgt, None, None, lambda s, k: encode_overlaps(encoder, s, k), config)
        tests.append([(b.src_idx, b.tgt_idx) for b in al.beads])
    seconds = time.perf_counter() - t0
    result = score([d.gold for d in docs], tests)
    result |= {"documents": len(docs), "sentences": sum(len(d.src) + len(d.tgt) for d in docs),
               "seconds": round(seconds, 2), "encoder": encoder.name, "mode": mode}
    return result
