"""`query`: where was this document translated? One document against a finished run, without `mine`.

    from twinpages.query import RunIndex
    run = RunIndex("out/")
    answer = run.query_file("artikel.html")       # or run.query_bytes(data), run.query_id("doc-17")
    for twin in answer.twins:
        print(twin.pair.score, twin.pair.src_coverage, twin.pair.tgt_coverage, twin.pair.direction)

The query document goes through the run's own stages and settings (run.json): extraction, language ID,
sentences, embeddings. Its candidates come from the run's index shards (phases/search.py) of every
language it pairs with, scored with the same ratio margin as in `mine`, where the run's answer files
give each candidate's own neighbourhood, with the query added to it as a fresh run over the corpus plus
the query would; the same relative-margin cut; then each candidate is decided and aligned as `mine`
decides a pair (Pipeline.decide). So a twin's record is the one `mine` would write for that pair.

The run is read, never written: a query changes nothing (``twinpages add`` adds documents).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .config import load_config
from .data import DocError, DocPair, Document, warnings_of
from .phases.docshards import DocReader, read_table, shard_ids
from .phases.search import LanguagePair, PairLanguages, language_codes, pair_output, plan_search
from .phases.state import RunState
from .pipeline import Pipeline
from .runfolder import is_run_folder
from .schemas import DOCPAIR
from .stages import readers
from .stages.candidates import mean_found
from .stages.embed import document_vector, pair_encoder
from .stages.vindex import VectorIndex, search_shards


class QueryError(ValueError):
    """The query document cannot be used (unreadable, no main text, a language the run does not pair):
    the message names it and says why."""

    def __init__(self, message: str, kind: str = "bad_document"):
        super().__init__(message)
        self.kind = kind


@dataclass(slots=True)
class Twin:
    pair: DocPair  # as `mine` writes it: src is the original where the direction is known
    other: str  # the run's document on the other side: its id

    def record(self) -> dict:
        """The docpairs record, the other document's id, and the aligned passages' text."""
        beads = [{"src": b.src_text, "tgt": b.tgt_text, "src_idx": list(b.src_idx), "tgt_idx": list(b.tgt_idx),
                  "score": round(b.score, 4)} for b in self.pair.pairs if b.src_idx and b.tgt_idx]
        return DOCPAIR.row(self.pair) | {"document": self.other, "beads": beads}


@dataclass(slots=True)
class Answer:
    query: Document
    twins: list[Twin] = field(default_factory=list)
    candidates: int = 0  # candidates decided
    seconds: float = 0.0
    warnings: list[DocError] = field(default_factory=list)

    def record(self) -> dict:
        q = self.query
        return {"query": {"id": q.id, "url": q.url, "lang": q.lang, "sentences": len(q.sentences)},
                "twins": [t.record() for t in self.twins], "candidates": self.candidates,
                "seconds": round(self.seconds, 3),
                "warnings": [{"error": w.error, "message": w.message} for w in self.warnings]}


@dataclass(frozen=True, slots=True)
class Target:
    """A language a query is searched against: its index (encoder, kind), the run's language pair with
    the query's language (None when the run has no document in it) and the query language's documents."""

    lang: str
    encoder: str
    approximate: bool
    pair: LanguagePair | None
    own: int


class RunIndex:
    """A finished run, opened for queries. Loads each language's index shards and neighbourhoods on first
    use and keeps them; queries are answered one at a time (the encoder has the machine's cores)."""

    def __init__(self, run_dir: str | Path, threads: int | None = None):
        root = Path(run_dir)
        state = RunState.load(root / "shards")
        if not is_run_folder(root) or state is None or not (root / "run.json").exists():
            raise ValueError(f"{run_dir}: not a finished twinpages run (run.json, shards/state.json); "
                             "run `twinpages mine INPUT... -o RUN_DIR` first")
        config = load_config(root / "run.json")
        # no embedding cache: a query is embedded once, and the run's cache (a SQLite file, which one
        # thread may use) need not exist where the run is served
        config = replace(config, embed=replace(config.embed, cache=None, threads=threads or config.embed.threads))
        if config.candidates.same_site:
            raise ValueError(f"{run_dir}: a --same-site run keeps no vector index to query; mine without "
                             "--same-site")
        self.root, self.shards, self.state, self.config = root, root / "shards", state, config
        codes, names = language_codes(self.shards, state.index)
        self.plan = plan_search(config, self.shards, state.index, codes, names)
        self.pipe = Pipeline(config)
        self.docs = DocReader(self.shards / "documents", self.shards / "vectors", state.index, state.encoders)
        self._lock = threading.RLock()  # the pipeline and the document cache serve one thread at a time
        self._indexes: dict[tuple, list[VectorIndex]] = {}
        self._hoods: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._numbers: dict[str, int] | None = None

    # --- the query document --------------------------------------------------------------------------

    def query_bytes(self, data: bytes, name: str = "query", fmt: str | None = None) -> Answer:
        """A document given as bytes (``fmt``: html or txt, else sniffed)."""
        doc = readers.read_blob(data, name, name, fmt, self.config.read)
        if isinstance(doc, DocError):
            raise QueryError(f"{name}: {doc.error}: {doc.message}", doc.error)
        return self.query_document(doc)

    def query_file(self, path: str | Path) -> list[Answer]:
        """Every document of a file (a page, a line dump; a JSONL or WARC file holds several)."""
        answers = []
        for doc in readers.read([path], self.config.read):
            if isinstance(doc, DocError):
                raise QueryError(f"{doc.source}: {doc.error}: {doc.message}", doc.error)
            answers.append(self.query_document(doc))
        return answers

    def query_id(self, key: str) -> Answer:
        """A document of the run, by id or URL: its twins among the run's other documents."""
        with self._lock:
            number = self._number_of(key)
            if number is None:
                raise QueryError(f"{key}: no such file, and no document of the run has this id or URL", "not_found")
            return self._answer(self.docs[number], number)

    def query_document(self, doc: Document) -> Answer:
        with self._lock:
            warnings = warnings_of(doc)
            done = self.pipe.analyse_one(doc)
            if isinstance(done, DocError) and done.error == "unsupported_language":
                return Answer(doc, warnings=warnings + [done])  # a page, not an error: it has no twin here
            if isinstance(done, DocError):
                raise QueryError(f"{done.doc_id}: {done.error}: {done.message}", done.error)
            answer = self._answer(done, None)
            answer.warnings = warnings + answer.warnings
            return answer

    # --- the run's documents ---------------------------------------------------------------------------

    def number_of(self, key: str) -> int | None:
        """The run-wide number of the document with this id (else URL)."""
        with self._lock:
            return self._number_of(key)

    def _number_of(self, key: str) -> int | None:
        if self._numbers is None:
            index, numbers, urls = self.state.index, {}, {}
            renames = index.renames()
            for k, name in enumerate(index.names):
                path = self.shards / "documents" / f"{name}.parquet"
                ids, urls_read = shard_ids(path, renames.get(k)), read_table(path, ["url"]).column("url").to_pylist()
                for row, (doc_id, url) in enumerate(zip(ids, urls_read, strict=True)):
                    numbers[doc_id] = index.bases[k] + row
                    if url:
                        urls.setdefault(url, index.bases[k] + row)
            self._numbers = urls | numbers  # an id wins over a URL
        return self._numbers.get(key)

    def document(self, key: str) -> Document | None:
        with self._lock:
            number = self._number_of(key)
            return None if number is None else self.docs[number]

    # --- search and decide ------------------------------------------------------------------------------

    def _answer(self, doc: Document, number: int | None) -> Answer:
        t0 = time.monotonic()
        targets = self.targets(doc.lang)
        if not targets:  # no twin can be found, and that is the answer
            return Answer(doc, warnings=[DocError(doc.id, doc.source, "query", "unsupported_language",
                                                  f"its language ({doc.lang}) pairs with none of the run's "
                                                  f"({', '.join(self.languages()) or 'none'})", "warning")])
        if number is None:  # a new document: embedded with each encoder of its language pairs
            doc = next(iter(self.pipe.embedder.run([doc], {doc.lang: {t.encoder for t in targets}})))
        answer = Answer(doc)
        for target in targets:
            for other, margin in self._candidates(doc, number, target):
                a, b = (doc, other) if doc.lang < target.lang else (other, doc)  # as `mine` orders a pair
                answer.candidates += 1
                found = self.pipe.decide(a, b, margin)
                if found is not None:
                    answer.twins.append(Twin(found, other.id))
        answer.twins.sort(key=lambda t: (-t.pair.score, t.other))
        answer.seconds = time.monotonic() - t0
        return answer

    def languages(self) -> list[str]:
        return sorted({lang for (_, lang, _) in self.plan.shards})

    def targets(self, lang: str | None) -> list[Target]:
        """The run's languages a document in ``lang`` is searched against: every indexed language (or those
        paired with it by the run's -l), in the index of the encoder of that language pair."""
        wanted = {tuple(sorted(p)) for p in self.config.candidates.langs}
        out = []
        for other in self.languages():
            if lang is None or other == lang or (wanted and tuple(sorted((lang, other))) not in wanted):
                continue
            encoder = pair_encoder(self.config.embed, lang, other)
            kinds = [approx for (e, m, approx) in self.plan.shards if e == encoder and m == other]
            if not kinds:
                continue
            a, b = sorted((lang, other))
            pair = next((p for p in self.plan.pairs if (p.encoder, p.a, p.b) == (encoder, a, b)), None)
            approx = pair.approximate if pair else max(kinds)
            own = sum(s.documents for s in self.plan.shards.get((encoder, lang, approx), []))
            out.append(Target(other, encoder, approx, pair, own))
        return out

    def _candidates(self, doc: Document, number: int | None, target: Target) -> list[tuple[Document, float]]:
        """The run's documents of the target language that `mine` over the run's documents (and this one,
        when new) would make candidates with it: its k nearest, scored by the ratio margin, within
        ``relative_margin`` of the best margin of each side."""
        cc = self.config.candidates
        shards = self._index(target.encoder, target.lang, target.approximate)
        # mine's k: no more than either language has documents
        k = min(cc.k, target.own + (number is None), sum(len(s) for s in shards))
        query = document_vector(doc, target.encoder)[None, :].astype(np.float32)
        found = search_shards(query, shards, k + (number is not None), cc.index_shortlist, cc.index_probes)
        ids, sims = found.ids[0], found.sims[0]
        if number is not None:
            ids, sims = ids[ids != number][:k], sims[ids != number][:k]
        own_mean = mean_found(sims[None, :], cc)[0]
        keep = (ids >= 0) & (sims >= cc.min_cosine)
        ids, sims = ids[keep], sims[keep]
        if not len(ids):
            return []
        hood_ids, hood_sims, best = self._hood(target)
        rows = np.searchsorted(hood_ids, ids)
        out = []
        for doc_id, cos, row in zip(ids.tolist(), sims.tolist(), rows.tolist(), strict=True):
            has = row < len(hood_ids) and hood_ids[row] == doc_id
            theirs = hood_sims[row, :k] if has else np.zeros(0, np.float32)
            if number is None:  # the query joins the neighbourhood, as in a run over the corpus and it
                theirs = np.sort(np.append(theirs[np.isfinite(theirs)], np.float32(cos)))[::-1][:k]
            # float32 throughout, as stages/candidates.py computes it: the same margin to the last bit
            margin = np.float32(cos) / ((own_mean + mean_found(theirs[None, :], cc)[0]) / np.float32(2.0))
            out.append((doc_id, margin, best[row] if has else 0.0))
        top = max(m for _, m, _ in out)
        kept = [(d, m) for d, m, b in out if cc.relative_margin <= 0 or m >= cc.relative_margin * max(top, b)]
        return [(self.docs[d], float(m)) for d, m in kept]

    def _index(self, encoder: str, lang: str, approximate: bool) -> list[VectorIndex]:
        key = (encoder, lang, approximate)
        if key not in self._indexes:
            self._indexes[key] = [VectorIndex.load(Path(s.path)) for s in self.plan.shards[key]]
        return self._indexes[key]

    def _hood(self, target: Target) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The target language's documents that have neighbours in the query's language (ascending
        numbers), their similarities to their k nearest there (the run's answer files), and each one's
        best candidate margin in the run. Empty when the run has no document in the query's language."""
        pair = target.pair
        if pair is None:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.float32), np.zeros(0, np.float32)
        key = (pair, target.lang)
        if key not in self._hoods:
            mine, theirs = (pair.a, pair.b) if target.lang == pair.a else (pair.b, pair.a)
            ids, nn = PairLanguages(self.config).neighbours(
                tuple(self.plan.shards[(pair.encoder, mine, pair.approximate)]),
                tuple(self.plan.shards[(pair.encoder, theirs, pair.approximate)]))
            best = np.zeros(len(ids), np.float32)
            cands = Path(pair_output(self.shards, pair, self.plan))
            if cands.exists():
                t = read_table(cands)
                side = t.column("src" if target.lang == pair.a else "tgt").to_numpy().astype(np.int64)
                np.maximum.at(best, np.searchsorted(ids, side), t.column("score").to_numpy().astype(np.float32))
            self._hoods[key] = (ids, nn.sims, best)
        return self._hoods[key]

    def warm(self) -> None:
        """Load every index shard, neighbourhood and encoder now (a server does so before it listens)."""
        for lang in self.languages():
            for target in self.targets(lang):
                self._index(target.encoder, target.lang, target.approximate)
                self._hood(target)
                self.pipe.embedder.encoder(target.encoder).encode(["twinpages"])  # the model loads on first use
