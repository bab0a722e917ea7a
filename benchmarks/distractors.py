"""DDTP en-fr's gold pairs hidden among 100k, 1M, 10M distractor documents per language (issue 19).

    python benchmarks/distractors.py ../shared --work /tmp/dist --size 100000 --json   # one size
    python benchmarks/distractors.py ../shared --work /tmp/dist --crossover --json     # exact vs approx cost

Vectors (USE-m3 document vectors, twinpages' own embedding: `mine --until embed`):
- the gold side: DDTP en-fr (61,465 English, 19,501 French descriptions; 19,501 gold pairs);
- real distractors: Debian's package-description translations in other languages (DDTP; German is
  kept aside, English and French are the gold set), Debian bookworm's `main/i18n/Translation-LL.bz2`
  for the languages in I18N_LANGS, fetched from deb.debian.org into WORK/i18n (148,616 descriptions,
  of which the 80,020 in USE-m3's languages are embedded: `--encoder usem3` refuses the others as
  unsupported). Translations of the same packages as the gold pairs are among them: hard distractors,
  for exact search as for approximate;
- beyond the real ones, perturbed real vectors: distractor j is normalise(r_a + 0.5 (r_b - r_c)) for
  real distractors a, b, c drawn by a generator seeded with j's block — a real document moved by the
  difference of two others, so the pool keeps the real vectors' anisotropy and topic structure (never
  random Gaussians), generated block by block and never held whole.

For one size N, each language's pool is its DDTP documents followed by N distractors (the real ones,
split between the two pools, then perturbed ones). The approximate index is built shard by shard
(stages/vindex.py, the same code as `mine`), on disk under WORK. Queries: at N <= --full-below, every
document of both pools, and the candidates (ratio margin, relative-margin filter) as `mine` makes them;
above, the gold documents only (19,501 a side), and a gold pair counts as found when either document
has the other among its k nearest (`gold_in_neighbours`; the margin filter needs every document's
neighbourhood, which a gold-only search does not have). Exact search runs where --exact-max-pool
allows (gold queries only above --full-below), streaming the pool block by block.

Each size runs in a fresh process (peak RSS is the process's), so run one size per call.
"""

from __future__ import annotations

import argparse
import bz2
import json
import re
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

import twinpages  # noqa: F401  (first: it names faiss's OpenBLAS kernel before faiss loads)

I18N_LANGS = ("es it pt pl ru nl ja sv cs hu fi da sk uk zh_CN ko pt_BR ca vi zh_TW ro el tr id sr eu gl sl nb et "
              "lt ar he th bg hr").split()
BLOCK = 250_000  # distractors generated per block (one seed each)


def peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


# --- data --------------------------------------------------------------------------------------------------

def fetch_i18n(work: Path) -> Path:
    """Debian bookworm's description translations -> WORK/i18n.jsonl ({id, lang, text})."""
    folder = work / "i18n"
    folder.mkdir(parents=True, exist_ok=True)
    out = work / "i18n.jsonl"
    if out.exists():
        return out
    with open(out.with_suffix(".tmp"), "w", encoding="utf-8") as f:
        for tag in I18N_LANGS:
            path = folder / f"Translation-{tag}.bz2"
            url = f"http://deb.debian.org/debian/dists/bookworm/main/i18n/Translation-{tag}.bz2"
            if not path.exists() and subprocess.run(["curl", "-sf", "-o", str(path), url]).returncode:
                continue  # not every language has a file
            text = bz2.open(path, "rt", encoding="utf-8", errors="replace").read()
            for stanza in text.split("\n\n"):
                package = re.search(r"^Package: (.+)$", stanza, re.M)
                desc = re.search(r"^Description-(?!md5)[^:]+: (.*(?:\n .*)*)", stanza, re.M)
                if package and desc:
                    lines = [x[1:] if x.startswith(" ") else x for x in desc.group(1).split("\n")]
                    body = "\n".join("" if x.strip() == "." else x for x in lines).strip()
                    f.write(json.dumps({"id": f"{tag}/{package.group(1)}", "lang": tag.split("_")[0],
                                        "text": body}, ensure_ascii=False) + "\n")
    out.with_suffix(".tmp").replace(out)
    return out


