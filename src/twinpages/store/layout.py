"""Every path of a run folder, in one place.

A run folder (``mine -o OUT``) holds the run's output files and, under ``OUT/shards/``, every phase's
work. No other module builds a run-folder path by hand: phases, `add`, `query`, `serve` and `report`
ask ``Layout``. ``LAYOUT`` is the table README.md's layout section is made from (a test checks that
every file a run writes matches one of its patterns, and that the README shows this table).

NAME is an input shard's number and a digest of its files (paths, sizes, modification times), so an
edited input makes new shards; DIGEST chains the digests of what a global step read; KEY is an index
shard's language, kind and digest of its run shards.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

MARKER = ".twinpages-run"
LOCK = ".twinpages-lock"  # held by the run that has the folder open (folder.py; remote.py in object storage)
MANIFEST = "manifest.json"
REPORT_MARKER = ".twinpages-report"

# (pattern relative to the run folder, what it holds); the order is the order of the work
LAYOUT: tuple[tuple[str, str], ...] = (
    (MARKER, "marks a run folder and names its signature"),
    (LOCK, "held by the run that has the folder open (flock on disk; in object storage an object with a heartbeat)"),
    ("shards/spool/K/NAME", "copies of the inputs that were streams (stdin, pipes); `spool/after-N/` for `add`"),
    ("shards/repeats/NAME.bNN.npz", "per input shard and bucket of sites: line-hash counts (stages/repeats.py)"),
    ("shards/repeats-DIGEST.bNN.npz", "per bucket of sites: the lines repeated across a site's pages"),
    ("shards/documents/NAME.parquet", "per input shard: the prepared documents"),
    ("shards/errors/NAME.jsonl", "per input shard: documents that could not be used, and warnings"),
    ("shards/stats/PHASE/NAME.json", "per task: its counts, written last: the task's completion mark"),
    ("shards/ids-DIGEST.json", "repeated document ids and their new names (phases/ids.py)"),
    ("shards/copies/NAME.sig.npy", "per documents shard: each document's MinHash signature (uint32 rows)"),
    ("shards/copies/NAME.npz", "per documents shard: each document's language, text length and shingle count"),
    ("shards/copies/NAME.bNN.npy", "per documents shard and bucket of band keys: (key, document number) rows"),
    ("shards/copies-DIGEST.jsonl", "the clusters of near-copies (run-wide numbers, similarities)"),
    ("shards/copies-DIGEST.json", "their counts: the step's completion mark"),
    ("shards/stats/embed-cache.json", "the embedding cache's watermark when the run began (--cache)"),
    ("shards/sentences/ENCODER/NAME.bNN.npy",
     "per documents shard and bucket of hashes: its distinct sentences' 64-bit hashes (stages/owners.py)"),
    ("shards/sentences/ENCODER/NAME-DIGEST.bNN.owners.npy",
     "the owner of each of those sentences: the first shard that holds it (DIGEST: the shards up to this one)"),
    ("shards/sentences/ENCODER/owners-DIGEST.bNN.json", "a bucket's counts: its owners' completion mark"),
    ("shards/sentences/ENCODER/NAME-DIGEST.vectors.npy",
     "the vectors of the sentences a shard owns, by hash: a working file, dropped once every shard's sentence "
     "vectors are written"),
    ("shards/sentences/ENCODER/NAME-DIGEST.rows.npy", "each owned sentence's row in the shard's sentence vectors"),
    ("shards/sentences/ENCODER/NAME-DIGEST.hashes.npy", "their hashes, sorted (written last)"),
    ("shards/vectors/ENCODER/NAME.npy",
     "sentence vectors of a shard's documents (float16, or float32 with `--vectors float32`; one row a sentence)"),
    ("shards/vectors/ENCODER/NAME.offsets.npy", "where each document's sentences start (int64, documents + 1)"),
    ("shards/vectors/ENCODER/NAME.docs.npy",
     "one vector per document (its sentences' mean, normalised; stored as the sentence vectors are)"),
    ("shards/index/ENCODER/LANG.trained", "an approximate index's cells and codebooks"),
    ("shards/index/ENCODER/LANG.trained.json", "their counts: the training's completion mark"),
    ("shards/index/ENCODER/KEY.vec.npy", "an index shard's vectors (float16 when approximate, and when exact over the "
                                         "run's float16 vectors: the same numbers)"),
    ("shards/index/ENCODER/KEY.ids.npy", "its documents' run-wide numbers"),
    ("shards/index/ENCODER/KEY.ivf", "its IVF-PQ codes (approximate only)"),
    ("shards/index/ENCODER/KEY.json", "its counts: the shard's completion mark"),
    ("shards/index/ENCODER/nn/QKEY.TKEY.npz", "each query shard's k nearest in each index shard"),
    ("shards/index/ENCODER/L1-L2-DIGEST.parquet", "a language pair's margin-scored candidates"),
    ("shards/index/ENCODER/L1-L2-DIGEST.json", "their count: the pair's completion mark"),
    ("shards/candidates-DIGEST.parquet", "all candidate pairs (run-wide document numbers, margin)"),
    ("shards/candidates-DIGEST.json", "their counts and the search's: the step's completion mark"),
    ("shards/decided/K-DIGEST.jsonl", "per batch of candidates: the accepted pairs, best first"),
    ("shards/decided/K-DIGEST.errors.jsonl", "per batch: the pairs over --max-pair-seconds"),
    ("shards/decided/cK-DIGEST.jsonl", "a grown run's decisions carried over from the run it grew from"),
    ("shards/pairs-DIGEST.jsonl", "the selected pairs in output order: what the outputs are written from"),
    ("shards/pairs-DIGEST.json", "their counts: the step's completion mark"),
    ("shards/state.json", "a finished run: input shards, numbering, language plan, candidates, decided batches, "
                          "pairs"),
    ("docpairs.jsonl", "the document pairs"),
    ("docpairs.parquet", "the same, with --formats parquet"),
    ("alignments.jsonl", "every bead of every pair"),
    ("documents.jsonl", "the paired documents: lines, verdicts, sentences"),
    ("errors.jsonl", "documents dropped or repaired"),
    ("copies.jsonl", "clusters of near-copies in one language: representative and members"),
    ("bitext/L1-L2.FORMAT", "sentence pairs per language pair: tsv (or tsv.gz), tmx, jsonl, parquet"),
    ("bitext/rejected/L1-L2.jsonl", "the sentence pairs the filter rejected, with the reason"),
    ("run.json", "settings, signature and counts (`--config` loads it back)"),
    (MANIFEST, "what the run wrote, per phase, with sizes"),
)


def digest(*parts) -> str:
    """A short digest of what a step read: it names the step's files, so other inputs make other files."""
    return hashlib.blake2b("\n".join(map(str, parts)).encode(), digest_size=6).hexdigest()


