"""Main-text extraction for plain line dumps: keep the article, drop navigation and boilerplate.

A crawl's text dump puts every menu item, headline, share button and footer on its own line. Each
line is first judged alone (jusText's idea: length, sentence shape, stopword share, boilerplate
vocabulary), then in context: the article is the densest run of good lines, short sentence-like
lines inside that run are kept, and good-looking lines far from it (a footer's "Reach out to us…",
a teaser) are dropped unless they form a substantial run of their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from ..backends.lid import get_identifier
from ..data import Document, Line
from ..settings import setting

GOOD, NEAR, HEADING, BAD = "good", "near", "heading", "bad"
# Languages written without spaces or with particles glued to words: stopword shares mean nothing there
_NO_STOPWORD_SIGNAL = frozenset({"ja", "zh", "ko", "th", "lo", "km", "my"})

_TERMINAL = re.compile(r"[.!?。！？]['\"”“’»«)\]]*$")
_ELLIPSIS = re.compile(r"(…|\.\.\.)['\"”“’»)\]]*$")
_SENT_END = re.compile(r"[.!?。！？]+['\"”“’»)]*(?:\s+|$)")
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_CONTACT = re.compile(r"\S+@\S+\.\w+|https?://|www\.\S+|\+?\d[\d ()-]{8,}\d")
# Interface vocabulary: a line built around these words is navigation, not prose. Several
# languages, since content farms copy their templates across them.
_UI_WORDS = re.compile(
    r"\b(subscribe|log ?in|sign (in|up)|register|password|cookies?|privacy policy|terms of (use|service)|"
    r"all rights reserved|newsletter|advertis\w*|follow us|share this|read more|click here|source link|"
    r"related (posts|articles|stories)|more stories|leave a (comment|reply)|comments?|"
    r"anmelden|registrieren|passwort|datenschutz|impressum|weiterlesen|mehr lesen|teilen|"
    r"connexion|s'inscrire|mot de passe|lire la suite|partager|"
    r"iniciar sesión|regístrate|contraseña|leer más|compartir)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ExtractConfig:
    min_good_words: int = setting(10, low=0)  # a line shorter than this is at best "near" good
    # generated bios ("Coffee trailblazer. Pop culture lover.") fall below
    min_words_per_sentence: float = setting(5.0, low=0.0)
    min_stopword_share: float = setting(0.18, low=0.0, high=1.0)  # prose has function words; headlines and menus few
    max_gap: int = setting(2, low=0)  # bad lines allowed inside a run of good lines (an ad, a caption)
    # a second run is kept if it has this share of the main run's words...
    min_run_share: float = setting(0.25, low=0.0, high=1.0)
    min_run_lines: int = setting(2, low=0)  # ...and at least this many good lines
    html_extractor: str = setting("trafilatura", flag="--html-extractor", choices=("trafilatura", "resiliparse"),
                                  help="HTML main-text extractor (resiliparse: fast mode, ~7x faster, "
                                       "lower precision)")
    repeated_min_docs: int = setting(3, low=0)  # a line in this many documents of one site is boilerplate; 0: off
    # a page with more elements is refused before the extractors build their trees (about 1 kB each)
    max_html_elements: int = setting(100_000, flag="--max-html-elements", low=1,
                                     help="largest HTML page extracted, in elements")
    mode: str = setting("auto", flag="--extract", choices=("auto", "none"),
                        help="none: text inputs are already clean main text (no boilerplate removal)")
    line_classifier: str = setting("model", flag="--line-classifier", choices=("rules", "model"),
                                   help="line dumps: the rules alone, or the learned classifier over the rules' "
                                        "verdicts and the lines' context (stages/lineclass.py)")
    publication_dates: bool = setting(True, flag="--no-publication-dates",
                                      help="skip finding each page's publication date (htmldate: stages/dates.py)")


@lru_cache(maxsize=64)
def stopwords(lang: str | None) -> frozenset[str]:
    if not lang:
        return frozenset()
    import stopwordsiso

    return frozenset(stopwordsiso.stopwords(lang)) if stopwordsiso.has_lang(lang) else frozenset()


def _words(text: str) -> list[str]:
    words = _WORD.findall(text.lower())
    cjk = len(_CJK.findall(text))
    if cjk > len(words):  # no spaces between words: count about two characters per word
        return ["x"] * max(1, cjk // 2)
    return words


def classify_line(text: str, lang: str | None, config: ExtractConfig = ExtractConfig()) -> tuple[str, str]:
    """Judge one line alone. Returns (GOOD | NEAR | BAD, reason)."""
    words = _words(text)
    n = len(words)
    if n == 0:
        return BAD, "no words"
    if _CONTACT.search(text):
        return BAD, "contact or link"
    terminal = bool(_TERMINAL.search(text))
    ui = _UI_WORDS.findall(text)
    # "Subscribe", "Share this" are interface; "…declined to comment." is a sentence about a comment
    if ui and (n <= 6 or not terminal or len(ui) >= 3):
        return BAD, "interface vocabulary"
    if _ELLIPSIS.search(text):
        return BAD, "teaser (ends with an ellipsis)"
    n_sent = max(1, len(_SENT_END.findall(text)))
    stop = stopwords(lang) if lang not in _NO_STOPWORD_SIGNAL else frozenset()
    stop_share = sum(w in stop for w in words) / n if stop else None
    if terminal and n_sent >= 2 and n / n_sent < config.min_words_per_sentence:
        return BAD, "fragments, not sentences"
    if stop_share is not None and n >= 4 and stop_share < config.min_stopword_share:
        return BAD, "few stopwords"
    if not terminal:
        if text.endswith(":") and n >= 3:
            return NEAR, "introduces a list"
        # A long line without final punctuation is usually a paragraph cut by the dump (keep), a short
        # one a headline, a menu or a list item (drop, unless it heads a section inside the article).
        if n >= 3 * config.min_good_words:
            return GOOD, "long, unpunctuated"
        return (HEADING, "heading-like") if 2 <= n <= 15 and text[:1].isupper() else (BAD, "no sentence end")
    if n >= config.min_good_words:
        return GOOD, "prose"
    if n >= 3:
        return NEAR, "short sentence"
    return BAD, "too short"


def _runs(classes: list[str], max_gap: int) -> list[tuple[int, int]]:
    """Maximal [start, end) spans that start and end with a good line, bridging short gaps of other lines."""
    runs, start, last_good, gap = [], None, None, 0
    for i, c in enumerate(classes):
        if c == GOOD:
            if start is None:
                start = i
            last_good, gap = i, 0
        elif start is not None:
            if c in (BAD, HEADING):
                gap += 1
            if gap > max_gap:
                runs.append((start, last_good + 1))
                start, last_good, gap = None, None, 0
    if start is not None:
        runs.append((start, last_good + 1))
    return runs


# Verdicts of the rules that the learned classifier may not overturn: boilerplate by its vocabulary or
# shape (a generated author bio, "More Stories", a teaser, contact lines, lines the whole site repeats, a
# line of punctuation alone)
VETO_REASONS = ("repeated on other pages of the site", "contact or link", "interface vocabulary",
                "teaser (ends with an ellipsis)", "fragments, not sentences", "no words")


EDGE_MIN_WORDS = 300
EDGE_DISTANCE = 4


class RuleVerdicts(NamedTuple):
    lines: list[Line]  # the non-empty lines, with the rules' main-text marks and reasons
    classes: list[str]  # each line's class alone (GOOD, NEAR, HEADING, BAD)
    vetoed: list[bool]  # lines the learned classifier may not keep
    repeated: list[bool]  # lines that recur across the document's site


def line_verdicts(raw: str, lang: str | None, config: ExtractConfig = ExtractConfig(),
                  repeated: set[int] | None = None) -> RuleVerdicts:
    """The rules' reading of a line dump. A line is vetoed for one of VETO_REASONS, and, on a page whose
    main text the rules found (EDGE_MIN_WORDS in its good lines), past the edges of that main text: a
    heading after it (a teaser's headline), a bad line EDGE_DISTANCE lines or more before or after it (menus,
    trending lists, share buttons). Lines between the runs are the model's to judge: a documentation page's
    code, lists and tables sit there (vetoing every line outside the runs, as before issue 33, cost 0.05 to
    0.15 of cross-validated shingle F1 per script family on Debian's manuals, BENCHMARKS.md)."""
    from .repeats import line_hash

    lines = [Line(number=i + 1, text=t.strip()) for i, t in enumerate(raw.splitlines()) if t.strip()]
    on_site = [bool(repeated) and line_hash(line.text) in repeated for line in lines]
    judged = [(BAD, "repeated on other pages of the site") if r else classify_line(line.text, lang, config)
              for line, r in zip(lines, on_site, strict=True)]
    classes = [c for c, _ in judged]
    runs = _runs(classes, config.max_gap)
    in_run: set[int] = set()
    if runs:
        def weight(run):
            return sum(len(_words(lines[i].text)) for i in range(*run) if classes[i] == GOOD)

        best = max(weight(r) for r in runs)

        def substantial(run):
            n_good = sum(classes[i] == GOOD for i in range(*run))
            return weight(run) >= config.min_run_share * best and n_good >= config.min_run_lines

        for start, end in (r for r in runs if weight(r) == best or substantial(r)):
            in_run.update(range(start, end))
    for i, (line, (cls, reason)) in enumerate(zip(lines, judged, strict=True)):
        line.is_main = i in in_run and cls in (GOOD, NEAR, HEADING)
        line.reason = reason if line.is_main or i in in_run or not runs else f"{reason}; outside the main text"
    first, last = (min(in_run), max(in_run)) if in_run else (0, len(lines))
    found = sum(len(_words(lines[i].text)) for i in in_run if classes[i] == GOOD) >= EDGE_MIN_WORDS

    def past_the_edges(i: int, cls: str) -> bool:
        beyond = max(first - i, i - last)
        return found and ((cls == HEADING and i > last) or (cls == BAD and beyond >= EDGE_DISTANCE))

    vetoed = [reason in VETO_REASONS or past_the_edges(i, cls) for i, (cls, reason) in enumerate(judged)]
    return RuleVerdicts(lines, classes, vetoed, on_site)


def reads_clean(classes: list[str]) -> bool:
    """Every line reads as a sentence: a text with nothing to remove (a clean record, a description), which
    the learned classifier is not asked about — trained on pages framed by menus and footers, it would
    doubt the text's last line."""
    return all(cls in (GOOD, NEAR) for cls in classes)


def extract_lines(raw: str, lang: str | None, config: ExtractConfig = ExtractConfig(),
                  repeated: set[int] | None = None) -> list[Line]:
    """Split a line dump into non-empty lines and mark the main text. ``repeated`` holds the hashes
    (stages/repeats.py) of lines that recur across the document's site: those are boilerplate. With
    ``line_classifier="model"`` the learned classifier decides (stages/lineclass.py), reading the rules'
    verdicts among its features; it may not keep a line the rules veto."""
    lines, classes, vetoed, on_site = line_verdicts(raw, lang, config, repeated)
    if config.line_classifier == "model" and lines and not reads_clean(classes):
        from . import lineclass

        model = lineclass.shipped()
        if model is not None:
            stop = stopwords(lang) if lang not in _NO_STOPWORD_SIGNAL else frozenset()
            x = lineclass.features([line.text for line in lines], classes, [line.is_main for line in lines],
                                   on_site, stop)
            p = model.predict(x)
            kept = lineclass.keep(p, model.threshold, vetoed, x)
            for line, pi, veto, k in zip(lines, p.tolist(), vetoed, kept.tolist(), strict=True):
                line.is_main = k
                line.reason = (f"line model: P(article) {pi:.2f}" + (" (vetoed by the rules)" if veto else "")
                               + f"; rules: {line.reason}")
    return lines


def page_language(raw: str, lid, min_words: int = 8, max_lines: int = 400) -> str | None:
    """The language most of a page's prose-like lines are in, by words. Labelling the whole dump at
    once fails on pages whose menus, cookie notices or language pickers are in other languages."""
    votes: dict[str, int] = {}
    for text in raw.splitlines()[:5000]:
        n = len(_words(text))
        if n >= min_words:
            lang, _ = lid.detect(text)
            if lang:
                votes[lang] = votes.get(lang, 0) + n
            max_lines -= 1
            if not max_lines:
                break
    if not votes:
        return lid.detect(raw[:20_000])[0]
    return max(sorted(votes), key=votes.get)


def extract_html(html: str, config: ExtractConfig = ExtractConfig()) -> tuple[str, list[Line]]:
    """(whole-page text, lines): the main-content paragraphs first, then the page's other lines,
    marked as removed, so a report can show what extraction dropped."""
    from ..backends.html import check_complexity, main_paragraphs, page_text

    check_complexity(html, max_elements=config.max_html_elements)
    main = main_paragraphs(html, config.html_extractor)
    page = page_text(html)
    in_main = set(main)
    lines = [Line(k + 1, p, is_main=True, reason="HTML main content") for k, p in enumerate(main)]
    lines += [Line(len(main) + k + 1, t, is_main=False, reason="outside the HTML main content")
              for k, t in enumerate(t for t in page if t not in in_main)]
    return "\n".join(page), lines


class Extractor:
    """The extraction stage: HTML through an HTML extractor, line dumps through the line classifier.
    For line dumps it uses the document's language when the reader knew it, else guesses it from the
    raw text, because the stopword signal needs a language before the text is clean."""

    def __init__(self, config: ExtractConfig = ExtractConfig(), lid_backend: str = "fasttext"):
        self.config = config
        self.lid_backend = lid_backend
        self._lid = None

    def extract(self, doc: Document, repeated: set[int] | None = None) -> Document:
        if self.config.mode == "none" and doc.html is None:  # clean text: every line is main text
            doc.lines = [Line(i + 1, t.strip(), True, "clean input") for i, t in enumerate(doc.raw.splitlines())
                         if t.strip()]
            doc.main_text = "\n".join(line.text for line in doc.lines)
            return doc
        if doc.html is not None:
            doc.raw, doc.lines = extract_html(doc.html, self.config)
            doc.main_text = "\n".join(line.text for line in doc.lines if line.is_main)
            return doc
        lang = doc.lang
        if lang is None:
            if self._lid is None:
                self._lid = get_identifier(self.lid_backend)
            lang = page_language(doc.raw, self._lid)
        doc.lines = extract_lines(doc.raw, lang, self.config, repeated)
        doc.main_text = "\n".join(line.text for line in doc.lines if line.is_main)
        return doc

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            yield self.extract(doc)
