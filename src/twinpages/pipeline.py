"""The library API: the stages chained into the jobs a user runs. The CLI only wraps these.

    from twinpages import mine, align_files
    result = mine(["pages/"], "out/")
    pair = align_files("a.txt", "b.txt")
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np

from .backends.blas import one_thread
from .backends.encoders import encode_overlaps
from .config import PipelineConfig
from .data import DocError, DocPair, Document, warnings_of
from .limits import time_budget
from .progress import Progress
from .stages import readers
from .stages.docalign import DocAlignConfig, align_documents, first_verdict, is_translation, judge
from .stages.embed import Embedder, covers, encoders_for, pair_encoder
from .stages.extract import Extractor
from .stages.langid import LanguageIdentifier
from .stages.repeats import RepeatedLines
from .stages.segment import segment_document
from .urls import names_each_other


class Pipeline:
    """Holds the stages (each loads its model lazily, on first use) and chains them for one document
    (``analyse_one``) or one candidate pair (``decide``). The corpus job, `mine`, runs these inside its
    phases (corpus.py); execution (processes, Ray) is the runners' business, never this class's."""

    def __init__(self, config: PipelineConfig = PipelineConfig(), progress: bool = False):
        self.config = config
        self.progress = progress
        self.extractor = Extractor(config.extract, lid_backend=config.langid.backend)
        self.lid = LanguageIdentifier(config.langid)
        self.embedder = Embedder(config.embed)
        self._run_cache: OrderedDict = OrderedDict()
        self.run_cache_size = 2_000  # documents; candidates come grouped by source document

    def prepare(self, docs: Iterable[Document | DocError], errors: list[DocError],
                total: int | None = None, repeats: RepeatedLines | None = None) -> list[Document]:
        """read → extract → language ID → sentences → embeddings. Failures become DocErrors.
        Which encoders a document needs depends on the languages it can pair with, so embedding
        waits until the languages of all documents are known."""
        analysed = list(self.analyse(docs, errors, total, repeats))
        needed = encoders_for(self.config.embed, (d.lang for d in analysed))
        progress = Progress("embedded", len(analysed), enabled=self.progress)
        embedded = []
        for doc in self.embedder.run(analysed, needed):
            embedded.append(doc)
            progress.update()
        progress.close()
        return embedded

    def analyse(self, docs: Iterable[Document | DocError], errors: list[DocError],
                total: int | None = None, repeats: RepeatedLines | None = None) -> Iterator[Document]:
        """read → extract → language ID → sentences, one document at a time, in this process. With
        ``repeats`` (counted over the same corpus), lines that recur across a site are dropped."""
        progress = Progress("prepared", total, enabled=self.progress)
        for doc in docs:
            if isinstance(doc, Document):
                errors += warnings_of(doc)
            item = self.analyse_one(doc, repeats)
            progress.update()
            if isinstance(item, DocError):
                errors.append(item)
            else:
                yield item
        progress.close()

    def analyse_one(self, doc: Document | DocError, repeats: RepeatedLines | None = None) -> Document | DocError:
        if isinstance(doc, DocError):
            return doc
        stage = "extract"
        try:
            with time_budget(self.config.read.max_doc_seconds):
                self.extractor.extract(doc, repeats.repeated_in(doc) if repeats else None)
                stage = "langid"
                self.lid.identify(doc)
                if not covers(self.config.embed, doc.lang):
                    return DocError(doc.id, doc.source, "langid", "unsupported_language", f"language {doc.lang!r} "
                                    f"is covered by no encoder (--encoder {self.config.embed.encoder})")
                stage = "segment"
                segment_document(doc, self.config.segment)
                self.lid.label_sentences(doc)
            # later stages read lines, main text and sentences: the page as read (a whole HTML
            # page can be 100 times its main text) need not stay in memory for the whole run
            doc.html, doc.raw = None, ""
        except Exception as e:  # one broken document must not end the run
            return DocError(doc.id, doc.source, stage, getattr(e, "kind", type(e).__name__), str(e))
        if not doc.sentences:
            return DocError(doc.id, doc.source, "extract", "no_main_text",
                            f"no main-text sentences in {len(doc.lines)} non-empty lines")
        return doc

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
            beads = guide.pairs if guide.src_id == a.id else [p.turned() for p in guide.pairs]
        pair = align_documents(a, b, name, overlaps, da, candidate_score, orient, beads, anchors, with_model)
        pair.linked = names_each_other(a, b)
        return pair

    def decide(self, a: Document, b: Document, candidate_score: float = 0.0) -> DocPair | None:
        """The aligned pair when it is a translation, else None. Most candidates are not: a quick
        alignment (approximate runs) rejects those first. An accepted pair is aligned again with
        encoded runs unless its quick alignment is already all 1-1 beads covering both sides."""
        with one_thread():
            return self._decide(a, b, candidate_score)

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
        if quick and not all(len(p.src_idx) == 1 and len(p.tgt_idx) == 1 for p in pair.pairs):
            pair = self.align_pair(a, b, candidate_score, guide=pair if self.config.docalign.guided else None)
            if not self.is_translation(pair, a, b):
                return None
        elif quick:
            pair = judge(pair, a, b, da)
        return pair

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

    def __getstate__(self):  # the cache holds arrays that a worker can recompute
        return {k: v for k, v in self.__dict__.items() if k != "_run_cache"} | {"_run_cache": OrderedDict()}



def load_documents(paths: Iterable[str | Path], config: PipelineConfig = PipelineConfig(),
                   pipe: Pipeline | None = None) -> tuple[list[Document], list[DocError]]:
    pipe = pipe or Pipeline(config)
    errors: list[DocError] = []
    docs = pipe.prepare(readers.read(paths, config.read), errors)
    return docs, errors
