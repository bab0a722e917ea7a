"""Which sentence pairs ship: rules that name why a bead is rejected, and a calibrated probability that its
two sides translate each other (``translation_probability``), as web-corpus releases filter their bitext
(ParaCrawl, MaCoCu, HPLT: bicleaner-hardrules, then a Bicleaner score thresholded).

Rules come first; a bead that passes them is kept when its probability reaches
``min_translation_probability``, else rejected as ``low_probability``. Every rule is a setting (0 or
False turns it off). They are written here rather than calling bicleaner-hardrules: that is GPL-3 (an
optional outside step at most), pulls in a KenLM-based fluency filter and per-language-pair YAML, and its
checks that matter for aligned web text are the few below, each measured on twinpages' own beads
(BENCHMARKS.md, "Bitext that ships").

The probability is a logistic regression (weights in ``resources/beadfilter.json``, trained by
``training/beads/train.py`` on WMT21 twins, checked on WMT23 and Text+Berg) over what the alignment
already knows about the bead: its normalised similarity and raw cosine, its least similar sentence against
the other side (``SentPair.part_cosine``), how it compares with its aligned neighbours, whether it borders
unaligned text (where a partial translation's untranslated sentences get pulled into a bead), its shape and
length ratio, numbers and words shared by both sides, each side's
language, and the document pair's score and coverage.

Where it runs: the probability and each side's language do not depend on the filter's settings, so the
decide workers work them out as they accept a pair (``BeadFilter.annotate``, kept in the pair's beads);
the writer, one process for the whole run, applies only the rules and the threshold (``BeadFilter.judge``).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ..data import DocPair
from ..settings import setting

REASONS = ("too_short", "mostly_punctuation", "identical", "untranslated", "wrong_language", "length_ratio",
           "numbers_differ", "urls_differ", "low_probability")
# the lowest threshold at which out-of-fold precision on WMT21's clean partial twins reaches 0.995
# (training/beads/train.py, metrics.json "default_threshold"); checked on WMT23 and Text+Berg, never tuned there
DEFAULT_MIN_PROBABILITY = 0.45


@dataclass(frozen=True, slots=True)
class FilterConfig:
    enabled: bool = setting(True, flag="--no-filter",
                            help="keep every bead in the bitext (default: rules and --min-translation-probability "
                                 "move beads to bitext/rejected/)")
    min_translation_probability: float = setting(
        DEFAULT_MIN_PROBABILITY, low=0.0, high=1.0, flag="--min-translation-probability",
        help="beads less likely to be translations go to bitext/rejected/ (reason low_probability)")
    min_chars: int = setting(3, low=0, flag="--filter-min-chars",
                             help="too_short: a side with fewer letters and digits, a CJK one counting two (0: off)")
    max_punctuation: float = setting(0.5, low=0.0, high=1.0, flag="--filter-max-punctuation",
                                     help="mostly_punctuation: a side whose share of characters other than letters, "
                                          "digits and spaces is above this (1: off)")
    max_length_ratio: float = setting(3.0, low=0.0, flag="--filter-max-length-ratio",
                                      help="length_ratio: the longer side's UTF-8 bytes over the shorter's, when the "
                                           "longer has at least 30 bytes (0: off)")
    identical: bool = setting(True, flag="--filter-keep-identical",
                              help="keep beads whose sides are the same text (rule identical)")
    language: bool = setting(True, flag="--filter-keep-wrong-language",
                             help="keep beads with a side in another language than its document's "
                                  "(rules untranslated, wrong_language)")
    # off by default: on WMT21's beads every form of it tried rejected more right beads than wrong ones
    # (numerals written as words or characters, dates and units converted); the model reads numbers instead
    numbers: bool = setting(False, flag="--filter-numbers",
                            help="reject beads whose sides carry different numbers (rule numbers_differ)")
    urls: bool = setting(True, flag="--filter-keep-urls",
                         help="keep beads whose sides carry different URLs or e-mail addresses (rule urls_differ)")


# --- what the rules and the model read ---------------------------------------------------------------------

_NUMBER = re.compile(r"\d+(?:[.,\u00a0\u202f' ]\d{3}(?!\d))*")
# ASCII only after the scheme: CJK and Hangul text runs on after a URL without a space ("…/hurd、Debian",
# "…#nonlinux를")
_URL = re.compile(r"(?:https?://|www\.)[!-~]+|[A-Za-z0-9.+_-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+", re.IGNORECASE)
_WORD = re.compile(r"\w{3,}", re.UNICODE)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


# What is read off one side's text is cached by text: on a site in many languages a sentence is a side of a
# bead in each pair its page is in (the rules and features read the same numbers again; bounded caches)
_SIDE_CACHE = 1 << 16


@lru_cache(maxsize=_SIDE_CACHE)
def _alnum(text: str) -> int:
    """Letters and digits, of any script."""
    return sum(map(str.isalnum, text))


@lru_cache(maxsize=_SIDE_CACHE)
def _length(text: str) -> int:
    """Letters and digits, a wide (CJK) one counted twice: なぜ? ("why?") is as long as "Why?"."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text if c.isalnum())


