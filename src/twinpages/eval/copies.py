"""Near-copy clusters against labels (`twinpages eval copies`): a labelled set built from real pages, the
run's clusters scored pair by pair, beside a plain exact-hash dedup of the same main texts.

The set (seeded, rebuilt every time): the ScrapingHub pages (real news and blog pages of many sites, each
with its article's text as gold), each as it is; and for every other page, one **copy**: its article's
paragraphs re-wrapped in another site's boilerplate (the navigation, footer and link lines twinpages'
extraction drops from that site's page), with one paragraph dropped, or a byline added, or both (a third
each). Labels: a page and its copy are one cluster; every other page is alone. The originals of different
pages are different articles (some of one topic: the set has no labels finer than that).

Scored on pairs: a predicted pair is two documents in one predicted cluster; precision and recall against
the gold pairs. The exact-hash baseline clusters documents whose main text is identical after NFKC,
case-folding and keeping letters and digits (what the bitext dedup's hash does for sentences).
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import random
import shutil
import tempfile
import unicodedata
from itertools import combinations
from pathlib import Path

BYLINE = "By Jane Doe, Staff Writer | Updated 3 hours ago"


def build(source: Path, out: Path, seed: int = 0) -> dict[str, str]:
    """Write the set into ``out/pages/`` and return its labels: document id -> cluster name."""
    from ..stages.extract import ExtractConfig, extract_html
    from ..stages.readers import read

    source, out = Path(source), Path(out)
    truth = json.loads((source / "ground-truth.json").read_text(encoding="utf-8"))
    pages = sorted(source.glob("html/*.html.gz"))
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    (out / "pages").mkdir(parents=True)
    labels: dict[str, str] = {}
    boilerplate: list[list[str]] = []
    for path in pages:
        (out / "pages" / path.name).write_bytes(path.read_bytes())
        labels[path.name] = path.name
        doc = next(iter(read([path])))
        try:
            _, lines = extract_html(doc.html, ExtractConfig())
        except Exception:  # noqa: BLE001 (a page the extractor refuses gives no boilerplate)
            lines = []
        boilerplate.append([x.text for x in lines if not x.is_main][:40])
    for k, path in enumerate(pages):
        if k % 2:
            continue
        key = path.name.removesuffix(".html.gz")
        paragraphs = [p for p in truth[key]["articleBody"].split("\n") if p.strip()]
        if len(paragraphs) < 3:
            continue
        change = k // 2 % 3
        if change in (0, 2):
            paragraphs.pop(rng.randrange(len(paragraphs)))
        if change in (1, 2):
            paragraphs.insert(0, BYLINE)
        around = boilerplate[(k + 1 + rng.randrange(len(pages) - 1)) % len(pages)]
        head, tail = around[: len(around) // 2], around[len(around) // 2:]
        body = ("<nav>" + "".join(f"<a href='#'>{html.escape(x)}</a><br>" for x in head) + "</nav><article>"
                + "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs) + "</article><footer>"
                + "".join(f"<p>{html.escape(x)}</p>" for x in tail) + "</footer>")
        name = f"copy-{key}.html.gz"
        (out / "pages" / name).write_bytes(gzip.compress(
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Copy</title></head><body>{body}</body></html>"
            .encode()))
        labels[name] = path.name
    (out / "labels.json").write_text(json.dumps(labels, indent=1), encoding="utf-8")
    return labels


def pairs_of(clusters) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for c in clusters for p in combinations(c, 2)}


def score(predicted: set, gold: set) -> dict:
    hit = len(predicted & gold)
    return {"pairs": len(predicted), "precision": hit / len(predicted) if predicted else 1.0,
            "recall": hit / len(gold) if gold else 1.0}


def normalised_hash(text: str) -> str:
    kept = "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())
    return hashlib.blake2b(kept.encode(), digest_size=8).hexdigest()


def evaluate(source: str | Path, seed: int = 0, out: str | Path | None = None, config=None,
             workers: int = 1) -> dict:
    """Build the set (in ``out``, else a temporary folder), run the read stage over it (where the copies are
    found) and score its clusters and an exact-hash dedup against the labels."""
    from .. import PipelineConfig, mine
    from ..store import Layout
    from ..store.lookup import documents
    from ..store.shards import ShardIndex, read_table

    with tempfile.TemporaryDirectory() as tmp:
        where = Path(out) if out is not None else Path(tmp)
        labels = build(source, where, seed)
        run = where / "run"
        result = mine([where / "pages"], run, config or PipelineConfig(), workers=workers, clean=True, until="read")
        layout = Layout(run)
        clusters = [json.loads(x) for x in next(iter(sorted((run / "shards").glob("copies-*.jsonl")))).read_text(
            encoding="utf-8").splitlines()]
        names = sorted(p.stem for p in layout.shards.joinpath("documents").glob("*.parquet"))  # run order
        index = ShardIndex.from_counts(names, [read_table(layout.documents(n), ["id"]).num_rows for n in names])
        docs = list(documents(layout, index, None))
    by_number = [d.id for d in docs]
    predicted = [[by_number[m] for m, _ in c["members"]] for c in clusters]
    gold_groups: dict[str, list[str]] = {}
    for doc_id, cluster in labels.items():
        gold_groups.setdefault(cluster, []).append(doc_id)
    gold = pairs_of(gold_groups.values())
    exact: dict[str, list[str]] = {}
    for d in docs:
        exact.setdefault(normalised_hash(d.main_text), []).append(d.id)
    minhash = score(pairs_of(predicted), gold)
    baseline = score(pairs_of(g for g in exact.values() if len(g) > 1), gold)
    return {"documents": len(labels), "read": len(docs), "failed": result.stats.get("documents_failed", 0),
            "gold_clusters": sum(len(g) > 1 for g in gold_groups.values()), "gold_pairs": len(gold),
            "clusters": len(predicted), "pairs": minhash["pairs"], "precision": minhash["precision"],
            "recall": minhash["recall"], "exact_hash_pairs": baseline["pairs"],
            "exact_hash_precision": baseline["precision"], "exact_hash_recall": baseline["recall"]}
