"""The learned line classifier for line dumps: is this line article text?

Gradient-boosted trees (trained with scikit-learn's HistGradientBoostingClassifier in
training/lines/train.py, evaluated here with numpy alone) over per-line features and their context: the
line's length, sentence shape, punctuation, stopword share in the page's language, interface words,
contact details, repetition on the page and across the site, position, where the line stands against the
main text the rules found, the share of its letters in the page's script, code characters, list markers,
and the rules' own verdicts (extract.classify_line and the run the rules keep) on the line and its
neighbours. Trained on web pages and on Debian's manuals in 26 languages (training/lines/README.md). The
rules stay: they are the model's strongest features and the fallback when no model is shipped.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_TERMINAL = re.compile(r"[.!?。！？]['\"”“’»«)\]]*$")
_SENT_END = re.compile(r"[.!?。！？]+['\"”“’»)]*(?:\s+|$)")
_SYMBOLS = re.compile(r"[|»›•·©®→←/\\#@+=*_<>\[\]{}]")
CLASSES = ("good", "near", "heading", "bad")

LINE = ("log_words", "log_chars", "terminal", "ends_colon", "starts_upper", "sentences", "words_per_sentence",
        "stopword_share", "has_stopwords", "capitalised", "digits", "symbols", "cjk", "rule_good", "rule_near",
        "rule_heading", "rule_bad", "rule_main", "repeated_on_site", "repeated_on_page")
CONTEXT = ("log_words", "terminal", "rule_good", "rule_main")
OFFSETS = (-2, -1, 1, 2)
PAGE = ("position", "log_lines", "share_of_words", "good_window", "main_window", "distance_to_good",
        "good_run_words", "page_good_share")
# Where a line stands against the rules' main text, and how it is written against the page (issue 33: pages
# in other scripts and page kinds): a documentation page's code and tables sit between its prose runs, a
# news page's menus and teasers before and after; a line in another script than the page's is rarely prose
SHAPE = ("before_main", "after_main", "log_lines_from_main", "page_script_share", "code_chars", "list_marker")
# Unicode blocks of the scripts the reporting groups name (Latin, Cyrillic, Greek, Arabic/Hebrew, Indic, Thai
# and neighbours, CJK); a letter outside them counts as "other"
_SCRIPTS = {"latin": re.compile(r"[A-Za-z\u00c0-\u024f]"), "cyrillic": re.compile(r"[\u0400-\u04ff]"),
            "greek": re.compile(r"[\u0370-\u03ff]"),
            "arabic_hebrew": re.compile(r"[\u0590-\u06ff\u0750-\u077f]"),
            "indic": re.compile(r"[\u0900-\u0dff]"),
            "southeast_asian": re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]"),
            "cjk": _CJK}
_CODE = re.compile(r"[$={}();<>_~`|\\]")
_LIST_MARKER = re.compile(r"^\s*(?:[•·◦▪‣*\-–]|\d{1,3}[.)]|[a-z][.)])\s")


def feature_names() -> list[str]:
    return (list(LINE) + [f"{name}@{o:+d}" for o in OFFSETS for name in CONTEXT] + list(PAGE) + list(SHAPE))


def _line(text: str, stop: frozenset[str], cls: str, main: bool, repeated: bool, page_count: int) -> list[float]:
    words = _WORD.findall(text.lower())
    cjk = len(_CJK.findall(text))
    n = max(len(words), cjk // 2, 1)
    n_sent = max(1, len(_SENT_END.findall(text)))
    raw_words = _WORD.findall(text)
    return [math.log1p(n), math.log1p(len(text)), float(bool(_TERMINAL.search(text))), float(text.endswith(":")),
            float(text[:1].isupper()), math.log1p(n_sent), math.log1p(n / n_sent),
            sum(w in stop for w in words) / max(len(words), 1) if stop else 0.0, float(bool(stop)),
            sum(w[:1].isupper() for w in raw_words) / max(len(raw_words), 1),
            sum(w.isdigit() for w in words) / max(len(words), 1),
            len(_SYMBOLS.findall(text)) / max(len(text), 1), cjk / max(len(text), 1),
            *(float(cls == c) for c in CLASSES), float(main), float(repeated), math.log1p(page_count - 1)]


def features(texts: list[str], classes: list[str], rule_main: list[bool], repeated: list[bool],
             stop: frozenset[str]) -> np.ndarray:
    """One row per line: its own features, its neighbours' (±1, ±2; zeros past the page's ends), and where
    it stands on the page."""
    n = len(texts)
    if n == 0:
        return np.zeros((0, len(feature_names())))
    counts = Counter(texts)
    own = np.array([_line(t, stop, c, m, r, counts[t])
                    for t, c, m, r in zip(texts, classes, rule_main, repeated, strict=True)])
    ctx_cols = [LINE.index(c) for c in CONTEXT]
    ctx = own[:, ctx_cols]
    padded = np.vstack([np.zeros((2, len(CONTEXT))), ctx, np.zeros((2, len(CONTEXT)))])
    neighbours = [padded[2 + o:2 + o + n] for o in OFFSETS]
    words = np.expm1(own[:, 0])
    good = own[:, LINE.index("rule_good")]
    main = own[:, LINE.index("rule_main")]
    window = np.ones(11) / 11
    distance = _distance_to(np.flatnonzero(good), n)
    run_words = np.zeros(n)  # words of the run of consecutive good lines a line belongs to
    start = 0
    for i in range(n + 1):
        if i == n or not good[i]:
            if i > start:
                run_words[start:i] = words[start:i].sum()
            start = i + 1
    page = np.c_[np.arange(n) / max(n - 1, 1), np.full(n, math.log1p(n)), words / max(words.sum(), 1),
                 np.convolve(good, window)[5:5 + n], np.convolve(main, window)[5:5 + n], np.log1p(distance),
                 np.log1p(run_words), np.full(n, good.mean())]
    return np.hstack([own, *neighbours, page, _shape(texts, main)])


def _shape(texts: list[str], main: np.ndarray) -> np.ndarray:
    n = len(texts)
    marked = np.flatnonzero(main)
    lo, hi = (marked[0], marked[-1]) if len(marked) else (n, -1)
    lines = np.arange(n)
    before, after = lines < lo, lines > hi
    from_main = np.where(before, lo - lines, np.where(after, lines - hi, 0)) if len(marked) else np.full(n, n)
    per_script = np.array([[len(rx.findall(t)) for rx in _SCRIPTS.values()] for t in texts], dtype=float)
    script = per_script.sum(axis=0).argmax()  # the page's script: the one most of its letters are in
    letters = per_script.sum(axis=1)
    in_script = np.where(letters > 0, per_script[:, script] / np.maximum(letters, 1), 0)
    return np.c_[before, after, np.log1p(from_main), in_script,
                 [len(_CODE.findall(t)) / max(len(t), 1) for t in texts],
                 [bool(_LIST_MARKER.match(t)) for t in texts]].astype(float)


def _distance_to(marked: np.ndarray, n: int) -> np.ndarray:
    """For each of n lines, how far the nearest marked line (ascending positions) is; n where none is.
    By bisection: the n x marked table of every distance was 30 s and gigabytes for a 5 MB page."""
    if not len(marked):
        return np.full(n, n)
    lines = np.arange(n)
    after = np.minimum(np.searchsorted(marked, lines), len(marked) - 1)
    before = np.maximum(after - 1, 0)
    return np.minimum(np.abs(marked[after] - lines), np.abs(lines - marked[before]))


@dataclass
class Trees:
    """A binary HistGradientBoostingClassifier's trees, padded into one array per node field (tree x node):
    raw score = baseline + the value of the leaf each tree sends the row to; P(article) = sigmoid. All trees
    walk down together, one level per step, so a page costs a few array operations per level."""

    baseline: float
    feature: np.ndarray  # (trees, nodes) int
    threshold: np.ndarray  # go left when x <= threshold
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray  # bool
    value: np.ndarray
    missing_left: np.ndarray  # bool: where NaN goes

    def predict(self, x: np.ndarray) -> np.ndarray:
        n, t = len(x), len(self.feature)
        trees = np.arange(t)[None, :]
        node = np.zeros((n, t), dtype=np.int64)
        rows = np.arange(n)[:, None]
        while True:
            at_leaf = self.leaf[trees, node]
            if at_leaf.all():
                break
            v = x[rows, self.feature[trees, node]]
            go_left = np.where(np.isnan(v), self.missing_left[trees, node], v <= self.threshold[trees, node])
            nxt = np.where(go_left, self.left[trees, node], self.right[trees, node])
            node = np.where(at_leaf, node, nxt)
        return 1 / (1 + np.exp(-(self.baseline + self.value[trees, node].sum(axis=1))))

    @classmethod
    def from_dict(cls, d: dict) -> Trees:
        size = max(len(t["feature"]) for t in d["trees"])

        def padded(key, dtype):
            out = np.zeros((len(d["trees"]), size), dtype=dtype)
            for k, t in enumerate(d["trees"]):
                out[k, :len(t[key])] = t[key]
            return out

        return cls(float(d["baseline"]), padded("feature", np.int64), padded("threshold", np.float64),
                   padded("left", np.int64), padded("right", np.int64), padded("leaf", bool),
                   padded("value", np.float64), padded("missing_left", bool))


# A page none of whose kept lines has this many words has no main text (a menu, a list of links)
MIN_LINE_WORDS = 5


def keep(p: np.ndarray, threshold: float, vetoed, x: np.ndarray) -> np.ndarray:
    """The lines kept: probability at the threshold or above and not vetoed by the rules, on a page where
    one of them at least reads like a sentence (``x``: the features; column 0 is log1p of its words)."""
    kept = (p >= threshold) & ~np.asarray(vetoed, dtype=bool)
    if not (np.expm1(x[kept, 0]) >= MIN_LINE_WORDS - 0.5).any():
        return np.zeros(len(p), dtype=bool)
    return kept


@dataclass
class LineModel:
    trees: Trees
    threshold: float  # P(article) from which a line is kept
    info: dict

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.trees.predict(x)


@cache
def shipped() -> LineModel | None:
    path = resources.files("twinpages").joinpath("resources/lineclass.json")
    if not path.is_file():
        return None
    d = json.loads(path.read_text(encoding="utf-8"))
    return LineModel(Trees.from_dict(d["model"]), float(d["threshold"]), d.get("info", {}))
