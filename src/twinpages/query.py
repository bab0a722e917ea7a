"""`query`: where was this document translated? One document against a finished run, without `mine`.

    from twinpages.query import RunIndex
    run = RunIndex("out/")
    answer = run.query_file("artikel.html")       # or run.query_bytes(data), run.query_id("doc-17")
    for twin in answer.twins:
        print(twin.pair.score, twin.pair.src_coverage, twin.pair.tgt_coverage, twin.pair.direction)

The query document goes through the run's own stages and settings (run.json): extraction, language ID,
sentences, embeddings. It is searched against every language of the run that one encoder covers with
it, whether or not the run mined that language pair (an archive in one language answers a page in
another): in the run's index shards (phases/search.py), or, for a language the run indexed for no pair,
in an index built in memory from the run's vectors on first use. Its candidates are those a fresh `mine`
over the run's documents and the query would make: the query's k nearest documents and the documents
whose k nearest it would join, scored by the same ratio margin over the neighbourhoods as they would be
with the query in them (the run's answer files give the rest), and cut by the same relative margin, by
the same function as `mine` (stages/candidates.pairs_from_neighbours) on the part of the language pair
that the query's pairs depend on. Each candidate is then decided and aligned as `mine` decides a pair
(Decider.decide). So a twin's record is the one `mine` would write for that pair. A document of the
run, queried by id, takes the run's own candidates.

A query's work is bounded: at most ``max_sentences`` sentences, and a time budget (``seconds``) that
stops the work itself (limits.py), not only the wait for it.

The run is read, never written: a query changes nothing (``twinpages add`` adds documents).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .config import load_config
from .data import DocError, DocPair, Document, warnings_of
from .limits import DocumentTimeout, check, time_budget
from .phases.base import Models
from .phases.copies import BUCKETS as COPY_BUCKETS
from .phases.copies import CopiesShards
from .phases.search import LanguagePair, PairLanguages, embedded, language_codes, language_vectors, plan_search
from .schemas import DOCPAIR
from .stages import readers
from .stages.candidates import pairs_from_neighbours
from .stages.copies import band_keys, containment, shingle_count, signature
from .stages.embed import document_vector, pair_encoder, stored
from .stages.languages import LanguagePlan, wanted
from .stages.vindex import Neighbours, VectorIndex, search_shards
from .store import Layout, is_run_folder, lookup, readable
from .store.shards import DocReader, read_candidates
from .store.state import RunState

# The most sentences a query may have: a long article has a few hundred; 5,000 took 40 s to decide
# against a run of book-length documents. A longer query is refused, not cut (its coverage would mislead).
MAX_QUERY_SENTENCES = 5000


class QueryError(ValueError):
    """The query document cannot be used (unreadable, no main text, too long): the message names it and
    says why."""

    def __init__(self, message: str, kind: str = "bad_document"):
        super().__init__(message)
        self.kind = kind


class QueryTimeout(QueryError):
    """The query's time budget ran out; its work stopped."""

    def __init__(self, message: str):
        super().__init__(message, "timeout")


@dataclass(slots=True)
class Twin:
    pair: DocPair  # as `mine` writes it: src is the original where the direction is known
    other: str  # the run's document on the other side: its id

    def record(self) -> dict:
        """The docpairs record, the other document's id, and the aligned passages' text."""
        beads = [{"src": b.src_text, "tgt": b.tgt_text, "src_idx": list(b.src_idx), "tgt_idx": list(b.tgt_idx),
                  "score": round(b.score, 4)} for b in self.pair.beads if b.src_idx and b.tgt_idx]
        return DOCPAIR.row(self.pair) | {"document": self.other, "beads": beads}


@dataclass(frozen=True, slots=True)
class Copy:
    """A document of the run that is a near-copy of the query, in the query's language (stages/copies.py)."""

    document: str  # its id
    url: str  # its URL, else where it was read from
    similarity: float  # containment: the shorter text's share of shingles found in the other

    def record(self) -> dict:
        return {"document": self.document, "url": self.url, "similarity": self.similarity}


