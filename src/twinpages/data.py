"""The plain records that flow between stages.

Document → (lines, main text) → sentences → embeddings → candidate pairs → aligned pairs.
Every stage takes and returns these; none of them holds a model or a file handle, so a batch of
them can be pickled to another process or written to disk between phases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(slots=True)
class Line:
    """One non-empty line (block) of a document's raw text, as the extractor judged it."""

    number: int  # 1-based line number in the raw text
    text: str  # stripped of surrounding whitespace
    is_main: bool = False
    reason: str = ""  # why it was kept or dropped: shown in reports, counted in stats


@dataclass(slots=True)
class Sentence:
    """A sentence of a document's main text; offsets index ``Document.main_text``."""

    text: str
    start: int
    end: int
    line: int  # 1-based raw line number it came from
    lang: str | None = None


@dataclass(slots=True)
class Document:
    id: str
    raw: str  # the text as read (a line dump), or the whole page's text for HTML
    source: str = ""  # path or archive location it was read from
    url: str | None = None
    html: str | None = None  # the page as read, for documents that came as HTML (released after extraction)
    lang: str | None = None  # document language, ISO 639-1
    lang_score: float = 0.0
    lines: list[Line] = field(default_factory=list)
    main_text: str = ""
    sentences: list[Sentence] = field(default_factory=list)
    # encoder name -> (len(sentences), dim) L2-normalised vectors; one encoder per language pair
    embeddings: dict[str, np.ndarray] = field(default_factory=dict)
    # what was repaired to read it (kind, message): reported as warnings, the document is kept
    warnings: list[tuple[str, str]] = field(default_factory=list)
    # the page's other language versions, as it declares them (hreflang alternates, a canonical URL
    # other than its own), normalised (urls.normalise_url): candidates and evidence, never proof
    alternates: list[str] = field(default_factory=list)
    # stages/dates.py: when it was fetched (its record's date, ISO 8601 UTC) and published (YYYY-MM-DD),
    # and where the publication date came from ("html", "url"); None where unknown
    crawled: str | None = None
    published: str | None = None
    published_from: str | None = None

    @property
    def name(self) -> str:
        """What a person should see for this document: its URL, else where it came from, else its id."""
        return self.url or self.source or self.id


@dataclass(slots=True)
class DocError:
    """A per-document failure: recorded, reported, and the run goes on. A ``warning`` is a document kept
    after a repair (a stray byte decoded, an id made unique): reported the same way, not dropped."""

    doc_id: str
    source: str
    stage: str
    error: str  # short type, e.g. "decode", "empty", "too_large"
    message: str
    severity: str = "error"  # "error": the document was dropped; "warning": kept, see the message


def warnings_of(doc: Document) -> list[DocError]:
    """The repairs made to read a document, as the warning records the run reports."""
    return [DocError(doc.id, doc.source, "read", kind, message, "warning") for kind, message in doc.warnings]


@dataclass(slots=True, frozen=True)
class Candidate:
    """A document pair worth aligning, from the vector index. ``src``/``tgt`` index the document list."""

    src: int
    tgt: int
    margin: float  # the document vectors' ratio margin


@dataclass(slots=True)
class Candidates:
    """Candidate pairs as three columns. A corpus has millions of candidates, and one Python object
    per pair costs more memory than the document vectors they come from; iterating gives Candidates."""

    src: np.ndarray  # int64 document indices
    tgt: np.ndarray  # int64
    margin: np.ndarray  # float32: the document vectors' ratio margin (stages/candidates.py)

    @classmethod
    def empty(cls) -> Candidates:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))

    @classmethod
    def concat(cls, parts: list[Candidates]) -> Candidates:
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("src", "tgt", "margin")))

    def __len__(self) -> int:
        return len(self.src)

    def __getitem__(self, rows) -> Candidates:  # a slice or an index array
        return Candidates(self.src[rows], self.tgt[rows], self.margin[rows])

    def __iter__(self):
        for s, t, m in zip(self.src.tolist(), self.tgt.tolist(), self.margin.tolist(), strict=True):
            yield Candidate(s, t, m)

    def by_margin(self) -> Candidates:
        """Best margin first, then by indices: an order that does not depend on how they were found."""
        return self[np.lexsort((self.tgt, self.src, -self.margin))]

    def by_pair(self) -> Candidates:
        """Grouped by source document (then target), so a document's data is fetched once for all its pairs."""
        return self[np.lexsort((self.tgt, self.src))]


