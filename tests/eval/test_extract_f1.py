import json
import subprocess
import sys

import pytest

from conftest import shared_path
from twinpages.eval.extract_f1 import metrics, page_counts, score, shingles


def test_shingles_are_token_4grams():
    assert shingles("a b c d e") == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}
    assert shingles("a b") == {("a", "b"): 1}  # shorter than 4 tokens: one shingle of what there is
    assert shingles("") == {}


@pytest.mark.parametrize("true, pred, expected", [
    ("one two three four five", "one two three four five", (1.0, 0.0, 0.0)),
    ("one two three four five", "", (0.0, 0.0, 1.0)),
    ("one two three four five", "one two three four six", (1 / 3, 1 / 3, 1 / 3)),
    ("", "", (0.0, 0.0, 0.0)),
])
def test_page_counts_are_normalised(true, pred, expected):
    assert page_counts(true, pred) == pytest.approx(expected)


def test_macro_average_skips_pages_with_nothing_to_score():
    m = metrics([(1.0, 0.0, 0.0), (0.0, 0.0, 1.0), (0.0, 0.0, 0.0)])
    assert m["precision"] == 1.0  # pages with tp + fp == 0 have no precision
    assert m["recall"] == pytest.approx(0.5)  # and the empty page (0, 0, 0) no recall either


def test_bootstrap_is_seeded():
    a = score(["a b c d e f"] * 5, ["a b c d x y"] * 5, n_bootstrap=50, seed=1)
    assert a == score(["a b c d e f"] * 5, ["a b c d x y"] * 5, n_bootstrap=50, seed=1)


@pytest.mark.parametrize("args, min_f1", [(["--mode", "lines"], 0.85), (["--html-extractor", "resiliparse"], 0.88)])
def test_eval_extract_cli(args, min_f1):
    """Regression guards at the measured figures (0.864 lines, 0.898 resiliparse; BENCHMARKS.md)."""
    data = shared_path("data", "extraction", "scrapinghub")
    proc = subprocess.run([sys.executable, "-m", "twinpages", "eval", "extract", "--data", str(data), *args,
                           "--json"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    m = json.loads(proc.stdout.strip().splitlines()[-1])
    assert m["pages"] == 181 and m["pages_non_english"] >= 20
    assert m["f1"] >= min_f1 and m["pages_per_s"] > 0