@lru_cache(maxsize=_SIDE_CACHE)
def punctuation_share(text: str) -> float:
    """Share of characters that are neither letters, digits nor spaces."""
    chars = len(text) - sum(map(str.isspace, text))
    return (chars - _alnum(text)) / chars if chars else 1.0


@lru_cache(maxsize=_SIDE_CACHE)
def numbers(text: str) -> frozenset[str]:
    """The numbers of a text, thousands separators dropped (``2 000`` = ``2,000`` = ``2.000`` = ``2000``) and a
    decimal read as its two parts (``1,5`` = ``1.5``), so that each language's way of writing them compares
    equal. Digits of any script are read as their values."""
    text = unicodedata.normalize("NFKC", text)
    return frozenset(str(int(re.sub(r"\D", "", m.group()))) for m in _NUMBER.finditer(text))


@lru_cache(maxsize=_SIDE_CACHE)
def urls(text: str) -> frozenset[str]:
    """The URLs and e-mail addresses of a text, without the punctuation of the sentence around them (of any
    script: ``systemd。`` is ``systemd``)."""
    return frozenset(_strip_punctuation(u).lower() for u in _URL.findall(text))


def _strip_punctuation(text: str) -> str:
    while text and unicodedata.category(text[-1]).startswith("P") and text[-1] not in "/_-":
        text = text[:-1]
    return text


@lru_cache(maxsize=_SIDE_CACHE)
def normalised(text: str) -> str:
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


@lru_cache(maxsize=_SIDE_CACHE)
def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.casefold()))


def shared_words(a: str, b: str) -> float:
    """Jaccard overlap of the words of three letters or more: a copy left untranslated shares nearly all."""
    wa, wb = _words(a), _words(b)
    return len(wa & wb) / len(wa | wb) if wa | wb else 0.0


@dataclass(slots=True)
class BeadFacts:
    """A bead as the rules and the model see it (read from the document pair it is in)."""

    src: str
    tgt: str
    src_lang: str  # the documents' languages
    tgt_lang: str
    score: float
    cosine: float
    n_src: int  # sentences on each side
    n_tgt: int
    prev_aligned: bool  # the bead just before it has both sides
    next_aligned: bool
    neighbour_score: float  # mean score of the aligned beads beside it (its own when it has none)
    doc_score: float
    min_coverage: float
    max_coverage: float
    part_cosine: float = 0.0  # SentPair.part_cosine: the bead's least similar sentence against the other side
    src_seen: str | None = None  # each side's language where segment language ID is sure of it (``_reliable``)
    tgt_seen: str | None = None
    # the pair's typical bead, its median over the aligned beads: how long one language writes what the
    # other says (a bead cut short, or padded with an untranslated sentence, departs from it), and its score
    pair_log_ratio: float = 0.0
    pair_score: float = 0.0
    # what several rules and features read, counted once
    src_alnum: int = field(init=False)
    tgt_alnum: int = field(init=False)
    punctuation: float = field(init=False)  # the larger of the two sides' punctuation shares
    log_ratio: float = field(init=False)

    def __post_init__(self):
        self.src_alnum, self.tgt_alnum = _alnum(self.src), _alnum(self.tgt)
        self.punctuation = max(punctuation_share(self.src), punctuation_share(self.tgt))
        self.log_ratio = log_ratio(self.src, self.tgt)


