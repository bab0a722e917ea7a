"""The decision on a candidate pair: is it a translation, and which sentences translate which?

``Decider.decide`` runs the steps cheapest first (stages/docalign.py: a first verdict from the sentence
similarities alone, a quick alignment with approximate runs, the exact alignment of the pairs kept) on
the encoder of the pair's languages, with the alignment's settings put on that encoder's scale. The
vectors of runs of consecutive sentences (the aligner's 1-n beads) are encoded once per document and
kept for its next pairs (a document is a candidate in several). An accepted pair's beads leave with
the bitext filter's probability and segment languages (stages/beadfilter.py).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import replace
from functools import partial

import numpy as np

from ..backends.blas import one_thread
from ..backends.encoders import encode_overlaps
from ..config import PipelineConfig
from ..data import DocPair, Document
from ..urls import names_each_other
from .beadfilter import BeadFilter
from .docalign import DocAlignConfig, align_documents, first_verdict, is_translation, judge
from .embed import Embedder, pair_encoder


class Decider:
    def __init__(self, config: PipelineConfig = PipelineConfig(), embedder: Embedder | None = None):
        self.config = config
        self.embedder = embedder or Embedder(config.embed)
        self._run_cache: OrderedDict = OrderedDict()
        self.run_cache_size = 2_000  # documents; candidates come grouped by source document
        self._bead_filter: BeadFilter | None = None
        # decisions by what they read: a pair of exact copies of a pair decided already is decided once
        self._decided: OrderedDict = OrderedDict()
        self.decided_cache_size = 128  # copies of a page sit together in a decide task (phases/decide.by_page)
        self.reused = 0  # decisions taken from _decided

    def docalign_config(self, a: Document, b: Document) -> tuple[str, DocAlignConfig]:
        """The encoder of this language pair and the document-alignment settings on its scale."""
        name = pair_encoder(self.config.embed, a.lang, b.lang)
        encoder = self.embedder.encoder(name)
        da = self.config.docalign
        da = replace(da, sentalign=replace(da.sentalign, similarity_scale=encoder.similarity_scale,
                                                prior_cosine=encoder.unrelated_cosine),
                     margin_bead_cosine=da.margin_bead_cosine if encoder.margin_bead_cosine is not None else None)
        return name, da

    def align_pair(self, a: Document, b: Document, candidate_score: float = 0.0, orient: bool = True,
                   quick: bool = False, guide: DocPair | None = None,
                   anchors: list[tuple[int, int]] | None = None, with_model: bool = True) -> DocPair:
        """Align two documents. ``quick`` approximates multi-sentence runs by mean vectors instead of
        encoding them (sentalign.mean_runs): ~10x cheaper, for deciding which candidates to keep.
        ``guide``: a quick alignment of the same two documents; the exact pass then encodes runs only
        where it was not 1-1 and searches near its path (sentalign.align)."""
        with one_thread():  # the alignment's products are stored (scores): their bits from one thread
            return self._align_pair(a, b, candidate_score, orient, quick, guide, anchors, with_model)

    def _align_pair(self, a, b, candidate_score, orient, quick, guide, anchors, with_model) -> DocPair:
        name, da = self.docalign_config(a, b)
        if quick and da.quick_max_bead:
            da = replace(da, sentalign=replace(da.sentalign, max_bead=min(da.quick_max_bead, da.sentalign.max_bead)))
        overlaps = None
        if not quick:
            overlaps = partial(self._runs, name)
            overlaps.windowed = True  # sentalign may ask for the runs of some ranges only
        beads = None
        if guide is not None:  # the guide's beads as a -> b (it may have been turned to put the original first)
            beads = guide.beads if guide.src_id == a.id else [p.turned() for p in guide.beads]
        pair = align_documents(a, b, name, overlaps, da, candidate_score, orient, beads, anchors, with_model)
        pair.linked = names_each_other(a, b)
        return pair

    def decide(self, a: Document, b: Document, candidate_score: float = 0.0) -> DocPair | None:
        """The aligned pair when it is a translation, else None. Most candidates are not: a quick
        alignment (approximate runs) rejects those first. An accepted pair is aligned again with
        encoded runs unless its quick alignment is already all 1-1 beads covering both sides.

        A candidate whose two documents are exact copies (language, main text, sentences and their vectors)
        of a candidate decided before, with the same margin, gets that decision, with its own documents'
        ids, addresses and dates: everything the decision reads is the same, so recomputing it would give
        the same result (mirrors and reposts of a crawl are decided once)."""
        key = self._decision_key(a, b, candidate_score)
        if key in self._decided:
            self._decided.move_to_end(key)
            first_a, pair = self._decided[key]
            self.reused += 1
            return None if pair is None else _for_documents(pair, first_a, a, b)
        with one_thread():
            pair = self._decide(a, b, candidate_score)
        self._decided[key] = (a.id, pair)
        if len(self._decided) > self.decided_cache_size:
            self._decided.popitem(last=False)
        return pair

    def _decision_key(self, a: Document, b: Document, candidate_score: float) -> bytes:
        """What a decision reads, hashed: the encoder, the margin, and each side's language, main text,
        sentences (with offsets) and sentence vectors (their bytes)."""
        name = pair_encoder(self.config.embed, a.lang, b.lang)
        h = hashlib.blake2b(digest_size=16)
        h.update(repr((name, float(candidate_score))).encode())
        for doc in (a, b):
            h.update(repr((doc.lang, doc.main_text, [(x.text, x.start, x.end, x.line, x.lang)
                                                    for x in doc.sentences])).encode("utf-8", "surrogatepass"))
            vectors = doc.embeddings.get(name)
            h.update(b"" if vectors is None else np.ascontiguousarray(vectors).tobytes())
        return h.digest()

    def _decide(self, a: Document, b: Document, candidate_score: float) -> DocPair | None:
        name, da = self.docalign_config(a, b)
        keep, anchors = first_verdict(a.embeddings[name], b.embeddings[name], candidate_score, da)
        if not keep:
            return None
        quick = self.config.docalign.quick_first
        # the provenance model judges only the pairs kept, on their final alignment
        pair = self.align_pair(a, b, candidate_score, quick=quick, anchors=anchors, with_model=not quick)
        if not self.is_translation(pair, a, b):
            return None
        if quick and not all(len(p.src_idx) == 1 and len(p.tgt_idx) == 1 for p in pair.beads):
            pair = self.align_pair(a, b, candidate_score, guide=pair if self.config.docalign.guided else None)
            if not self.is_translation(pair, a, b):
                return None
        elif quick:
            pair = judge(pair, a, b, da)
        # the bitext filter's probability and segment language ID, here in the worker rather than in the
        # writer, which is one process for the whole run (the rules and the threshold stay the writer's)
        return self.bead_filter.annotate(pair)

    @property
    def bead_filter(self) -> BeadFilter:
        if self._bead_filter is None:
            self._bead_filter = BeadFilter()
        return self._bead_filter

    def is_translation(self, pair: DocPair, a: Document, b: Document) -> bool:
        return is_translation(pair, len(a.sentences), len(b.sentences), self.docalign_config(a, b)[1])

    def _runs(self, name: str, sentences, sizes, windows=None) -> dict:
        """Run vectors of a document's sentences (with ``windows``: only the runs inside those ranges;
        the others stay NaN), cached run by run: a document is a candidate in several pairs, and what
        one pair encoded the next need not encode again."""
        key = (name, tuple(sentences))
        cached = self._run_cache.get(key)
        if cached is None:
            cached = self._run_cache[key] = {}
            if len(self._run_cache) > self.run_cache_size:
                self._run_cache.popitem(last=False)
        else:
            self._run_cache.move_to_end(key)
        encoder = self.embedder.encoder(name)
        for k in sizes:
            if k not in cached:
                count = max(len(sentences) - k + 1, 0)
                cached[k] = (np.full((count, encoder.dim), np.nan, np.float32), np.zeros(count, bool))
        shortcut_only = windows is not None and not self.config.docalign.encode_short_runs
        if hasattr(encoder, "encode_overlaps"):
            # the shortcut assembles every run from one pass of token features over the document: the
            # whole document at once costs less than window after window, and a run's vector then does
            # not depend on which pair asked for which window first (its last bits would: blas.py)
            windows = None
        for lo, hi in windows if windows is not None else [(0, len(sentences))]:
            # the runs inside [lo, hi) that no pair has encoded yet: one encoder call for their span
            missing = [(k, i) for k in sizes for i in range(lo, hi - k + 1) if not cached[k][1][i]]
            if not missing:
                continue
            start = min(i for _, i in missing)
            end = max(i + k for k, i in missing)
            encoded = encode_overlaps(encoder, sentences[start:end], [k for k in sizes if k <= end - start],
                                      shortcut_only=shortcut_only)
            for k, vectors in encoded.items():
                todo = ~cached[k][1][start:start + len(vectors)]
                cached[k][0][start:start + len(vectors)][todo] = vectors[todo]
                cached[k][1][start:start + len(vectors)] = True
        return {k: cached[k][0] for k in sizes}

    def __getstate__(self):  # the caches hold what a worker can recompute (and a language identifier)
        return self.__dict__ | {"_run_cache": OrderedDict(), "_bead_filter": None, "_decided": OrderedDict(),
                                "reused": 0}


def _for_documents(pair: DocPair, first_a: str, a: Document, b: Document) -> DocPair:
    """A decision on two other documents (first_a's pair) given to exact copies a and b: oriented as it was
    (its source side is a's copy when it was first_a), with a's and b's ids, addresses and dates."""
    src, tgt = (a, b) if pair.src_id == first_a else (b, a)
    return replace(pair, src_id=src.id, tgt_id=tgt.id, src_name=src.name, tgt_name=tgt.name,
                   src_pointer=src.source, tgt_pointer=tgt.source, src_crawled=src.crawled,
                   tgt_crawled=tgt.crawled, src_published=src.published, tgt_published=tgt.published,
                   beads=[replace(p) for p in pair.beads], linked=names_each_other(a, b))
