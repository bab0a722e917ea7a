"""Sentence splitting of each document's main text.

The splitter is the Moses/Europarl rule set (Koehn & Schroeder) packaged as ``sentence-splitter``:
it keeps German ordinals and dates ("am 18. Februar") and abbreviations ("z. B.", "Gen.") together,
which is what measured best in benchmarks/splitters.py. Two gaps of those rules are closed here:
German closing quotes (``„…“`` ends with U+201C, which Moses does not take for a closing quote)
and scripts written without spaces (Chinese, Japanese), where 。！？ end a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from ..data import Document, Sentence
from ..settings import setting

# Languages with Moses non-breaking prefix lists in sentence-splitter 1.4.
MOSES_LANGS = frozenset(
    "ca cs da de el en es fi fr hu is it lt lv nl no pl pt ro ru sk sl sv tr".split()
)
_CJK_END = re.compile(r"(?<=[。！？!?])(?![」』”’）)])")
# A sentence end before a closing quote that Moses leaves joined: „Wir kommen.“ Dann ...
_PIECE_END = re.compile(r"[.!?。！？]\s+")
_QUOTE_END = re.compile(r"(?<=[.!?…][“”»’\"'])\s+(?=[„“\"«»]?[A-ZÄÖÜÀ-ÝА-ЯΑ-Ω0-9])")


@dataclass(frozen=True, slots=True)
class SegmentConfig:
    max_sentence_chars: int = setting(2000, low=1)  # longer "sentences" (tables, lists without punctuation) are cut


@lru_cache(maxsize=64)
def _moses(lang: str):
    from sentence_splitter import SentenceSplitter

    return SentenceSplitter(language=lang if lang in MOSES_LANGS else "en")


def split_sentences(text: str, lang: str | None) -> list[str]:
    """Split one paragraph into sentences (strings are substrings of ``text``, stripped)."""
    text = text.strip()
    if not text:
        return []
    lang = (lang or "en").lower()
    if lang in ("zh", "ja"):
        parts = _CJK_END.split(text)
    else:
        parts = []
        for piece in _moses(lang).split(text):
            parts.extend(_QUOTE_END.split(piece))
    return [p.strip() for p in parts if p.strip()]


def _chunks(text: str, limit: int) -> Iterator[str]:
    """A paragraph in pieces of at most ``limit`` characters, cut after a sentence end where there is one
    in the piece's second half, else at a space: the splitter's rules take time that grows faster than
    the text (a 2 MB line without punctuation took minutes), and no sentence is that long."""
    while len(text) > limit:
        window = text[limit // 2:limit]
        ends = [m.end() for m in _PIECE_END.finditer(window)]
        cut = limit // 2 + (ends[-1] if ends else (window.rfind(" ") + 1 or len(window)))
        yield text[:cut]
        text = text[cut:]
    yield text


def _cut(sentence: str, limit: int) -> list[str]:
    """Cut an over-long sentence at spaces so the encoder and aligner see bounded inputs."""
    if len(sentence) <= limit:
        return [sentence]
    out, rest = [], sentence
    while len(rest) > limit:
        cut = rest.rfind(" ", 0, limit)
        cut = cut if cut > limit // 2 else limit
        out.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        out.append(rest)
    return out


def segment_document(doc: Document, config: SegmentConfig = SegmentConfig()) -> Document:
    """Fill ``doc.sentences`` from ``doc.main_text``, one paragraph (kept line) at a time."""
    sentences: list[Sentence] = []
    kept = [line for line in doc.lines if line.is_main]
    pos = 0
    for line in kept:
        start_line = doc.main_text.find(line.text, pos)
        if start_line < 0:  # main_text was set by hand; fall back to searching from the start
            start_line = doc.main_text.find(line.text)
        cursor = max(start_line, 0)
        for sent in (s for chunk in _chunks(line.text, 10 * config.max_sentence_chars)
                     for s in split_sentences(chunk, doc.lang)):
            for piece in _cut(sent, config.max_sentence_chars):
                start = doc.main_text.find(piece, cursor)
                if start < 0:
                    continue
                end = start + len(piece)
                sentences.append(Sentence(text=piece, start=start, end=end, line=line.number))
                cursor = end
        pos = max(cursor, pos)
    doc.sentences = sentences
    return doc


def run(docs: Iterable[Document], config: SegmentConfig = SegmentConfig()) -> Iterator[Document]:
    for doc in docs:
        yield segment_document(doc, config)