def log_ratio(src: str, tgt: str) -> float:
    """log of the UTF-8 bytes of one side over the other's (bytes: a CJK character weighs about a word)."""
    return math.log(_nbytes(src) / _nbytes(tgt))


@lru_cache(maxsize=_SIDE_CACHE)
def _nbytes(text: str) -> int:
    return max(len(text.encode()), 1)


def facts_of(pair: DocPair, detect_many) -> list[BeadFacts | None]:
    """Per bead of ``pair`` (None for an unaligned sentence). ``detect_many(texts) -> [(code, confidence)]``:
    the segment language identifier (backends.lid), asked only about beads not judged yet (a judged bead
    carries each side's language: SentPair.src_lid)."""
    beads = pair.beads
    aligned = [bool(b.src_idx and b.tgt_idx) for b in beads]
    out: list[BeadFacts | None] = []
    for k, b in enumerate(beads):
        if not aligned[k]:
            out.append(None)
            continue
        near = [beads[j].score for j in (k - 1, k + 1) if 0 <= j < len(beads) and aligned[j]]
        out.append(BeadFacts(
            b.src_text, b.tgt_text, pair.src_lang, pair.tgt_lang, b.score, b.cosine, len(b.src_idx),
            len(b.tgt_idx), k > 0 and aligned[k - 1], k + 1 < len(beads) and aligned[k + 1],
            sum(near) / len(near) if near else b.score, pair.score,
            min(pair.src_coverage, pair.tgt_coverage), max(pair.src_coverage, pair.tgt_coverage),
            b.cosine if b.part_cosine is None else b.part_cosine, b.src_lid, b.tgt_lid))
    facts = [f for f in out if f is not None]
    if facts:
        pair_ratio = float(np.median([f.log_ratio for f in facts]))
        pair_score = float(np.median([f.score for f in facts]))
        for f in facts:
            f.pair_log_ratio, f.pair_score = pair_ratio, pair_score
    # language ID only where its verdict can count (_reliable): most rows of a documentation site are short
    sides = [(f, side) for f, b in zip(out, beads, strict=True) if f is not None and b.translation_probability is None
             for side in ("src", "tgt") if getattr(f, f"{side}_alnum") >= LID_MIN_LETTERS]
    for (f, side), detected in zip(sides, detect_many([getattr(f, side) for f, side in sides]), strict=True):
        setattr(f, f"{side}_seen", _reliable(detected, getattr(f, f"{side}_alnum")))
    return out


# fastText's confidence and the letters a segment needs before its language is trusted: on WMT21's beads a
# side detected as another language at >= 0.9 was wrong (untranslated, a copy) 712 times and right 8 times
LID_CONFIDENCE, LID_MIN_LETTERS = 0.9, 20
LID_CACHE = 1 << 17


def _reliable(detected: tuple[str | None, float], letters: int) -> str | None:
    """The detected language when it is worth acting on: a confident verdict on enough letters."""
    code, confidence = detected
    return code if code and confidence >= LID_CONFIDENCE and letters >= LID_MIN_LETTERS else None


def rule(f: BeadFacts, config: FilterConfig) -> str:
    """The first rule the bead breaks ("" when none), in the order of REASONS."""
    return rule_of(f.src, f.tgt, f.src_lang, f.tgt_lang, f.src_seen, f.tgt_seen, config)


