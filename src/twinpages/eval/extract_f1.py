"""Main-text extraction scored as in the ScrapingHub article-extraction benchmark.

Token 4-gram shingles ("\\w+" tokens) of the predicted and true article bodies are matched as
multisets; each page's TP/FP/FN are normalised to sum to 1 so long pages weigh no more than short
ones; precision and recall are macro-averaged over pages (pages with nothing to score skipped, as
the benchmark does) and F1 is their harmonic mean. Confidence intervals: 1.96 x the standard
deviation of a seeded bootstrap over pages. Reimplemented from the benchmark's description and
checked against its published trafilatura figure (BENCHMARKS.md).
"""

from __future__ import annotations

import gzip
import json
import random
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_TOKEN = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i:i + n])


def page_counts(true: str, pred: str, n: int = 4) -> tuple[float, float, float]:
    t, p = shingles(true, n), shingles(pred, n)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp, fp, fn):
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp, fp, fn):
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def metrics(counts: list[tuple[float, float, float]]) -> dict[str, float]:
    p = statistics.mean([_precision(*c) for c in counts if c[0] + c[1] > 0] or [0.0])
    r = statistics.mean([_recall(*c) for c in counts if c[0] + c[2] > 0] or [0.0])
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def score(truths: list[str], preds: list[str], n_bootstrap: int = 1000, seed: int = 0) -> dict[str, float]:
    counts = [page_counts(t, p) for t, p in zip(truths, preds, strict=True)]
    result = metrics(counts)
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {k: [] for k in result}
    for _ in range(n_bootstrap):
        boot = metrics([counts[rng.randrange(len(counts))] for _ in counts])
        for k, v in boot.items():
            samples[k].append(v)
    if n_bootstrap > 1:
        result |= {f"{k}_ci": 1.96 * statistics.stdev(v) for k, v in samples.items()}
    return result


@dataclass
class Page:
    id: str
    url: str
    html: str
    truth: str


def load_scrapinghub(data: Path) -> list[Page]:
    """``html/<id>.html.gz`` and ``ground-truth.json`` {id: {articleBody, url}}, sorted by id."""
    data = Path(data)
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth):
        with gzip.open(data / "html" / f"{key}.html.gz", "rt", encoding="utf-8", errors="replace") as f:
            html = f.read()
        pages.append(Page(key, truth[key].get("url", ""), html, truth[key].get("articleBody", "")))
    return pages


def _extract_all(args: tuple[list[tuple[str, str, str]], str, str]) -> list[str]:
    """Worker: (id, html, line dump) triples to main texts; builds its own extractor (models load lazily)."""
    from ..data import Document
    from ..stages.extract import ExtractConfig, Extractor

    items, html_extractor, line_classifier = args
    extractor = Extractor(ExtractConfig(html_extractor=html_extractor, line_classifier=line_classifier))
    return [extractor.extract(Document(i, raw=dump, html=html)).main_text for i, html, dump in items]


def evaluate(data: Path, mode: str = "html", html_extractor: str = "trafilatura", n_bootstrap: int = 1000,
             workers: int = 2, line_classifier: str = "model") -> dict:
    """Extract every page of a ScrapingHub-style set and score it. ``mode="lines"`` first flattens each
    page to a line dump (resiliparse, no main-content filter, one block per line) and extracts from
    that, as for the seeds. Non-English pages (by the language of their true text) are also scored
    apart. Pages are split over ``workers`` processes; pages_per_s counts the extraction only."""
    import time

    from ..backends.html import page_text
    from ..backends.lid import get_identifier
    from ..runners import RunnerConfig, make_runner

    pages = load_scrapinghub(data)
    items = [(p.id, p.html if mode == "html" else None, "" if mode == "html" else "\n".join(page_text(p.html)))
             for p in pages]
    chunks = [(items[k::workers], html_extractor, line_classifier) for k in range(workers)]
    with make_runner(RunnerConfig(workers=workers)) as runner:
        warm = ([("w", None, "Warm up the models.")], html_extractor, line_classifier)
        list(runner.map(_extract_all, [warm] * workers))
        t0 = time.perf_counter()
        results = list(runner.map(_extract_all, chunks))
        seconds = time.perf_counter() - t0
    preds = [""] * len(pages)
    for k, res in enumerate(results):
        preds[k::workers] = res
    result = score([p.truth for p in pages], preds, n_bootstrap)
    lid = get_identifier("fasttext")
    foreign = [k for k, p in enumerate(pages) if lid.detect(p.truth)[0] != "en"]
    sub = score([pages[k].truth for k in foreign], [preds[k] for k in foreign], 0)
    return result | {"f1_non_english": sub["f1"], "pages_non_english": len(foreign), "pages": len(pages),
                     "pages_per_s": len(pages) / seconds, "workers": workers, "mode": mode,
                     "html_extractor": html_extractor if mode == "html" else f"line classifier ({line_classifier})"}
