"""The library API: the stages chained into the jobs a user runs. The CLI only wraps these.

    from twinpages import mine, align_files
    result = mine(["pages/"], "out/")
    pair = align_files("a.txt", "b.txt")
"""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from itertools import combinations
from pathlib import Path

import numpy as np

from . import __version__, checkpoints
from .backends.encoders import encode_overlaps
from .data import Candidates, DocError, DocPair, Document
from .docstore import DocStore, StoredPairs
from .progress import Progress
from .stages import readers
from .stages.candidates import CandidatesConfig, find_candidates
from .stages.docalign import DocAlignConfig, align_documents, is_translation, one_to_one
from .stages.embed import EmbedConfig, Embedder, covers, document_vector, encoders_for, pair_encoder
from .stages.extract import ExtractConfig, Extractor
from .stages.langid import LangIdConfig, LanguageIdentifier
from .stages.readers import ReadConfig
from .stages.repeats import RepeatedLines, group_of
from .stages.segment import SegmentConfig, segment_document
from .stages.writers.outputs import OutputConfig, write_outputs


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    read: ReadConfig = field(default_factory=ReadConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    langid: LangIdConfig = field(default_factory=LangIdConfig)
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    candidates: CandidatesConfig = field(default_factory=CandidatesConfig)
    docalign: DocAlignConfig = field(default_factory=DocAlignConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    def signature(self) -> str:
        """A short stamp of what produced an output, so numbers can be compared across runs."""
        sa = self.docalign.sentalign
        return (f"lid:{self.langid.backend}|emb:{self.embed.encoder}|cand:top{self.candidates.k}"
                f"|da:{self.docalign.min_score}{'q' if self.docalign.quick_first else ''}|sa:bead{sa.max_bead}"
                f"|v:{__version__}")


@dataclass(slots=True)
class MineResult:
    pairs: list[DocPair]  # when mine() wrote no output folder; else empty (see OUT/docpairs.jsonl)
    errors: list[DocError]
    stats: dict


class Pipeline:
    """Holds the stages (each loads its model lazily, on first use)."""

    def __init__(self, config: PipelineConfig = PipelineConfig(), progress: bool = False, workers: int = 1):
        self.config = config
        self.progress = progress
        self.workers = workers  # processes for extraction, language ID and sentence splitting
        self.extractor = Extractor(config.extract, lid_backend=config.langid.backend)
        self.lid = LanguageIdentifier(config.langid)
        self.embedder = Embedder(config.embed)
        self._run_cache: OrderedDict = OrderedDict()
        self.run_cache_size = 2_000  # documents; candidates come grouped by source document

    def prepare(self, docs: Iterable[Document | DocError], errors: list[DocError],
                total: int | None = None, repeats: RepeatedLines | None = None) -> list[Document]:
        """read → extract → language ID → sentences → embeddings. Failures become DocErrors.
        Which encoders a document needs depends on the languages it can pair with, so embedding
        waits until the languages of all documents are known."""
        analysed = list(self.analyse(docs, errors, total, repeats))
        needed = encoders_for(self.config.embed, (d.lang for d in analysed))
        progress = Progress("embedded", len(analysed), enabled=self.progress)
        embedded = []
        for doc in self.embedder.run(analysed, needed):
            embedded.append(doc)
            progress.update()
        progress.close()
        return embedded

    def prepare_into(self, docs: Iterable[Document | DocError], errors: list[DocError], store: DocStore,
                     total: int | None = None, repeats: RepeatedLines | None = None) -> None:
        """``prepare`` for a corpus: documents stream through analysis into ``store``, then back out of it
        through embedding, so that memory holds one batch of documents at a time, not the corpus."""
        langs: Counter = Counter()
        for doc in self.analyse(docs, errors, total, repeats):
            store.add(doc, group_of(doc))
            langs[doc.lang] += 1
        store.commit()
        self.peak_after_analysis = _peak_rss_mb()
        needed = encoders_for(self.config.embed, langs)
        progress = Progress("embedded", len(store), enabled=self.progress)
        for idx, doc in enumerate(self.embedder.run(iter(store), needed)):
            store.replace(idx, doc, {name: document_vector(doc, name) for name in doc.embeddings})
            if idx % 1000 == 999:
                store.commit()
            progress.update()
        store.commit()
        progress.close()

    def analyse(self, docs: Iterable[Document | DocError], errors: list[DocError],
                total: int | None = None, repeats: RepeatedLines | None = None) -> Iterator[Document]:
        """read → extract → language ID → sentences, one document at a time, in input order; in
        ``self.workers`` processes when more than one. With ``repeats`` (counted over the same corpus),
        lines that recur across a site are dropped as boilerplate."""
        progress = Progress("prepared", total, enabled=self.progress)
        if self.workers > 1:
            pool = multiprocessing.get_context("spawn").Pool(self.workers, _worker_init, (self.config, repeats))
            results = pool.imap(_worker_analyse, docs, chunksize=8)  # ordered: runs stay deterministic
        else:
            pool, results = None, (self.analyse_one(d, repeats) for d in docs)
        try:
            for item in results:
                progress.update()
                if isinstance(item, DocError):
                    errors.append(item)
                else:
                    yield item
        finally:
            if pool is not None:
                pool.terminate()
        progress.close()

    def analyse_one(self, doc: Document | DocError, repeats: RepeatedLines | None = None) -> Document | DocError:
        if isinstance(doc, DocError):
            return doc
        stage = "extract"
        try:
            self.extractor.extract(doc, repeats.repeated_in(doc) if repeats else None)
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

    def docalign_config(self, a: Document, b: Document) -> tuple[str, DocAlignConfig]:
        """The encoder of this language pair and the document-alignment settings on its scale."""
        name = pair_encoder(self.config.embed, a.lang, b.lang)
        encoder = self.embedder.encoder(name)
        da = self.config.docalign
        da = replace(da, sentalign=replace(da.sentalign, similarity_scale=encoder.similarity_scale,
                                                prior_cosine=encoder.unrelated_cosine),
                     margin_bead_cosine=da.margin_bead_cosine if encoder.margin_bead_cosine is not None else None)
        return name, da

    def align_pair(self, a: Document, b: Document, candidate_score: float = 0.0, orient: bool = True,
                   quick: bool = False) -> DocPair:
        """Align two documents. ``quick`` approximates multi-sentence runs by mean vectors instead of
        encoding them (sentalign.mean_runs): ~10x cheaper, for deciding which candidates to keep."""
        name, da = self.docalign_config(a, b)
        overlaps = None if quick else partial(self._runs, name)
        return align_documents(a, b, name, overlaps, da, candidate_score, orient)

    def decide(self, a: Document, b: Document, candidate_score: float = 0.0) -> DocPair | None:
        """The aligned pair when it is a translation, else None. Most candidates are not: a quick
        alignment (approximate runs) rejects those first. An accepted pair is aligned again with
        encoded runs unless its quick alignment is already all 1-1 beads covering both sides."""
        quick = self.config.docalign.quick_first
        pair = self.align_pair(a, b, candidate_score, quick=quick)
        if not self.is_translation(pair, a, b):
            return None
        if quick and not all(len(p.src_idx) == 1 and len(p.tgt_idx) == 1 for p in pair.pairs):
            pair = self.align_pair(a, b, candidate_score)
            if not self.is_translation(pair, a, b):
                return None
        return pair

    def _decide_batches(self, docs: DocStore, jobs: Iterable[tuple[int, list]],
                        n_jobs: int) -> Iterator[tuple[int, list[DocPair]]]:
        """(batch number, accepted pairs) for each batch of (src, tgt, margin) candidates, in order; in
        ``self.workers`` processes, which read the documents from the store, when more than one."""
        if self.workers <= 1 or n_jobs <= 1:
            for k, batch in jobs:
                yield k, [p for s, t, m in batch if (p := self.decide(docs[s], docs[t], m)) is not None]
            return
        docs.commit()
        # the encoder's threads are shared out among the workers: more threads than cores makes
        # BLAS spin and slows everything down
        threads = max(1, self.config.embed.threads // self.workers)
        config = replace(self.config, embed=replace(self.config.embed, threads=threads))
        pool = multiprocessing.get_context("spawn").Pool(self.workers, _align_init, (config, str(docs.path)))
        try:
            # ordered: checkpoints and outputs stay deterministic. The pool's feeder thread draws the
            # jobs as the pipe to the workers takes them, so they are never all in memory at once.
            yield from pool.imap(_align_batch, jobs)
        finally:
            pool.terminate()

    def is_translation(self, pair: DocPair, a: Document, b: Document) -> bool:
        return is_translation(pair, len(a.sentences), len(b.sentences), self.docalign_config(a, b)[1])

    def _runs(self, name: str, sentences, sizes) -> dict:
        """Run vectors of a document's sentences, cached: a document is a candidate in several pairs."""
        key = (name, tuple(sentences), tuple(sizes))
        if key in self._run_cache:
            self._run_cache.move_to_end(key)
            return self._run_cache[key]
        runs = encode_overlaps(self.embedder.encoder(name), sentences, sizes)
        self._run_cache[key] = runs
        if len(self._run_cache) > self.run_cache_size:
            self._run_cache.popitem(last=False)
        return runs

    def __getstate__(self):  # the cache holds arrays that a worker can recompute
        return {k: v for k, v in self.__dict__.items() if k != "_run_cache"} | {"_run_cache": OrderedDict()}

    def find_candidates(self, docs: DocStore) -> Candidates:
        """Candidates of every language pair, each searched in the vector space of its encoder; best first."""
        by_encoder: dict[str, set[tuple[str, str]]] = {}
        for a, b in combinations(sorted(lang for lang in docs.lang_counts() if lang), 2):
            by_encoder.setdefault(pair_encoder(self.config.embed, a, b), set()).add((a, b))
        found = []
        for name, lang_pairs in sorted(by_encoder.items()):
            index = docs.vectors(name, with_groups=self.config.candidates.same_site)
            c = find_candidates(index.vectors, index.langs, self.config.candidates, groups=index.groups,
                                lang_pairs=lang_pairs)
            found.append(Candidates(index.members[c.src], index.members[c.tgt], c.score))
            del index  # the largest thing in memory: gone before the next encoder's is read
        return Candidates.concat(found).by_score()

    def find_pairs(self, docs: DocStore, work: Path | None = None,
                   batch_size: int = 500) -> tuple[StoredPairs, dict]:
        """Candidates, then sentence alignment of each. With ``work`` (a folder), finished batches of
        candidates are saved there and reused by a rerun (checkpoints.py)."""
        t0 = time.monotonic()
        # the embedding models and their sentence memory are not needed in this process any more (an
        # aligner in this process loads its model again): their memory goes before the index comes
        self.embedder.release()
        # grouped by document, so that a document's run vectors are computed once and reused
        candidates = self.find_candidates(docs).by_pair()
        t1 = time.monotonic()
        progress = Progress("aligned", len(candidates), enabled=self.progress, unit="candidate pairs")
        batches = [slice(k, k + batch_size) for k in range(0, len(candidates), batch_size)]
        paths: dict[int, Path] = {}
        todo = []
        signature = self.config.signature()
        for k, rows in enumerate(batches):
            if work is not None:
                batch = candidates[rows]
                ids = docs.id_map(np.concatenate([batch.src, batch.tgt]).tolist())
                path = checkpoints.batch_path(work, signature, k, [(ids[c.src], ids[c.tgt]) for c in batch])
                if path.exists():
                    docs.add_pairs(checkpoints.load_pairs(path))
                    progress.update(len(batch))
                    continue
                paths[k] = path
            todo.append(k)
        # made as the workers need them: (batch number, [(src, tgt, margin), ...])
        jobs = ((k, [(c.src, c.tgt, c.score) for c in candidates[batches[k]]]) for k in todo)
        for k, accepted in self._decide_batches(docs, jobs, len(todo)):
            if k in paths:
                checkpoints.save_pairs(paths[k], accepted)
            docs.add_pairs(accepted)
            progress.update(len(candidates[batches[k]]))
        progress.close()
        if self.config.docalign.one_to_one:
            docs.keep_pairs({key.n for key in one_to_one(docs.pair_keys())})
        docs.commit()
        seconds = {"candidates": round(t1 - t0, 1), "alignment": round(time.monotonic() - t1, 1)}
        return docs.pairs(), {"candidates": len(candidates), "stage_seconds": seconds}


_WORKER: tuple[Pipeline, RepeatedLines | None] | None = None


def _worker_init(config: PipelineConfig, repeats: RepeatedLines | None) -> None:
    global _WORKER
    _WORKER = (Pipeline(config), repeats)


def _worker_analyse(doc: Document | DocError) -> Document | DocError:
    pipe, repeats = _WORKER
    return pipe.analyse_one(doc, repeats)


_ALIGNER: tuple[Pipeline, DocStore] | None = None


def _align_init(config: PipelineConfig, store_path: str) -> None:
    global _ALIGNER
    _ALIGNER = (Pipeline(config), DocStore(store_path, create=False))


def _align_batch(job: tuple[int, list]) -> tuple[int, list[DocPair]]:
    pipe, docs = _ALIGNER
    k, batch = job
    return k, [p for s, t, m in batch if (p := pipe.decide(docs[s], docs[t], m)) is not None]


def count_repeats(inputs: list, config: PipelineConfig) -> RepeatedLines | None:
    """First pass: count the corpus's lines per site (reading is cheap next to embedding)."""
    if not config.extract.repeated_min_docs or config.extract.mode == "none":  # clean text: nothing to count
        return None
    repeats = RepeatedLines(config.extract.repeated_min_docs)
    for doc in readers.read(inputs, config.read):
        if isinstance(doc, Document):
            repeats.add(doc)
    repeats.finish()
    return repeats


def mine(inputs: Iterable[str | Path], out_dir: str | Path | None = None,
         config: PipelineConfig = PipelineConfig(), progress: bool = False, workers: int = 1,
         checkpoint_every: int = 500) -> MineResult:
    """Find translated document pairs among the inputs and align their sentences. With ``out_dir``,
    every ``checkpoint_every`` candidate pairs decided are saved, for a killed run to resume from.

    With ``out_dir``, writes the files of ``config.output`` there (see stages/writers/outputs.py)."""
    t0 = time.monotonic()
    work = Path(out_dir) / ".work" if out_dir is not None else None
    if work is not None:
        work.mkdir(parents=True, exist_ok=True)
        if config.embed.cache is None:  # the embeddings of a killed run are not computed again
            config = replace(config, embed=replace(config.embed, cache=str(work / "embeddings.sqlite")))
    pipe = Pipeline(config, progress=progress, workers=workers)
    inputs = list(inputs)
    files = readers.list_files(inputs, config.read)
    # archives hold many documents each: progress then counts without a total
    single = all(readers.format_of(p) in ("txt", "html") for p, _ in files)
    errors: list[DocError] = []
    repeats = count_repeats(inputs, config)
    scratch = tempfile.TemporaryDirectory() if work is None else None
    docs = DocStore((work if work is not None else Path(scratch.name)) / "documents.sqlite")
    try:
        pipe.prepare_into(readers.read(inputs, config.read), errors, docs, total=len(files) if single else None,
                          repeats=repeats)
        t_prepared = time.monotonic()
        peak = {"analysis": pipe.peak_after_analysis, "embedding": _peak_rss_mb()}
        pairs, cand_stats = pipe.find_pairs(docs, work, checkpoint_every)
        peak["alignment"] = _peak_rss_mb()
        cand_stats["stage_seconds"] = {"prepare": round(t_prepared - t0, 1), **cand_stats["stage_seconds"]}
        stats = _run_stats(docs, errors, pairs, cand_stats, pipe)
        stats["seconds"] = round(time.monotonic() - t0, 2)
        stats["peak_rss_mb"] = peak
        if out_dir is not None:
            # run.json holds what the inputs and settings determine: not timings, not what a resumed
            # run found already done, not where its work folder was
            recorded = replace(config, embed=replace(config.embed, cache=None)) if config.embed.cache and \
                Path(config.embed.cache).parent == work else config
            varying = ("seconds", "stage_seconds", "peak_rss_mb", "sentences_embedded")
            run_record = {"signature": config.signature(), "config": asdict(recorded),
                          "stats": {k: v for k, v in stats.items() if k not in varying}}
            write_outputs(Path(out_dir), pairs, docs, errors, run_record, config.output)
            peak["outputs"] = _peak_rss_mb()
        # in memory only when asked for there: a corpus run's pairs are in its output files
        found = list(pairs) if out_dir is None else []
    finally:
        docs.close()
        if scratch is not None:
            scratch.cleanup()
    if work is not None:
        shutil.rmtree(work, ignore_errors=True)
    return MineResult(found, errors, stats)


def _peak_rss_mb() -> int:
    """This process's peak resident memory so far (worker processes not included)."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _run_stats(docs: DocStore, errors: list[DocError], pairs: StoredPairs, cand_stats: dict,
               pipe: Pipeline) -> dict:
    langs = docs.langs()
    return {
        "documents_read": len(docs) + len(errors), "documents_kept": len(docs), "documents_failed": len(errors),
        "failed_by_type": dict(sorted(Counter(e.error for e in errors).items())),
        "languages": dict(sorted(Counter(lang or "und" for lang in langs).items())),
        "encoders": docs.encoder_counts(),
        "sentences_embedded": pipe.embedder.sentences_embedded,
        **cand_stats, "document_pairs": len(pairs),
        "sentence_pairs": pairs.sentence_pairs(),
    }


def load_documents(paths: Iterable[str | Path], config: PipelineConfig = PipelineConfig(),
                   pipe: Pipeline | None = None) -> tuple[list[Document], list[DocError]]:
    pipe = pipe or Pipeline(config)
    errors: list[DocError] = []
    docs = pipe.prepare(readers.read(paths, config.read), errors)
    return docs, errors


def align_files(src: str | Path, tgt: str | Path, config: PipelineConfig = PipelineConfig()) -> DocPair:
    """Align two given documents (no candidate search). Raises ValueError naming a document that
    could not be read or has no main text."""
    pipe = Pipeline(config)
    docs, errors = load_documents([src, tgt], config, pipe)
    if errors:
        e = errors[0]
        raise ValueError(f"{e.source}: {e.error}: {e.message}")
    return pipe.align_pair(docs[0], docs[1], orient=False)


def extract_documents(inputs: Iterable[str | Path], out_dir: str | Path, config: PipelineConfig = PipelineConfig(),
                      progress: bool = False) -> tuple[int, list[DocError]]:
    """Read, extract and label the inputs; write OUT/documents.jsonl ({id, url, lang, text}) and
    OUT/errors.jsonl. Returns (documents kept, errors)."""
    import json

    from .stages.writers.files import atomic_lines, write_errors

    inputs = list(inputs)
    pipe = Pipeline(config, progress=progress)
    errors: list[DocError] = []
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    kept = 0

    def records():
        nonlocal kept
        for d in pipe.analyse(readers.read(inputs, config.read), errors, repeats=count_repeats(inputs, config)):
            kept += 1
            record = {"id": d.id, "url": d.url, "lang": d.lang, "text": d.main_text}
            yield json.dumps(record, ensure_ascii=False) + "\n"

    atomic_lines(out / "documents.jsonl", records())
    write_errors(out / "errors.jsonl", errors)
    return kept, errors