def embedded(inputs: Path, run: Path, cache: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(ids, languages, USE-m3 document vectors) of a JSONL file, by twinpages' own read and embed phases."""
    import pyarrow.parquet as pq

    from twinpages.api import mine
    from twinpages.config import PipelineConfig
    from twinpages.runners import RunnerConfig

    config = PipelineConfig()
    config = replace(config, extract=replace(config.extract, mode="none"),
                     embed=replace(config.embed, encoder="usem3", cache=str(cache)))
    mine([inputs], run, config, until="embed", runner=RunnerConfig(workers=2))
    ids, langs, vecs = [], [], []
    for doc in sorted((run / "shards" / "documents").glob("*.parquet")):
        t = pq.read_table(doc, columns=["id", "lang"])
        v = np.load(run / "shards" / "vectors" / "usem3" / (doc.stem + ".docs.npy"))
        has = np.linalg.norm(v, axis=1) > 0
        ids += [i for i, h in zip(t.column("id").to_pylist(), has, strict=True) if h]
        langs += [x for x, h in zip(t.column("lang").to_pylist(), has, strict=True) if h]
        vecs.append(v[has])
    return ids, np.asarray(langs), np.concatenate(vecs).astype(np.float32)


class Pool:
    """One language's pool: its DDTP documents, then n distractors (real, then perturbed), by block."""

    def __init__(self, own: np.ndarray, real: np.ndarray, all_real: np.ndarray, n: int, seed: int):
        self.own, self.real, self.all_real, self.n, self.seed = own, real, all_real, n, seed

    def __len__(self) -> int:
        return len(self.own) + self.n

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Rows start..stop of the pool, made on demand (the same rows every time)."""
        parts = []
        pos = start
        while pos < stop:
            if pos < len(self.own):
                end = min(stop, len(self.own))
                parts.append(self.own[pos:end])
            else:
                j = pos - len(self.own)
                if j < len(self.real):
                    end = min(stop, len(self.own) + len(self.real))
                    parts.append(self.real[j:end - len(self.own)])
                else:
                    p = j - len(self.real)
                    block = p // BLOCK
                    end = min(stop, len(self.own) + len(self.real) + (block + 1) * BLOCK,
                              len(self.own) + self.n)
                    made = self._perturbed(block)
                    lo = p - block * BLOCK
                    parts.append(made[lo:lo + end - pos])
            pos = end
        return np.concatenate(parts) if parts else np.zeros((0, self.own.shape[1]), np.float32)

    def _perturbed(self, block: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, block])
        r = self.all_real
        a, b, c = (rng.integers(0, len(r), BLOCK) for _ in range(3))
        v = r[a] + 0.5 * (r[b] - r[c])
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


# --- searches ----------------------------------------------------------------------------------------------

def build_approx(pool: Pool, folder: Path, shard_docs: int, lists: int | None) -> tuple[list[Path], dict]:
    from twinpages.stages.vindex import VectorIndex, lists_for, train, training_sample

    t0 = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    lists = lists or lists_for(len(pool))
    first = pool.rows(0, min(len(pool), shard_docs))
    trained = train(first[training_sample(len(first), lists)], lists)
    del first
    t_train = time.perf_counter() - t0
    paths, size = [], 0
    for k, start in enumerate(range(0, len(pool), shard_docs)):
        stop = min(len(pool), start + shard_docs)
        shard = VectorIndex.build(pool.rows(start, stop), np.arange(start, stop), trained)
        files = shard.save(folder / f"shard{k:03d}")
        size += sum(f.stat().st_size for f in files)
        paths.append(folder / f"shard{k:03d}")
        del shard
    return paths, {"lists": lists, "train_seconds": round(t_train, 1),
                   "build_seconds": round(time.perf_counter() - t0, 1),
                   "index_bytes_per_doc": round(size / len(pool), 1),
                   "index_memory_bytes_per_doc": round(sum((p.with_name(p.name + ".ivf")).stat().st_size
                                                           for p in paths) / len(pool), 1)}


def search_approx(queries: np.ndarray, paths: list[Path], k: int, probes: int, shortlist: int):
    from twinpages.stages.vindex import Neighbours, VectorIndex

    parts, assigned = [], None
    for path in paths:
        shard = VectorIndex.load(path)
        if assigned is None:
            assigned = shard.assign(queries, probes)
        parts.append(shard.search(queries, k, shortlist, assigned))
        del shard
    return Neighbours.merge(parts, k)


def search_exact(queries: np.ndarray, pool: Pool, k: int, block: int = 250_000):
    import faiss

    from twinpages.stages.vindex import Neighbours

    parts = []
    for start in range(0, len(pool), block):
        base = pool.rows(start, min(len(pool), start + block))
        sims, rows = faiss.knn(queries, base, k, metric=faiss.METRIC_INNER_PRODUCT)
        parts.append(Neighbours(np.where(rows >= 0, rows + start, -1), sims))
    return Neighbours.merge(parts, k)


def gold_in_neighbours(gold: np.ndarray, nn_en, nn_fr, en_rows: np.ndarray, fr_rows: np.ndarray) -> float:
    """Share of gold pairs (en row, fr row) where either is among the other's neighbours; ``nn_en`` has
    one row per ``en_rows`` query (ids: fr pool rows), ``nn_fr`` per ``fr_rows``."""
    where_en = {r: i for i, r in enumerate(en_rows.tolist())}
    where_fr = {r: i for i, r in enumerate(fr_rows.tolist())}
    found = 0
    for e, f in gold.tolist():
        found += f in set(nn_en.ids[where_en[e]].tolist()) or e in set(nn_fr.ids[where_fr[f]].tolist())
    return found / len(gold)


def run_size(args) -> dict:
    import faiss

    from twinpages.stages.candidates import CandidatesConfig, pairs_from_neighbours

    faiss.omp_set_num_threads(args.threads)
    en, fr, real, gold = load_vectors(args)
    rng = np.random.default_rng(0)
    real = real[rng.permutation(len(real))]
    if args.gold_sample:  # a seeded sample of the gold pairs as the only queries (exact search at 10M)
        gold = gold[np.sort(np.random.default_rng(1).choice(len(gold), args.gold_sample, replace=False))]
    half = len(real) // 2
    n = args.size
    pools = {"en": Pool(en, real[:min(half, n)], real, n, 1),
             "fr": Pool(fr, real[half:half + min(half, n)], real, n, 2)}
    config = CandidatesConfig()
    out: dict = {"distractors_per_language": n, "pool_en": len(pools["en"]), "pool_fr": len(pools["fr"]),
                 "real_distractors_per_language": min(half, n), "gold_pairs": len(gold), "k": config.k,
                 "probes": args.probes, "shortlist": args.shortlist, "shard_docs": args.shard_docs}
    full = n <= args.full_below
    q_en = np.arange(len(pools["en"])) if full else np.unique(gold[:, 0])
    q_fr = np.arange(len(pools["fr"])) if full else np.unique(gold[:, 1])
    out["queries"] = int(len(q_en) + len(q_fr))
    out["all_queries"] = len(pools["en"]) + len(pools["fr"])
    # approximate
    idx = {}
    for lang in ("en", "fr"):
        folder = Path(args.work) / f"index-{n}" / lang
        if args.reuse_index and any(folder.glob("shard*.ivf")):  # built by an earlier call with this size
            idx[lang] = [p.with_name(p.name[:-4]) for p in sorted(folder.glob("shard*.ivf"))]
            out[f"build_{lang}"] = {"build_seconds": 0.0, "reused": True}
            continue
        idx[lang], out[f"build_{lang}"] = build_approx(pools[lang], folder, args.shard_docs, args.lists)
    out["build_seconds"] = round(sum(out[f"build_{x}"]["build_seconds"] for x in ("en", "fr")), 1)
    out["peak_rss_mb_after_build"] = peak_mb()
    t0 = time.perf_counter()
    nn_en = _batched(lambda q: search_approx(q, idx["fr"], config.k, args.probes, args.shortlist), pools["en"], q_en)
    nn_fr = _batched(lambda q: search_approx(q, idx["en"], config.k, args.probes, args.shortlist), pools["fr"], q_fr)
    out["search_seconds"] = round(time.perf_counter() - t0, 1)
    if not full:
        out["search_seconds_all_queries_extrapolated"] = round(out["search_seconds"] * out["all_queries"]
                                                               / out["queries"])
    out["gold_in_neighbours"] = gold_in_neighbours(gold, nn_en, nn_fr, q_en, q_fr)
    if full:
        cands = pairs_from_neighbours(q_en, q_fr, nn_en, nn_fr, config)
        out["gold_recall"] = _recall(cands, gold)
        out["candidates"] = len(cands)
    out["peak_rss_mb"] = peak_mb()
    # exact, streaming the pools
    if len(pools["en"]) <= args.exact_max_pool:
        t0 = time.perf_counter()
        ex_en = _batched(lambda q: search_exact(q, pools["fr"], config.k), pools["en"], q_en)
        ex_fr = _batched(lambda q: search_exact(q, pools["en"], config.k), pools["fr"], q_fr)
        out["exact_search_seconds"] = round(time.perf_counter() - t0, 1)
        out["exact_gold_in_neighbours"] = gold_in_neighbours(gold, ex_en, ex_fr, q_en, q_fr)
        if full:
            cands = pairs_from_neighbours(q_en, q_fr, ex_en, ex_fr, config)
            out["exact_gold_recall"] = _recall(cands, gold)
            out["exact_candidates"] = len(cands)
        same = np.mean([len(set(a) & set(b)) / config.k for a, b in zip(nn_en.ids.tolist(), ex_en.ids.tolist(),
                                                                          strict=True)])
        out["neighbour_overlap_en_queries"] = round(float(same), 4)
        # the ratio margin's neighbourhood means: approximate (true cosines of the neighbours found) vs exact
        diff = np.abs(np.concatenate([_means(nn_en) - _means(ex_en), _means(nn_fr) - _means(ex_fr)]))
        out["neighbourhood_mean_abs_diff"] = {"median": round(float(np.median(diff)), 5),
                                              "p99": round(float(np.percentile(diff, 99)), 5),
                                              "max": round(float(diff.max()), 5)}
        out["peak_rss_mb_with_exact"] = peak_mb()
    return out


def _means(nn) -> np.ndarray:
    sims = np.where(np.isfinite(nn.sims), nn.sims, np.nan)
    return np.nanmean(sims, axis=1)


def _batched(search, pool: Pool, rows: np.ndarray, batch: int = 250_000):
    from twinpages.stages.vindex import Neighbours

    parts = []
    for start in range(0, len(rows), batch):
        r = rows[start:start + batch]
        q = pool.rows(int(r[0]), int(r[-1]) + 1)[r - r[0]] if len(r) else np.zeros((0, 512), np.float32)
        parts.append(search(q))
    return Neighbours(np.concatenate([p.ids for p in parts]), np.concatenate([p.sims for p in parts]))


def _recall(cands, gold: np.ndarray) -> float:
    found = set(zip(cands.src.tolist(), cands.tgt.tolist(), strict=True))
    return sum((int(e), int(f)) in found for e, f in gold) / len(gold)


def load_vectors(args):
    """DDTP en and fr vectors, real distractor vectors, and gold pairs as (en row, fr row)."""
    work = Path(args.work)
    cache = work / "vectors.npz"
    if cache.exists():
        with np.load(cache) as f:
            return f["en"], f["fr"], f["real"], f["gold"]
    shared = Path(args.shared) / "data" / "docalign" / "ddtp-en-fr"
    ids, langs, vecs = embedded(shared / "docs.jsonl.gz", work / "ddtp-run", work / "ddtp.sqlite")
    en_ids = [i for i, x in zip(ids, langs, strict=True) if x == "en"]
    fr_ids = [i for i, x in zip(ids, langs, strict=True) if x == "fr"]
    en, fr = vecs[langs == "en"], vecs[langs == "fr"]
    row_en, row_fr = {i: k for k, i in enumerate(en_ids)}, {i: k for k, i in enumerate(fr_ids)}
    gold = []
    for line in (shared / "gold.tsv").read_text(encoding="utf-8").splitlines():
        a, b = (line.split("\t") + [""])[:2]
        if a in row_en and b in row_fr:
            gold.append((row_en[a], row_fr[b]))
        elif b in row_en and a in row_fr:
            gold.append((row_en[b], row_fr[a]))
    _, _, real = embedded(fetch_i18n(work), work / "i18n-run", work / "i18n.sqlite")
    gold = np.asarray(gold, np.int64)
    np.savez(cache, en=en, fr=fr, real=real, gold=gold)
    return en, fr, real, gold


def crossover(args) -> dict:
    """Candidate-search seconds, exact against approximate (build + search, both directions), on DDTP
    subsets of growing size: where the compressed index starts to pay."""
    import faiss

    from twinpages.stages.candidates import CandidatesConfig, find_candidates

    faiss.omp_set_num_threads(args.threads)
    en, fr, _, _ = load_vectors(args)
    rows = []
    for n in (2_000, 5_000, 10_000, 19_501):
        vecs = np.concatenate([en[:n], fr[:n]])
        langs = ["en"] * min(n, len(en)) + ["fr"] * min(n, len(fr))
        row = {"en": min(n, len(en)), "fr": min(n, len(fr))}
        for kind in ("exact", "approx"):
            t0 = time.perf_counter()
            find_candidates(vecs, langs, replace(CandidatesConfig(), index=kind))
            row[f"{kind}_seconds"] = round(time.perf_counter() - t0, 2)
        rows.append(row)
    return {"crossover": rows}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("shared", help="the ../shared folder")
    p.add_argument("--work", required=True, help="scratch folder (vectors, indexes: ~1.1 kB a document)")
    p.add_argument("--size", type=int, help="distractors per language")
    p.add_argument("--crossover", action="store_true", help="exact vs approximate seconds on DDTP subsets")
    p.add_argument("--full-below", type=int, default=200_000, help="every document is a query up to this size")
    p.add_argument("--exact-max-pool", type=int, default=1_200_000, help="exact search up to this pool size")
    p.add_argument("--shard-docs", type=int, default=500_000)
    p.add_argument("--lists", type=int, default=0, help="IVF cells (0: the default rule)")
    p.add_argument("--probes", type=int, default=32)
    p.add_argument("--shortlist", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--gold-sample", type=int, default=0, help="query only this many gold pairs (seeded sample)")
    p.add_argument("--reuse-index", action="store_true", help="search the index an earlier call built")
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = p.parse_args()
    Path(args.work).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    result = crossover(args) if args.crossover else run_size(args)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["machine"] = f"{sys.platform}, {__import__('os').cpu_count()} cores"
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
