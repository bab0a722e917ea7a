"""End to end through the installed `twinpages` command, checked against ../shared/seeds/gold.json."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import pytest

from conftest import DE_SEED, EN_SEED, gold_pairs_found, main_text_of, normalise, shared_path
from twinpages.schemas import BITEXT


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twinpages", *args], capture_output=True, text=True, timeout=600)


def assert_no_boilerplate(gold, seed_dir, aligned):
    """Every aligned side lies inside the gold main text of its file: no boilerplate line is aligned."""
    en_main = main_text_of(seed_dir / EN_SEED, gold["source"]["main_lines"] + gold["source"]["optional_main_lines"])
    de_main = main_text_of(seed_dir / DE_SEED, gold["translation"]["main_lines"])
    for src, tgt in aligned:
        for sent in _sentences_of(src):
            assert sent in en_main, f"aligned English text outside the article body: {sent!r}"
        for sent in _sentences_of(tgt):
            assert sent in de_main, f"aligned German text outside the article body: {sent!r}"


def _sentences_of(side: str) -> list[str]:
    # a multi-sentence bead joins sentences with a space; each must come from the main text
    return [normalise(side)]


@pytest.fixture(scope="module")
def mined(tmp_path_factory, seed_dir):
    inp = tmp_path_factory.mktemp("in")
    for name in (EN_SEED, DE_SEED):
        shutil.copy(seed_dir / name, inp / name)
    out = tmp_path_factory.mktemp("out")
    proc = run_cli("mine", str(inp), "-o", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    return out


def test_mine_seed_pair_matches_gold(mined, gold, seed_dir):
    pairs = [json.loads(line) for line in (mined / "docpairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(pairs) == 1
    p = pairs[0]
    assert (p["src_id"], p["tgt_id"]) == (EN_SEED, DE_SEED)
    assert p["direction"] == "en->de"
    assert 0.4 <= p["src_coverage"] <= 0.6
    assert p["tgt_coverage"] >= 0.9
    with open(mined / "bitext" / "en-de.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert all(len(r) == 5 for r in rows)  # url1 url2 src trg score
    aligned = [(r[2], r[3]) for r in rows]
    assert gold_pairs_found(gold, aligned) == 12
    assert_no_boilerplate(gold, seed_dir, aligned)
    assert p["n_aligned"] == len(rows)
    assert all(0.0 < float(r[4]) <= 1.0 for r in rows)


def test_mine_writes_run_record(mined):
    run = json.loads((mined / "run.json").read_text(encoding="utf-8"))
    assert run["stats"]["documents_read"] == 2 and run["stats"]["documents_failed"] == 0
    assert "|emb:auto|" in run["label"] and run["signature"].startswith("v0.2.0-")
    assert run["stats"]["encoders"] == {"usem3": 2}  # en-de: USE-m3 covers both
    assert (mined / "errors.jsonl").read_text(encoding="utf-8") == ""
    # the bitext filter keeps the seed's 12 translations and rejects nothing (its file is there, empty)
    assert run["bitext_filter"] == {"kept": 12, "rejected": 0, "rejected_by_reason": {}}
    assert (mined / "bitext" / "rejected" / "en-de.jsonl").read_text(encoding="utf-8") == ""


@pytest.mark.parametrize("fmt", ["tsv", "jsonl", "tmx"])
def test_align_seed_pair_matches_gold(fmt, gold, seed_dir):
    proc = run_cli("align", str(seed_dir / EN_SEED), str(seed_dir / DE_SEED), "--format", fmt)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    if fmt == "tsv":
        aligned = [(c[2], c[3]) for c in (line.split("\t") for line in lines)]
    elif fmt == "jsonl":  # the bitext records `mine` writes
        aligned = [(r["src"], r["tgt"]) for r in map(json.loads, lines)]
        assert set(json.loads(lines[0])) == set(BITEXT.names)
    else:
        import xml.etree.ElementTree as ET

        units = ET.fromstring(proc.stdout).iter("tu")
        aligned = [tuple(seg.text for seg in tu.iter("seg")) for tu in units]
    assert gold_pairs_found(gold, aligned) == 12
    assert_no_boilerplate(gold, seed_dir, aligned)
    summary = json.loads(proc.stderr.strip().splitlines()[-1])
    assert summary["direction"] == "en->de" and summary["is_translation"] is True
    assert summary["bitext_filter"]["rejected_rows"] == []  # `align` names any row the filter held back


def test_unrelated_documents_yield_no_pair(tmp_path, seed_dir):
    """The English seed against German news on other stories: no document pair."""
    rows = [json.loads(x) for x in shared_path("data", "news-similarity", "semeval2022-de-en.jsonl")
            .read_text(encoding="utf-8").splitlines()]
    german = [r["text1"] for r in rows if r["lang1"] == "de" and len(r["text1"]) > 900][:3]
    assert len(german) == 3
    shutil.copy(seed_dir / EN_SEED, tmp_path / EN_SEED)
    for i, text in enumerate(german):
        (tmp_path / f"de_news_{i}.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    proc = run_cli("mine", str(tmp_path), "-o", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert (out / "docpairs.jsonl").read_text(encoding="utf-8") == ""
    assert not (out / "bitext").exists()  # no language pair found, none asked for: no bitext files


def test_bad_document_is_reported_and_run_goes_on(tmp_path, seed_dir):
    for name in (EN_SEED, DE_SEED):
        shutil.copy(seed_dir / name, tmp_path / name)
    (tmp_path / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00 not text")
    (tmp_path / "empty.txt").write_text("  \n\n", encoding="utf-8")
    deep = "<div>" * 50_000 + "Ein Satz steht hier ganz allein, und er ist lang genug." + "</div>" * 50_000
    (tmp_path / "deep.html").write_text(f"<html><body>{deep}</body></html>", encoding="utf-8")
    record = {"id": "hawaiian", "lang": "haw", "text": "Aloha kākou. He mea nui kēia no mākou a pau."}
    (tmp_path / "exotic.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = run_cli("mine", str(tmp_path), "-o", str(out), "--quiet")
    assert proc.returncode == 3, proc.stderr  # finished, with per-document errors
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {(e["doc_id"], e["error"]) for e in errors} == {
        ("broken.txt", "binary"), ("empty.txt", "empty"), ("deep.html", "html_too_deep"),
        ("hawaiian", "unsupported_language")}
    assert "documents read 6, kept 2, failed 4" in proc.stderr
    assert len((out / "docpairs.jsonl").read_text(encoding="utf-8").splitlines()) == 1


def test_align_names_a_missing_document(tmp_path, seed_dir):
    proc = run_cli("align", str(seed_dir / EN_SEED), str(tmp_path / "nope.txt"))
    assert proc.returncode == 2
    assert "nope.txt" in proc.stderr and "Traceback" not in proc.stderr


def test_extract_command_writes_main_texts(tmp_path, seed_dir):
    page = ("<html><head><title>t</title></head><body><nav>Home | Login | Subscribe</nav><article>"
            + "".join(f"<p>Dies ist der {k}. Absatz eines langen Artikels über Berge, Täler und Wege.</p>"
                      for k in range(1, 8)) + "</article><footer>Impressum</footer></body></html>")
    (tmp_path / "p.html").write_text(page, encoding="utf-8")
    shutil.copy(seed_dir / DE_SEED, tmp_path / DE_SEED)
    out = tmp_path / "out"
    proc = run_cli("extract", str(tmp_path), "-o", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    docs = {d["id"]: d for d in map(json.loads, (out / "documents.jsonl").read_text(encoding="utf-8").splitlines())}
    assert docs["p.html"]["lang"] == "de" and "7. Absatz" in docs["p.html"]["text"]
    assert "Login" not in docs["p.html"]["text"] and "Impressum" not in docs["p.html"]["text"]
    assert "More Stories" not in docs[DE_SEED]["text"] and docs[DE_SEED]["text"].count("\n") == 8


def test_a_run_says_where_the_rejected_rows_are(tmp_path, seed_dir):
    """A threshold above the seed's least likely translation: the summary names the rejected row, its
    reason and its file, and the file holds it."""
    inp = tmp_path / "in"
    inp.mkdir()
    for name in (EN_SEED, DE_SEED):
        shutil.copy(seed_dir / name, inp / name)
    out = tmp_path / "out"
    proc = run_cli("mine", str(inp), "-o", str(out), "--quiet", "--min-translation-probability", "0.99")
    assert proc.returncode == 0, proc.stderr
    assert f"bitext rows kept 11, rejected 1 (low_probability 1) -> {out}/bitext/rejected/" in proc.stderr
    (row,) = [json.loads(x) for x in (out / "bitext" / "rejected" / "en-de.jsonl").read_text("utf-8").splitlines()]
    assert row["filter_reason"] == "low_probability" and row["translation_probability"] < 0.99
