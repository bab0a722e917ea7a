"""Document analysis: one document as read -> its main text, language, sentences (and, with ``prepare``,
their vectors). The read phase runs it shard by shard (phases/read.py); ``align_files``, `query` and the
evaluations run it on the documents at hand.

The stages each load their model on first use (extraction's line classifier, language ID, the
encoders), in the process that uses them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from ..config import PipelineConfig
from ..data import DocError, Document, warnings_of
from ..limits import time_budget
from . import readers
from .dates import publication_date
from .embed import Embedder, covers, encoders_for
from .extract import Extractor
from .langid import LanguageIdentifier
from .repeats import RepeatedLines
from .segment import segment_document


class Analyser:
    def __init__(self, config: PipelineConfig = PipelineConfig(), embedder: Embedder | None = None):
        self.config = config
        self.extractor = Extractor(config.extract, lid_backend=config.langid.backend)
        self.lid = LanguageIdentifier(config.langid)
        self.embedder = embedder or Embedder(config.embed)

    def analyse_one(self, doc: Document | DocError, repeats: RepeatedLines | None = None) -> Document | DocError:
        if isinstance(doc, DocError):
            return doc
        stage = "extract"
        try:
            with time_budget(self.config.read.max_doc_seconds):
                self.extractor.extract(doc, repeats.repeated_in(doc) if repeats else None)
                if self.config.extract.publication_dates:
                    stage = "dates"
                    doc.published, doc.published_from = publication_date(doc.html, doc.url, doc.crawled)
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

    def take(self, item: Document | DocError, errors: list[DocError],
             repeats: RepeatedLines | None = None) -> Document | None:
        """One item as read, analysed: its error, or its warnings and its analysis's error, go to ``errors``;
        returns the document when it can be used. With ``repeats`` (counted over the same corpus), lines
        that recur across a site are dropped."""
        if isinstance(item, DocError):
            errors.append(item)
            return None
        errors += warnings_of(item)
        result = self.analyse_one(item, repeats)
        if isinstance(result, DocError):
            errors.append(result)
            return None
        return result

    def analyse(self, items: Iterable[Document | DocError], errors: list[DocError],
                repeats: RepeatedLines | None = None) -> Iterator[Document]:
        """read → extract → language ID → sentences, one document at a time, in this process."""
        for item in items:
            doc = self.take(item, errors, repeats)
            if doc is not None:
                yield doc

    def prepare(self, items: Iterable[Document | DocError], errors: list[DocError]) -> list[Document]:
        """read → extract → language ID → sentences → embeddings. Which encoders a document needs depends on
        the languages it can pair with, so embedding waits until the languages of all documents are known."""
        analysed = list(self.analyse(items, errors))
        return list(self.embedder.run(analysed, encoders_for(self.config.embed, (d.lang for d in analysed))))


def load_documents(paths: Iterable[str | Path], config: PipelineConfig = PipelineConfig(),
                   analyser: Analyser | None = None) -> tuple[list[Document], list[DocError]]:
    """The documents of these files, analysed and embedded, and what could not be used."""
    analyser = analyser or Analyser(config)
    errors: list[DocError] = []
    docs = analyser.prepare(readers.read(paths, config.read), errors)
    return docs, errors
