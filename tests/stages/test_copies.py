"""Near-copies in one language: MinHash signatures, banded candidates, clusters, and what a run writes."""

import json
import random
from pathlib import Path

import numpy as np

from twinpages.stages.copies import CopiesConfig, band_keys, candidate_edges, clusters, signature, similarity

WORDS = ("the committee approved a new budget for the coming year after long talks with unions and employers "
         "about wages and prices in the region while farmers asked for help").split()


def article(seed: int, sentences: int = 6) -> list[str]:
    r = random.Random(seed)
    return [" ".join(r.choice(WORDS) for _ in range(20)) + "." for _ in range(sentences)]


def test_a_repost_is_a_copy_and_another_article_is_not():
    config = CopiesConfig()
    text = article(1)
    original = signature("\n".join(text), config)
    repost = signature("Home | News | Login\n" + "\n".join(text) + "\nShare this story", config)
    other = signature("\n".join(article(2)), config)
    assert similarity(original, repost) >= config.threshold > similarity(original, other)
    # a copy shares band keys in its language only
    assert (band_keys(original, "en", config) == band_keys(repost, "en", config)).any()
    assert not (band_keys(original, "en", config) == band_keys(repost, "de", config)).any()
    assert signature("too short to tell", config) is None


def test_signatures_are_the_same_in_every_process():
    import subprocess
    import sys

    code = ("from twinpages.stages.copies import CopiesConfig, signature; "
            "print(signature(' '.join(['alpha beta gamma delta'] * 20), CopiesConfig()).tolist()[:5])")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("1", "2")}
    assert len(runs) == 1


def test_edges_and_clusters():
    keys = np.array([7, 7, 7, 9, 9, 11], np.uint64)
    numbers = np.array([5, 2, 8, 8, 3, 4])
    assert candidate_edges(keys, numbers) == {(2, 5), (2, 8), (3, 8)}  # each to the first of its key
    assert clusters([(2, 5), (2, 8), (3, 8), (10, 11)]) == [[2, 3, 5, 8], [10, 11]]


def test_a_run_writes_its_clusters(tmp_path: Path):
    from twinpages import mine

    text = article(1)
    docs = [{"id": "orig", "url": "https://news.example/a", "lang": "en", "text": "\n".join(text)},
            {"id": "repost", "url": "https://agg.example/x", "lang": "en",
             "text": "Home | News | Login\n" + "\n".join(text) + "\nShare this story now"},
            {"id": "other", "url": "https://other.example/z", "lang": "en", "text": "\n".join(article(5))}]
    (tmp_path / "docs.jsonl").write_text("\n".join(json.dumps(d) for d in docs), encoding="utf-8")
    from twinpages.config import PipelineConfig
    from twinpages.stages.extract import ExtractConfig

    result = mine([tmp_path / "docs.jsonl"], tmp_path / "out", PipelineConfig(extract=ExtractConfig(mode="none")))
    (cluster,) = [json.loads(x) for x in (tmp_path / "out" / "copies.jsonl").read_text(encoding="utf-8").splitlines()]
    # the representative: the longest main text (the repost keeps its menu with --extract none)
    assert cluster["representative"] == "repost" and cluster["lang"] == "en"
    assert [(m["id"], m["url"]) for m in cluster["members"]] == [("orig", "https://news.example/a"),
                                                                  ("repost", "https://agg.example/x")]
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert run["stats"]["copies"] == {"clusters": 1, "documents": 2}
    assert result is not None


def test_a_copy_that_drops_a_paragraph_is_contained_in_its_original():
    """Jaccard falls with every sentence one side has and the other not; containment (the share of the
    shorter text found in the longer) stays near 1 for a copy cut short, and near 0 for another article."""
    from twinpages.stages.copies import containment, shingle_count

    config = CopiesConfig()
    full = "\n".join(article(3, sentences=12))
    cut = "\n".join(article(3, sentences=12)[:7])
    a, b = signature(full, config), signature(cut, config)
    assert similarity(a, b) < config.threshold <= containment(a, b, shingle_count(full, config),
                                                               shingle_count(cut, config))
    other = "\n".join(article(4, sentences=7))
    assert containment(a, signature(other, config), shingle_count(full, config), shingle_count(other, config)) < 0.3