@dataclass(slots=True)
class SentPair:
    """One aligned bead: consecutive sentences of each side (1-1, 1-n, n-1), or one side empty."""

    src_idx: tuple[int, ...]
    tgt_idx: tuple[int, ...]
    src_text: str
    tgt_text: str
    # Similarity above what the two documents' sentences share on average (see sentalign.py), on
    # USE-m3's scale whatever the encoder: about 0 for unrelated sentences, 0.5 for a typical translation.
    score: float
    cosine: float = 0.0  # the encoder's raw cosine of the two sides
    translator: str = "unknown"  # "machine", "human" or "unknown": the provenance model's verdict on this bead
    translator_probability: float | None = None  # P(machine) for this bead; None: no model
    # The lowest cosine of one of the bead's sentences with the other side's whole text (the cosine itself
    # for a 1-1 bead): a sentence pulled into a bead it does not belong to shows here, one that a translator
    # split in two does not (the bitext filter reads it)
    part_cosine: float | None = None  # None (a bead made by hand): read as ``cosine``
    # The bitext filter's reading of the bead, made in the worker that decided the pair (stages/beadfilter.py):
    # its probability that the two sides translate each other, and each side's language where segment language
    # ID is sure of it (None: not sure). translation_probability None: not judged yet (the writer judges it).
    translation_probability: float | None = None
    src_lid: str | None = None
    tgt_lid: str | None = None

    def turned(self) -> SentPair:
        """The same bead read from the other side."""
        return SentPair(self.tgt_idx, self.src_idx, self.tgt_text, self.src_text, self.score, self.cosine,
                        self.translator, self.translator_probability, self.part_cosine,
                        self.translation_probability, self.tgt_lid, self.src_lid)


@dataclass(slots=True)
class DocPair:
    src_id: str
    tgt_id: str
    src_lang: str
    tgt_lang: str
    score: float
    src_coverage: float  # share of the source's main-text sentences that are aligned
    tgt_coverage: float
    direction: str  # "src->tgt" written with languages, e.g. "en->de"; "unknown" when the evidence is weak
    direction_evidence: list[str] = field(default_factory=list)
    beads: list[SentPair] = field(default_factory=list)  # in document order, unaligned sentences included
    src_name: str = ""
    tgt_name: str = ""
    candidate_score: float = 0.0
    # where each document can be fetched again (Document.source: FILE:LINE, FILE:OFFSET, ...)
    src_pointer: str = ""
    tgt_pointer: str = ""
    # the documents' dates (Document.crawled, .published): evidence for a person, not for the direction
    src_crawled: str | None = None
    tgt_crawled: str | None = None
    src_published: str | None = None
    tgt_published: str | None = None
    # aligned passages, PAN-style: [start, end) character offsets into each side's main text
    src_spans: list[tuple[int, int]] = field(default_factory=list)
    tgt_spans: list[tuple[int, int]] = field(default_factory=list)
    linked: bool = False  # one page names the other as a language version of itself (hreflang, canonical)
    # the provenance model's verdicts (stages/provenance.py); None where no model covers the language pair
    direction_probability: float | None = None  # P(the src side is the original)
    translator: str = "unknown"  # "machine", "human" or "unknown"
    translator_probability: float | None = None  # P(the translation is a machine's)

    @property
    def n_aligned(self) -> int:
        return sum(1 for p in self.beads if p.src_idx and p.tgt_idx)
