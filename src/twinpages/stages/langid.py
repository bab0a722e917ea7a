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

# Individual languages that the language-ID backends (fastText, CLD2) label by their macrolanguage: a page
# declared nb-NO is Norwegian to them, and to the pairs the user asks for
_AS_IDENTIFIED = {"nb": "no"}


def language_tag(tag: str) -> str:
    """A declared language (``DE``, ``en-GB``, ``zh_Hant``, ``deu``, ``epo_Latn``, ``iw``) as the ISO 639-1
    code the stages use: standardised by langcodes (ISO 639-2/3 to the shortest code, deprecated and
    macrolanguage codes to their current ones, ``cmn`` to ``zh``), region and script dropped. A tag
    langcodes cannot parse keeps its first subtag, case-folded (``xx``)."""
    import langcodes

    text = tag.strip().replace("_", "-")
    try:
        primary = langcodes.standardize_tag(text, macro=True).split("-")[0]
    except (ValueError, LookupError):
        primary = text.split("-")[0]
    primary = primary.lower()
    return _AS_IDENTIFIED.get(primary, primary)


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