@dataclass(slots=True)
class Answer:
    query: Document
    twins: list[Twin] = field(default_factory=list)
    copies: list[Copy] = field(default_factory=list)  # the run's near-copies of the query
    candidates: int = 0  # candidates decided
    seconds: float = 0.0
    warnings: list[DocError] = field(default_factory=list)

    def record(self) -> dict:
        q = self.query
        return {"query": {"id": q.id, "url": q.url, "lang": q.lang, "sentences": len(q.sentences)},
                "twins": [t.record() for t in self.twins], "copies": [c.record() for c in self.copies],
                "candidates": self.candidates,
                "seconds": round(self.seconds, 3),
                "warnings": [{"error": w.error, "message": w.message} for w in self.warnings]}


@dataclass(frozen=True, slots=True)
class Target:
    """A language a query is searched against: its index (encoder, kind), the run's language pair with
    the query's language (None when the run did not mine it), the run's documents in the query's language
    (``own``) and in this one (``count``) that the encoder embedded."""

    lang: str
    encoder: str
    approximate: bool
    pair: LanguagePair | None
    own: int
    count: int


class RunIndex:
    """A finished run, opened for queries. Loads each language's index shards and neighbourhoods on first
    use and keeps them; queries are answered one at a time (the encoder has the machine's cores)."""

    def __init__(self, run_dir: str | Path, threads: int | None = None, max_sentences: int = MAX_QUERY_SENTENCES):
        root = readable(run_dir)
        layout = Layout(root)
        state = RunState.load(layout)
        if not is_run_folder(root) or state is None or not layout.output("run.json").exists():
            raise ValueError(f"{run_dir}: not a finished twinpages run (run.json, shards/state.json); "
                             "run `twinpages mine INPUT... -o RUN_DIR` first")
        config = load_config(layout.output("run.json"))
        # no embedding cache: a query is embedded once, and the run's cache (a SQLite file, which one
        # thread may use) need not exist where the run is served
        config = replace(config, embed=replace(config.embed, cache=None, threads=threads or config.embed.threads))
        if config.candidates.same_site:
            raise ValueError(f"{run_dir}: a --same-site run keeps no vector index to query; mine without "
                             "--same-site")
        self.root, self.layout, self.state, self.config = root, layout, state, config
        self.max_sentences = max_sentences
        self.codes, self.names = language_codes(layout, state.index)
        present = [name for c, name in enumerate(self.names) if np.any(self.codes == c)]
        languages = state.languages or LanguagePlan.of(config, present)
        self.plan = plan_search(config, layout, state.index, self.codes, self.names, languages)
        self.models = Models.of(config)
        self.docs = DocReader(layout, state.index, state.encoders)
        self._lock = threading.RLock()  # the pipeline and the document cache serve one thread at a time
        self._indexes: dict[tuple, list[VectorIndex]] = {}
        self._rows: dict[tuple, tuple[np.ndarray, Neighbours]] = {}
        self._inverted: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._embedded: dict[str, np.ndarray] = {}
        self._cands = None  # the run's candidates (queries by id)
        self._numbers: dict[str, int] | None = None
        self._copies_shards = CopiesShards(layout, state.index)
        self._copy_buckets: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # band keys, sorted, loaded once

    # --- the query document --------------------------------------------------------------------------

    def query_bytes(self, data: bytes, name: str = "query", fmt: str | None = None,
                    seconds: float | None = None) -> Answer:
        """A document given as bytes (``fmt``: html or txt, else sniffed); ``seconds``: its time budget."""
        doc = readers.read_blob(data, name, name, fmt, self.config.read)
        if isinstance(doc, DocError):
            raise QueryError(f"{name}: {doc.error}: {doc.message}", doc.error)
        return self.query_document(doc, seconds)

    def query_file(self, path: str | Path, seconds: float | None = None) -> list[Answer]:
        """Every document of a file (a page, a line dump; a JSONL or WARC file holds several)."""
        answers = []
        for doc in readers.read([path], self.config.read):
            if isinstance(doc, DocError):
                raise QueryError(f"{doc.source}: {doc.error}: {doc.message}", doc.error)
            answers.append(self.query_document(doc, seconds))
        return answers

    def query_id(self, key: str, seconds: float | None = None) -> Answer:
        """A document of the run, by id or URL: its twins among the run's other documents (the run's own
        candidates, decided as `mine` decided them)."""
        with self._lock, _budget(seconds):
            number = self._number_of(key)
            if number is None:
                raise QueryError(f"{key}: no such file, and no document of the run has this id or URL", "not_found")
            return self._answer(self.docs[number], number)

    def query_document(self, doc: Document, seconds: float | None = None) -> Answer:
        with self._lock, _budget(seconds):
            warnings = warnings_of(doc)
            done = self.models.analyser.analyse_one(doc)
            if isinstance(done, Document) and len(done.sentences) > self.max_sentences:
                raise QueryError(f"{done.id}: {len(done.sentences):,} sentences; a query may have at most "
                                 f"{self.max_sentences:,} (a longer document: `twinpages add` it to the run)",
                                 "too_long")
            check()  # the query's own budget, if it is what stopped the analysis (a DocError too_slow)
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
            self._numbers = lookup.addresses(self.layout, self.state.index)
        return self._numbers.get(key)

    def document(self, key: str) -> Document | None:
        with self._lock:
            number = self._number_of(key)
            return None if number is None else self.docs[number]

    # --- search and decide ------------------------------------------------------------------------------

    def _answer(self, doc: Document, number: int | None) -> Answer:
        t0 = time.monotonic()
        targets = self.targets(doc.lang)
        copies = self._copies(doc, number)
        if not targets:  # no twin can be found, and that is the answer
            return Answer(doc, copies=copies, warnings=[DocError(
                doc.id, doc.source, "query", "unsupported_language", f"its language ({doc.lang}) pairs with "
                f"none of the run's ({', '.join(self.languages()) or 'none'}): no encoder of the run embeds both",
                "warning")])
        if number is None:  # a new document: embedded with each encoder of its language pairs
            doc = next(iter(self.models.embedder.run([doc], {doc.lang: {t.encoder for t in targets}})))
        answer = Answer(doc, copies=copies)
        for target in targets:
            found = self._candidates(doc, target) if number is None else self._run_candidates(number, target)
            for other, margin in found:
                check()
                a, b = (doc, other) if doc.lang < target.lang else (other, doc)  # as `mine` orders a pair
                answer.candidates += 1
                decided = self.models.decider.decide(a, b, margin)
                if decided is not None:
                    answer.twins.append(Twin(decided, other.id))
        answer.twins.sort(key=lambda t: (-t.pair.score, t.other))
        answer.seconds = time.monotonic() - t0
        return answer

    def languages(self) -> list[str]:
        return sorted(lang for c, lang in enumerate(self.names) if np.any(self.codes == c))

    # --- near-copies --------------------------------------------------------------------------------

    def _copy_bucket(self, bucket: int) -> tuple[np.ndarray, np.ndarray]:
        if bucket not in self._copy_buckets:
            self._copy_buckets[bucket] = self._copies_shards.bucket(bucket)
        return self._copy_buckets[bucket]

    def _copies(self, doc: Document, number: int | None) -> list[Copy]:
        """The run's documents that are near-copies of ``doc`` (for a run document, ``number``: its own
        signature; it is left out), as `mine` links copies: a shared band, then containment."""
        config = self.config.copies
        if not config.enabled:
            return []
        if number is None:
            sig, size = signature(doc.main_text, config), shingle_count(doc.main_text, config)
        else:
            sig, size = self._copies_shards.signature(number)
        if sig is None:
            return []
        found: set[int] = set()
        for key in band_keys(sig, doc.lang or "und", config):
            keys, numbers = self._copy_bucket(int(key) % COPY_BUCKETS)
            lo, hi = np.searchsorted(keys, key, "left"), np.searchsorted(keys, key, "right")
            found.update(int(n) for n in numbers[lo:hi])
        found.discard(number)
        kept = {}
        for n in sorted(found):
            other, other_size = self._copies_shards.signature(n)
            share = containment(sig, other, size, other_size)
            if share >= config.threshold:
                kept[n] = round(share, 4)
        named = lookup.names_of(self.layout, self.state.index, kept)
        return sorted((Copy(named[n][0], named[n][1], share) for n, share in kept.items()),
                      key=lambda c: (-c.similarity, c.document))


    def _has(self, encoder: str) -> np.ndarray:
        """Which of the run's documents ``encoder`` embedded."""
        if encoder not in self._embedded:
            self._embedded[encoder] = embedded(self.layout, self.state.index, encoder)
        return self._embedded[encoder]

    def targets(self, lang: str | None) -> list[Target]:
        """The run's languages a document in ``lang`` is searched against: every language of the run (or
        those paired with it by the run's -l) whose documents an encoder of that language pair embedded."""
        out = []
        for other in self.languages():
            if lang is None or other == lang or not wanted(self.config, lang, other):
                continue
            encoder = pair_encoder(self.config.embed, lang, other)
            has = self._has(encoder)
            count = int(np.count_nonzero(has & (self.codes == self.names.index(other))))
            if not count:
                continue  # its documents were embedded by another encoder only
            own = int(np.count_nonzero(has & (self.codes == self.names.index(lang)))) if lang in self.names else 0
            a, b = sorted((lang, other))
            pair = next((p for p in self.plan.pairs if (p.encoder, p.a, p.b) == (encoder, a, b)), None)
            kinds = sorted(approx for (e, m, approx) in self.plan.shards if e == encoder and m == other)
            approx = pair.approximate if pair else (kinds[0] if kinds else False)
            out.append(Target(other, encoder, approx, pair, own, count))
        return out

    def _run_candidates(self, number: int, target: Target) -> list[tuple[Document, float]]:
        """A document of the run: its candidates in the run's candidates file (as `mine` decided them)."""
        cands = self._run_cands()
        mine = (cands.src == number) | (cands.tgt == number)
        others = np.where(cands.src[mine] == number, cands.tgt[mine], cands.src[mine])
        want = self.codes[others] == self.names.index(target.lang)
        return [(self.docs[int(o)], float(m)) for o, m in zip(others[want], cands.margin[mine][want], strict=True)]

    def _run_cands(self):
        if self._cands is None:
            self._cands = read_candidates(self.layout.in_shards(self.state.candidates))
        return self._cands

    def _candidates(self, doc: Document, target: Target) -> list[tuple[Document, float]]:
        """The run's documents of the target language that `mine` over the run's documents and this one
        would make candidates with it, with their margins (see the module's docstring)."""
        cc = self.config.candidates
        shards = self._index(target.encoder, target.lang, target.approximate)
        k = min(cc.k, target.own + 1, target.count)  # mine's k: no more than either language has documents
        if not k:
            return []
        q_num = len(self.state.index)  # the query's number: after every document of the run
        # rounded as the run stores its documents' vectors: the margins a fresh mine would compute
        query = stored(document_vector(doc, target.encoder)[None, :], self.config.embed.vectors)
        own_row = search_shards(query, shards, cc.k, cc.index_shortlist, cc.index_probes)
        t_ids, t_rows = self._neighbours(target, doc.lang, target.lang)
        x_ids, x_rows = self._neighbours(target, doc.lang, doc.lang)
        # the target documents whose k nearest the query would join (ties go to the lower number, never q)
        pool, cos = self._reverse_pool(query, shards, target, t_ids, t_rows, k)
        kth = t_rows.sims[np.searchsorted(t_ids, pool), k - 1] if len(pool) else np.zeros(0, np.float32)
        joins = pool[cos > kth]
        t_set = np.union1d(own_row.ids[0, :k][own_row.ids[0, :k] >= 0], joins)
        if not len(t_set):
            return []
        # the target documents' rows with the query in them, and every query-language document that is their
        # neighbour or has them as one: all that the margins and the relative cut of the query's pairs read
        t_pos = np.searchsorted(t_ids, t_set)
        t_new = _with_query(t_rows, t_pos, t_set, joins, cos[np.isin(pool, joins)], q_num, cc.k)
        x_set = np.union1d(t_new.ids[:, :k][(t_new.ids[:, :k] >= 0) & (t_new.ids[:, :k] != q_num)],
                           self._pointing_at(target, doc.lang, t_set, k))
        x_new = Neighbours(np.vstack([x_rows.ids[np.searchsorted(x_ids, x_set)], own_row.ids]),
                           np.vstack([x_rows.sims[np.searchsorted(x_ids, x_set)], own_row.sims]))
        x_all = np.append(x_set, q_num)
        # only the neighbours inside this part are pairs here (-1 for the rest); every similarity counts
        t_new = Neighbours(np.where(np.isin(t_new.ids, x_all), t_new.ids, -1), t_new.sims)
        x_new = Neighbours(np.where(np.isin(x_new.ids, t_set), x_new.ids, -1), x_new.sims)
        if doc.lang < target.lang:
            found = pairs_from_neighbours(x_all, t_set, x_new, t_new, cc, k)
            mine, other = found.src, found.tgt
        else:
            found = pairs_from_neighbours(t_set, x_all, t_new, x_new, cc, k)
            mine, other = found.tgt, found.src
        keep = mine == q_num
        return [(self.docs[int(o)], float(m)) for o, m in zip(other[keep], found.margin[keep], strict=True)]

    def _reverse_pool(self, query, shards, target, t_ids, t_rows, k) -> tuple[np.ndarray, np.ndarray]:
        """The target documents that might have the query among their k nearest, with their exact cosine to
        it (the number a search stores: VectorIndex.similarities). Exact index: all, screened by a product
        (a margin of 1e-4 over the float32 rounding) against each one's k-th neighbour; approximate: the
        query's own shortlist (an approximate search finds only what it looks at, as in `mine`)."""
        cc = self.config.candidates
        if target.approximate:
            found = search_shards(query, shards, cc.index_shortlist, cc.index_shortlist, cc.index_probes)
            keep = found.ids[0] >= 0
            return found.ids[0][keep], found.sims[0][keep]
        pools, sims = [], []
        for shard in shards:
            rough = np.asarray(shard.vectors, np.float32) @ query[0]
            pos = np.searchsorted(t_ids, shard.ids)
            known = (pos < len(t_ids)) & (t_ids[np.minimum(pos, len(t_ids) - 1)] == shard.ids)
            kth = np.where(known, t_rows.sims[np.minimum(pos, len(t_ids) - 1), k - 1], -np.inf)
            rows = np.flatnonzero(rough >= kth - 1e-4)
            if len(rows):
                pools.append(shard.ids[rows])
                sims.append(shard.similarities(query, rows[None, :])[0])
        if not pools:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return np.concatenate(pools), np.concatenate(sims)

    def _neighbours(self, target: Target, query_lang: str, lang: str) -> tuple[np.ndarray, Neighbours]:
        """The run's documents of ``lang`` (ascending numbers), one side of the pair (``query_lang``, the
        target's language), with their k nearest in the other language from the run's answer files; for a
        pair the run did not mine, the target language's documents with no neighbour (the query will be
        their only one) and no query-language row."""
        key = (target.encoder, query_lang, target.lang, lang)
        if key not in self._rows:
            k = self.config.candidates.k
            pair = target.pair
            if pair is not None:
                other = pair.b if lang == pair.a else pair.a
                self._rows[key] = PairLanguages(self.config, str(self.layout.root)).neighbours(
                    tuple(self.plan.shards[(pair.encoder, lang, pair.approximate)]),
                    tuple(self.plan.shards[(pair.encoder, other, pair.approximate)]))
            elif lang == target.lang:
                ids = np.concatenate([s.ids for s in self._index(target.encoder, lang, target.approximate)])
                self._rows[key] = (ids, Neighbours.empty(len(ids), k))
            else:
                self._rows[key] = (np.zeros(0, np.int64), Neighbours.empty(0, k))
        return self._rows[key]

    def _pointing_at(self, target: Target, lang: str, t_set: np.ndarray, k: int) -> np.ndarray:
        """The query-language documents that have one of ``t_set`` among their k nearest."""
        key = (target.encoder, target.lang, lang, k)
        if key not in self._inverted:
            x_ids, x_rows = self._neighbours(target, lang, lang)
            pointed = x_rows.ids[:, :k].ravel()
            by = np.argsort(pointed, kind="stable")
            self._inverted[key] = (pointed[by], np.repeat(x_ids, k)[by])
        pointed, sources = self._inverted[key]
        lo, hi = np.searchsorted(pointed, t_set), np.searchsorted(pointed, t_set, side="right")
        return np.unique(np.concatenate([sources[a:b] for a, b in zip(lo, hi, strict=True)] or
                                        [np.zeros(0, np.int64)]))

    def _index(self, encoder: str, lang: str, approximate: bool) -> list[VectorIndex]:
        """A language's index: the run's shards, or (a language the run indexed for no pair) an exact index
        built in memory from the run's document vectors, on first use."""
        key = (encoder, lang, approximate)
        if key not in self._indexes:
            if key in self.plan.shards:
                self._indexes[key] = [VectorIndex.load(Path(s.path)) for s in self.plan.shards[key]]
            else:
                runs = tuple(range(len(self.state.index.names)))
                ids, vectors = language_vectors(self.layout, self.state.index, encoder, lang, runs)
                self._indexes[key] = [VectorIndex.build(vectors, ids)] if len(ids) else []
        return self._indexes[key]

    def warm(self) -> None:
        """Load every index shard, neighbourhood and encoder now (a server does so before it listens)."""
        for lang in self.languages():
            for target in self.targets(lang):
                self._index(target.encoder, target.lang, target.approximate)
                if target.pair is not None:
                    self._neighbours(target, lang, target.lang)
                    self._neighbours(target, lang, lang)
                self.models.embedder.encoder(target.encoder).encode(["twinpages"])  # the model loads on first use


def _with_query(rows: Neighbours, pos: np.ndarray, t_set: np.ndarray, joins: np.ndarray, cos: np.ndarray,
                q_num: int, k: int) -> Neighbours:
    """The rows ``pos`` (the documents ``t_set``) with the query among their neighbours where it joins them
    (``joins``, with ``cos``), merged as a search merges: best first, ties to the lower number."""
    ids, sims = rows.ids[pos].copy(), rows.sims[pos].copy()
    add_ids = np.full((len(t_set), 1), -1, np.int64)
    add_sims = np.full((len(t_set), 1), -np.inf, np.float32)
    at = np.searchsorted(t_set, joins)
    add_ids[at, 0], add_sims[at, 0] = q_num, cos
    return Neighbours.merge([Neighbours(ids, sims), Neighbours(add_ids, add_sims)], k)


@contextmanager
def _budget(seconds: float | None):
    """The query's time budget; its end raised as QueryTimeout."""
    try:
        with time_budget(seconds, "the query's time limit"):
            yield
    except DocumentTimeout as e:
        raise QueryTimeout(f"the query stopped: it {e}") from None