def rule_of(src: str, tgt: str, src_lang: str, tgt_lang: str, src_seen: str | None, tgt_seen: str | None,
            config: FilterConfig) -> str:
    """``rule`` from the two sides, their documents' languages and what language ID is sure of: all a
    judged bead needs (the writer does not build its BeadFacts again)."""
    # _length >= _alnum: the wide letters are counted only where the plain count is short
    if config.min_chars and min(_alnum(src), _alnum(tgt)) < config.min_chars and \
            min(_length(src), _length(tgt)) < config.min_chars:
        return "too_short"
    if config.max_punctuation < 1.0 and max(punctuation_share(src), punctuation_share(tgt)) > config.max_punctuation:
        return "mostly_punctuation"
    if config.identical and normalised(src) == normalised(tgt):
        return "identical"
    if config.language:
        if (tgt_seen == src_lang and src_seen != tgt_lang) or (src_seen == tgt_lang and tgt_seen != src_lang):
            return "untranslated"
        if (src_seen and src_seen != src_lang) or (tgt_seen and tgt_seen != tgt_lang):
            return "wrong_language"
    if config.max_length_ratio:
        a, b = _nbytes(src), _nbytes(tgt)
        if max(a, b) >= 30 and max(a, b) > config.max_length_ratio * min(a, b):
            return "length_ratio"
    if config.numbers and numbers(src) != numbers(tgt):
        return "numbers_differ"
    if config.urls and urls(src) != urls(tgt):
        return "urls_differ"
    return ""


FEATURES = ("score", "cosine", "score_minus_neighbours", "neighbour_score", "borders_unaligned",
            "one_to_one", "extra_sentences", "log_length_ratio", "log_min_length", "numbers_jaccard",
            "numbers_one_side", "shared_words", "src_language_ok", "tgt_language_ok", "punctuation",
            "doc_score", "min_coverage", "max_coverage", "length_deviation", "score_minus_pair",
            "extra_sentences_bordering", "part_cosine", "cosine_minus_part")


def features(f: BeadFacts) -> list[float]:
    a, b = _nbytes(f.src), _nbytes(f.tgt)  # as log_ratio counts them
    na, nb = numbers(f.src), numbers(f.tgt)
    src_seen, tgt_seen = f.src_seen, f.tgt_seen
    return [f.score, f.cosine, f.score - f.neighbour_score, f.neighbour_score,
            float(not (f.prev_aligned and f.next_aligned)), float(f.n_src == 1 and f.n_tgt == 1),
            float(f.n_src + f.n_tgt - 2), abs(f.log_ratio), math.log(min(a, b)),
            len(na & nb) / len(na | nb) if na | nb else 1.0, float(bool(na) != bool(nb)),
            shared_words(f.src, f.tgt), float(src_seen in (None, f.src_lang)), float(tgt_seen in (None, f.tgt_lang)),
            f.punctuation, f.doc_score, f.min_coverage, f.max_coverage,
            abs(f.log_ratio - f.pair_log_ratio), f.score - f.pair_score,
            # a bead of several sentences beside unaligned text is where a partial translation's untranslated
            # neighbour gets pulled in; inside a run of aligned beads it is a sentence split differently
            float(f.n_src + f.n_tgt - 2) * float(not (f.prev_aligned and f.next_aligned)),
            f.part_cosine, f.cosine - f.part_cosine]


class BeadModel:
    """Logistic regression over standardised FEATURES (numpy only: the training needs scikit-learn, a run
    does not)."""

    def __init__(self, data: dict):
        if tuple(data["features"]) != FEATURES:
            raise ValueError("the bead model was trained on other features than this version computes: "
                             "retrain it (training/beads/train.py)")
        self.mean = np.asarray(data["mean"], np.float64)
        self.scale = np.asarray(data["scale"], np.float64)
        self.coef = np.asarray(data["coef"], np.float64)
        self.intercept = float(data["intercept"])
        self.data = data

    def probability(self, x: np.ndarray) -> np.ndarray:
        # an elementwise product summed by numpy, not BLAS's dot: written to the outputs, so the same bits on
        # every processor (backends/blas.py)
        z = (((np.atleast_2d(x) - self.mean) / self.scale) * self.coef).sum(axis=1) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    @classmethod
    def load(cls, path: str | Path | None = None) -> BeadModel:
        return _load(str(path) if path else None)


