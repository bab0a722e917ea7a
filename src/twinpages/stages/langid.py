"""Language identification of documents and of their sentences.

The document language comes from the main text as a whole; each sentence gets its own label too,
because web pages mix languages (a quoted fragment, an untranslated menu) and the aligner and the
direction test read those labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..backends.lid import get_identifier
from ..data import Document
from ..settings import setting

# ISO 639-2 (bibliographic and terminological) and 639-3 codes of the languages crawls are mostly made
# of, and the deprecated 639-1 codes that old pages still declare, to the 639-1 codes used throughout
_TAG_ALIASES = {
    "ara": "ar", "bul": "bg", "cat": "ca", "ces": "cs", "cze": "cs", "dan": "da", "deu": "de", "ger": "de",
    "ell": "el", "gre": "el", "eng": "en", "spa": "es", "est": "et", "eus": "eu", "baq": "eu", "fas": "fa",
    "per": "fa", "fin": "fi", "fra": "fr", "fre": "fr", "gle": "ga", "glg": "gl", "heb": "he", "hin": "hi",
    "hrv": "hr", "hun": "hu", "ind": "id", "isl": "is", "ice": "is", "ita": "it", "jpn": "ja", "kor": "ko",
    "lit": "lt", "lav": "lv", "mlt": "mt", "nld": "nl", "dut": "nl", "nor": "no", "nob": "no", "nb": "no",
    "pol": "pl", "por": "pt", "ron": "ro", "rum": "ro", "rus": "ru", "slk": "sk", "slo": "sk", "slv": "sl",
    "srp": "sr", "swe": "sv", "tha": "th", "tur": "tr", "ukr": "uk", "vie": "vi", "zho": "zh", "chi": "zh",
    "cmn": "zh", "iw": "he", "in": "id", "ji": "yi",
}


def language_tag(tag: str) -> str:
    """A declared language (``DE``, ``en-GB``, ``zh_Hant``, ``deu``) as the ISO 639-1 code the stages use:
    case folded, region and script dropped (BCP 47's primary subtag), three-letter codes mapped."""
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return _TAG_ALIASES.get(primary, primary)


@dataclass(frozen=True, slots=True)
class LangIdConfig:
    # fastText measured best on sentences: see BENCHMARKS.md
    backend: str = setting("fasttext", flag="--lid", choices=("fasttext", "cld2"), help="language-ID backend")


class LanguageIdentifier:
    def __init__(self, config: LangIdConfig = LangIdConfig()):
        self.config = config
        self._lid = None

    @property
    def lid(self):
        if self._lid is None:
            self._lid = get_identifier(self.config.backend)
        return self._lid

    def identify(self, doc: Document) -> Document:
        """Label the document from its main text, unless the reader already knew its language."""
        if doc.lang is None:
            doc.lang, doc.lang_score = self.lid.detect(doc.main_text or doc.raw)
        return doc

    def label_sentences(self, doc: Document) -> Document:
        """Label each sentence; run after sentence splitting (which needs the document language)."""
        for sent in doc.sentences:
            sent.lang, _ = self.lid.detect(sent.text)
        return doc

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            yield self.identify(doc)

    def __getstate__(self):
        return {"config": self.config, "_lid": None}