def layout_pattern(pattern: str) -> re.Pattern:
    """A LAYOUT pattern as a regular expression over paths relative to the run folder."""
    parts = re.split(r"(NAME|DIGEST|QKEY|TKEY|KEY|ENCODER|LANG|PHASE|FORMAT|L1|L2|NN|K|N)", pattern)
    wild = {"NN": r"\d{2,}", "K": r"(?:\d+|after-\d+/\d+)"}
    return re.compile("".join(wild.get(p, r"[^/]+?") if i % 2 else re.escape(p) for i, p in enumerate(parts)))


class Layout:
    """The paths of one run folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.shards = self.root / "shards"

    # --- the folder's own files and the outputs --------------------------------------------------------

    @property
    def marker(self) -> Path:
        return self.root / MARKER

    @property
    def lock(self) -> Path:
        return self.root / LOCK

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    def output(self, name: str) -> Path:
        """An output file: docpairs.jsonl, alignments.jsonl, documents.jsonl, errors.jsonl, run.json..."""
        return self.root / name

    @property
    def bitext(self) -> Path:
        return self.root / "bitext"

    # --- shards --------------------------------------------------------------------------------------

    def spool(self, grown_from: int | None = None) -> Path:
        return self.shards / "spool" / (f"after-{grown_from:05d}" if grown_from is not None else "")

    def repeats(self, name: str, bucket: int) -> Path:
        return self.shards / "repeats" / f"{name}.b{bucket:02d}.npz"

    def merged_repeats(self, tag: str, bucket: int) -> Path:
        return self.shards / f"repeats-{tag}.b{bucket:02d}.npz"

    def stats(self, phase: str, name: str) -> Path:
        return self.shards / "stats" / phase / f"{name}.json"

    def documents(self, name: str) -> Path:
        return self.shards / "documents" / f"{name}.parquet"

    def errors(self, name: str) -> Path:
        return self.shards / "errors" / f"{name}.jsonl"

    def ids(self, tag: str) -> Path:
        return self.shards / f"ids-{tag}.json"

    def copies_signatures(self, name: str) -> tuple[Path, Path]:
        """(signatures, the documents' other facts): the second is written last."""
        return self.shards / "copies" / f"{name}.sig.npy", self.shards / "copies" / f"{name}.npz"

    def copies_keys(self, name: str, bucket: int) -> Path:
        return self.shards / "copies" / f"{name}.b{bucket:02d}.npy"

    def copies(self, tag: str) -> Path:
        return self.shards / f"copies-{tag}.jsonl"

    def sentence_hashes(self, encoder: str, name: str, bucket: int) -> Path:
        return self.shards / "sentences" / encoder / f"{name}.b{bucket:02d}.npy"

    def sentence_owners(self, encoder: str, name: str, prefix: str, bucket: int) -> Path:
        return self.shards / "sentences" / encoder / f"{name}-{prefix}.b{bucket:02d}.owners.npy"

    def owners_done(self, encoder: str, tag: str, bucket: int) -> Path:
        return self.shards / "sentences" / encoder / f"owners-{tag}.b{bucket:02d}.json"

    def owned(self, encoder: str, name: str, prefix: str) -> Path:
        """The base of a shard's owned-sentence table (stages/owners.OwnedVectors adds its suffixes)."""
        return self.shards / "sentences" / encoder / f"{name}-{prefix}"

    @property
    def embed_cache(self) -> Path:
        return self.shards / "stats" / "embed-cache.json"

    def vectors(self, encoder: str, name: str) -> tuple[Path, Path, Path]:
        """(sentence vectors, offsets, document vectors) of a shard: the last is written last."""
        base = self.shards / "vectors" / encoder
        return base / f"{name}.npy", base / f"{name}.offsets.npy", base / f"{name}.docs.npy"

    def index(self, encoder: str) -> Path:
        return self.shards / "index" / encoder

    def trained(self, encoder: str, lang: str) -> Path:
        return self.index(encoder) / f"{lang}.trained"

    def index_shard(self, encoder: str, key: str) -> Path:
        """The prefix of an index shard's files (VectorIndex.save adds .vec.npy, .ids.npy, .ivf)."""
        return self.index(encoder) / key

    def answer(self, encoder: str, query_key: str, target_key: str) -> Path:
        return self.index(encoder) / "nn" / f"{query_key}.{target_key}.npz"

    def pair_candidates(self, encoder: str, a: str, b: str, tag: str) -> Path:
        return self.index(encoder) / f"{a}-{b}-{tag}.parquet"

    def candidates(self, tag: str) -> Path:
        return self.shards / f"candidates-{tag}.parquet"

    def decided(self, k: int, tag: str, carried: bool = False) -> Path:
        return self.shards / "decided" / f"{'c' if carried else ''}{k:06d}-{tag}.jsonl"

    def pairs(self, tag: str) -> Path:
        return self.shards / f"pairs-{tag}.jsonl"

    @property
    def state(self) -> Path:
        return self.shards / "state.json"

    def in_run(self, path: str | Path) -> str:
        """A path of the run folder relative to it (what a phase says it reads: phases/base.py)."""
        return Path(path).relative_to(self.root).as_posix()

    def relative(self, path: str | Path) -> str:
        """A shard file's path as the run state keeps it: relative to ``shards/``."""
        return Path(path).relative_to(self.shards).as_posix()

    def in_shards(self, relative: str) -> Path:
        return self.shards / relative


def decided_errors(decided: str | Path) -> Path:
    """A decide task's record of the candidate pairs it could not decide (beside its pairs file)."""
    return Path(str(decided).removesuffix(".jsonl") + ".errors.jsonl")


def with_stats(path: str | Path) -> Path:
    """The ``.json`` beside a file that a global step writes last: its completion mark."""
    return Path(path).with_suffix(".json")


def markdown() -> str:
    """LAYOUT as the table README.md carries (a test checks that it does)."""
    return "\n".join(["| path | what |", "|---|---|"] + [f"| `{p}` | {what} |" for p, what in LAYOUT])


if __name__ == "__main__":
    print(f"<!-- layout -->\n{markdown()}\n<!-- /layout -->")