@lru_cache(maxsize=4)
def _load(path: str | None) -> BeadModel:
    if path:
        return BeadModel(json.loads(Path(path).read_text(encoding="utf-8")))
    text = resources.files("twinpages.resources").joinpath("beadfilter.json").read_text(encoding="utf-8")
    return BeadModel(json.loads(text))


@dataclass(slots=True)
class Verdict:
    translation_probability: float
    reason: str  # "" when kept


class BeadFilter:
    """The verdicts on a document pair's beads. Holds the language identifier and the model, loaded once."""

    def __init__(self, config: FilterConfig = FilterConfig(), model: BeadModel | None = None):
        self.config = config
        self._model = model
        self._lid = None
        # a page of a site in ten languages is in nine pairs, and its sentences in as many beads: each text's
        # language is identified once (bounded: ~LID_CACHE texts)
        self._detect = lru_cache(maxsize=LID_CACHE)(lambda text: self.lid.detect(text))

    @property
    def model(self) -> BeadModel:
        if self._model is None:
            self._model = BeadModel.load()
        return self._model

    @property
    def lid(self):
        # fastText (the default language ID): on segments CLD2 mistook Russian for Serbian and Chinese for
        # Japanese, and rejected nine right beads for each wrong one (WMT21)
        if self._lid is None:
            from ..backends.lid import get_identifier

            self._lid = get_identifier("fasttext")
        return self._lid

    def detect(self, text: str) -> tuple[str | None, float]:
        return self._detect(text)

    def detect_many(self, texts: list[str]) -> list[tuple[str | None, float]]:
        return [self._detect(t) for t in texts]

    def facts(self, pair: DocPair) -> list[BeadFacts | None]:
        return facts_of(pair, self.detect_many)

    def annotate(self, pair: DocPair) -> DocPair:
        """``pair`` with each aligned bead's probability and sides' languages filled in (SentPair
        .translation_probability, .src_lid, .tgt_lid): what the filter reads that does not depend on its
        settings, worked out where the pair was decided (a decide worker), so that writing the bitext only
        applies the rules and the threshold. Needs the pair's final beads, score and coverage."""
        facts = self.facts(pair)
        rows = [f for f in facts if f is not None]
        if rows:
            p = iter(self.model.probability(np.array([features(f) for f in rows], np.float64)))
            for b, f in zip(pair.beads, facts, strict=True):
                if f is not None:
                    b.translation_probability = round(float(next(p)), 4)
                    b.src_lid, b.tgt_lid = f.src_seen, f.tgt_seen
        return pair

    def judge(self, pair: DocPair) -> list[Verdict | None]:
        """One verdict per bead of ``pair`` (None for unaligned sentences). Beads not judged yet (a pair
        aligned outside `mine`'s decide phase) are judged here first, on a copy."""
        aligned = [b for b in pair.beads if b.src_idx and b.tgt_idx]
        if any(b.translation_probability is None for b in aligned):
            pair = self.annotate(replace(pair, beads=[replace(b) for b in pair.beads]))
        verdicts = []
        for b in pair.beads:
            if not (b.src_idx and b.tgt_idx):
                verdicts.append(None)
                continue
            prob, reason = b.translation_probability, ""
            if self.config.enabled:
                reason = rule_of(b.src_text, b.tgt_text, pair.src_lang, pair.tgt_lang, b.src_lid, b.tgt_lid,
                                 self.config) or ("low_probability" if prob < self.config.min_translation_probability
                                                  else "")
            verdicts.append(Verdict(prob, reason))
        return verdicts
