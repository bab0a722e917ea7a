"""How the command line and the Python API meet a new user (issue 15): checked values, clear refusals,
a summary a person reads and one a script reads, language pairs in a fixed order, pages with the names
a mirror gives them, and results that come back from `mine`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import DE_SEED, EN_SEED, EXAMPLES
from twinpages import __version__, extract, mine
from twinpages.cli import main as cli_main

TWINPAGES = [sys.executable, "-m", "twinpages"]


def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*TWINPAGES, *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("flags, message", [
    (["--workers", "0"], "--workers: must be at least 1"),
    (["--threads", "-3"], "--threads: must be at least 1"),
    (["--min-score", "7"], "--min-score: must be from 0.0 to 1.0"),
    (["-l", "en"], "not a language pair"),
    (["--checkpoint-every", "0"], "must be at least 1"),
])
def test_values_out_of_range_are_refused(tmp_path, flags, message, capsys):
    with pytest.raises(SystemExit) as e:
        cli_main(["mine", str(EXAMPLES), "-o", str(tmp_path / "out"), *flags])
    assert e.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_library_checks_the_same_ranges():
    from dataclasses import replace

    from twinpages import PipelineConfig, RunnerConfig
    from twinpages.runners import make_runner

    config = PipelineConfig()
    with pytest.raises(ValueError, match="--min-score must be from 0.0 to 1.0, not 7"):
        replace(config, docalign=replace(config.docalign, min_score=7))
    with pytest.raises(ValueError, match="--workers must be at least 1"):
        make_runner(RunnerConfig(workers=0))


def test_what_cannot_run_says_why_and_exits_2(tmp_path):
    missing = run("mine", str(tmp_path / "nope"), "-o", str(tmp_path / "out"))
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr and "nope" in missing.stderr
    assert not (tmp_path / "out").exists()  # a typo creates nothing
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.md").write_text("not a page", encoding="utf-8")
    nothing = run("mine", str(tmp_path / "empty"), "-o", str(tmp_path / "out2"))
    assert nothing.returncode == 2 and "no input documents" in nothing.stderr
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    a_file = run("mine", str(EXAMPLES), "-o", str(tmp_path / "afile"))
    assert a_file.returncode == 2 and "afile exists and is not a twinpages run folder" in a_file.stderr
    for done in (missing, nothing, a_file):
        assert "Traceback" not in done.stderr and ".work" not in done.stderr


def test_version_json_summary_and_a_summary_for_people(tmp_path):
    assert run("-V").stdout.strip() == f"twinpages {__version__}"
    done = run("mine", str(EXAMPLES), "-o", str(tmp_path / "out"), "-q", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["document_pairs"] == 1 and summary["exit_code"] == 0 and summary["out"].endswith("out")
    assert "{" not in done.stderr and "documents read 2, kept 2, failed 0" in done.stderr
    assert "[" not in done.stderr  # no Python lists or dicts for a person to decode
    verbose = run("mine", str(EXAMPLES), "-o", str(tmp_path / "out"), "-q", "-v")
    assert "seconds per phase" in verbose.stderr


def test_help_shows_defaults_and_examples():
    text = " ".join(run("mine", "--help").stdout.split())  # help is wrapped to the terminal
    assert "examples:" in text and "-l en-de,en-fr" in text and "(default: 0.35)" in text
    assert "line dumps (.txt), HTML pages, WARC and WET archives, JSONL records" in text and "--paths-file" in text
    extract_help = run("extract", "--help").stdout
    assert "--workers" in extract_help and "--encoder" not in extract_help and "--min-score" not in extract_help


def test_language_pairs_choose_the_pairs_and_their_column_order(tmp_path):
    out = tmp_path / "de-en"
    assert cli_main(["mine", str(EXAMPLES), "-o", str(out), "-q", "-l", "de-en"]) == 0
    assert [p.name for p in sorted((out / "bitext").iterdir())] == ["de-en.jsonl", "de-en.parquet", "de-en.tmx",
                                                                     "de-en.tsv", "rejected"]
    assert [p.name for p in (out / "bitext" / "rejected").iterdir()] == ["de-en.jsonl"]
    rows = [line.split("\t") for line in (out / "bitext" / "de-en.tsv").read_text(encoding="utf-8").splitlines()]
    assert rows and all(r[0].endswith(DE_SEED) and r[1].endswith(EN_SEED) for r in rows)
    assert rows[0][2].startswith("Der Anruf")  # German first, as asked, though English is the original
    pair = json.loads((out / "docpairs.jsonl").read_text(encoding="utf-8"))
    assert pair["src_id"] == EN_SEED and pair["direction"] == "en->de"  # docpairs: the original first
    other = tmp_path / "en-fr"
    result = mine(EXAMPLES, other, config=_langs("en-fr"))
    assert result.stats["candidates"] == 0 and len(result.pairs) == 0  # en-de was not searched
    assert (other / "bitext" / "en-fr.tsv").read_text(encoding="utf-8") == ""


def _langs(text: str):
    from dataclasses import replace

    from twinpages import PipelineConfig
    from twinpages.settings import language_pairs

    config = PipelineConfig()
    return replace(config, candidates=replace(config.candidates, langs=language_pairs(text)))


def test_one_to_one_is_per_language_pair(tmp_path):
    """A story in English (original), German and French: the de-fr pair must not take the German page's
    one place away from the en-de pair, as it did when one-to-one ran over all pairs at once."""
    from twinpages.data import DocPair, SentPair
    from twinpages.io import atomic_lines
    from twinpages.phases.select import SelectedPairs, select
    from twinpages.schemas import pair_to_dict

    bead = SentPair((0,), (0,), "a", "b", 0.5, 0.8)

    def pair(a, b, score):
        return DocPair(a, b, a, b, score, 1.0, 1.0, "unknown", beads=[bead], candidate_score=1.0)

    decided = tmp_path / "decided.jsonl"
    pairs = [pair("de", "fr", 0.9), pair("en", "de", 0.8), pair("en", "fr", 0.7)]
    atomic_lines(decided, (json.dumps(pair_to_dict(p)) + "\n" for p in pairs))
    select([decided], tmp_path / "pairs.jsonl", one_to_one_only=True)
    kept = {(p.src_id, p.tgt_id) for p in SelectedPairs(tmp_path / "pairs.jsonl")}
    assert kept == {("de", "fr"), ("en", "de"), ("en", "fr")}


def test_pages_named_as_a_mirror_names_them_are_read(tmp_path):
    site = tmp_path / "mirror"
    site.mkdir()
    body = "<p>Ein Absatz über das Wetter in den Bergen, der lang genug für einen Artikel ist.</p>"
    for name in ("article.php?id=17", "artikel", "seite.shtml", "seite.xhtml"):
        (site / name).write_text(f"<!DOCTYPE html><html><body><article>{body}{name}</article></body></html>",
                                 encoding="utf-8")
    (site / "style.css").write_text("body { color: red }", encoding="utf-8")
    (site / "README").write_text("Mirror made with wget.", encoding="utf-8")
    (site / "gold.json").write_text(json.dumps({"pairs": [[1, 2]] * 50}, indent=2), encoding="utf-8")
    result = mine([site], tmp_path / "out", until="read")
    assert result.stats["documents_kept"] == 4
    assert [(e.doc_id, e.error) for e in result.errors] == [("gold.json", "not_documents")]  # one, not 100


def test_mine_returns_what_it_found_and_takes_one_path_as_a_string(tmp_path):
    result = mine(str(EXAMPLES), tmp_path / "out")  # a str is one path, not a list of characters
    assert result.stats["documents_read"] == 2
    assert len(result.pairs) == 1 and result.pairs[0].src_id == EN_SEED  # read back from the run folder
    assert [p.direction for p in result.pairs] == ["en->de"]


def test_extract_runs_on_workers_and_resumes_into_mine(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert cli_main(["extract", str(EXAMPLES), "-o", str(one), "-q"]) == 0
    assert cli_main(["extract", str(EXAMPLES), "-o", str(two), "-q", "--workers", "2"]) == 0
    assert (one / "documents.jsonl").read_bytes() == (two / "documents.jsonl").read_bytes()
    docs = [json.loads(x) for x in (one / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [d["id"] for d in docs] == [EN_SEED, DE_SEED] and "More Stories" not in docs[1]["text"]
    result = extract(EXAMPLES, tmp_path / "lib")
    assert result.stats["documents_kept"] == 2
    # the extract folder is a run folder: mine into it carries on after the read phase
    mined = mine(EXAMPLES, one)
    assert len(mined.pairs) == 1 and mined.stats["stage_seconds"].get("read", 0) == 0


def _stopped_mine(tmp_path, sig: int) -> tuple[subprocess.Popen, str, Path]:
    """A `mine` of 400 documents sent ``sig`` once its run folder has shards: (the process, its stderr,
    the run folder)."""
    corpus = tmp_path / "corpus.jsonl"
    text = (EXAMPLES / EN_SEED).read_text(encoding="utf-8")
    corpus.write_text("".join(json.dumps({"id": f"d{k}", "text": f"Copy {k}.\n{text}"}) + "\n"
                              for k in range(400)), encoding="utf-8")
    out = tmp_path / "out"
    # SIGINT as a terminal's Ctrl-C delivers it: handled by default in the run, even when this test itself
    # was started as a background job (a shell's `&` makes children ignore SIGINT, and Python keeps that)
    proc = subprocess.Popen([*TWINPAGES, "mine", str(corpus), "-o", str(out)], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (out / "shards").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(sig)
    return proc, proc.communicate(timeout=120)[1], out


def test_ctrl_c_says_how_to_resume(tmp_path):
    proc, err, out = _stopped_mine(tmp_path, signal.SIGINT)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "rerun the same command to resume" in err and "Traceback" not in err
    shutil.rmtree(out)


def test_sigterm_says_how_to_resume(tmp_path):
    """Issue 26 O: a scheduler or `kill` stops the run with SIGTERM: a message, exit 143, and it resumes."""
    proc, err, out = _stopped_mine(tmp_path, signal.SIGTERM)
    assert proc.returncode == 143, err
    assert "terminated (SIGTERM)" in err and "rerun the same command to resume" in err and "Traceback" not in err


@pytest.mark.parametrize("langs,message", [
    ("en-fr,fr-en", "repeats a pair given before"), ("en-fr-de", "is not a language pair"),
    (",", "names no language pair"), ("en-xx", "'xx' is not a language any encoder covers"),
    ("en-en", "names one language twice")])
def test_language_pairs_are_checked(capsys, tmp_path, langs, message):
    """Issue 26 O: each of these was taken (an empty fr-en set, en-fr-de as en-fr, no filter, an unknown code)."""
    with pytest.raises(SystemExit) as refused:
        cli_main(["mine", str(EXAMPLES), "-o", str(tmp_path / "out"), "-l", langs])
    assert refused.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_flags_that_would_make_an_empty_or_odd_run_are_refused(capsys, tmp_path):
    """Issue 26 O: --formats "" wrote no bitext; -o "" said ". exists"."""
    assert cli_main(["mine", str(EXAMPLES), "-o", str(tmp_path / "out"), "--formats", ""]) == 2
    assert "--formats names no format" in capsys.readouterr().err
    assert cli_main(["mine", str(EXAMPLES), "-o", ""]) == 2
    assert "the output folder (-o) is an empty name" in capsys.readouterr().err


def test_more_workers_than_cores_run_as_many_as_there_are_cores(capsys):
    from twinpages.runners import RunnerConfig, make_runner, usable_cores

    with make_runner(RunnerConfig(workers=usable_cores() + 62)) as runner:
        assert runner.workers == usable_cores()
    assert f"--workers {usable_cores() + 62} is more than the {usable_cores()} cores" in capsys.readouterr().err


def test_a_report_folder_and_run_folders_are_never_inputs(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(EXAMPLES, site)
    assert cli_main(["mine", str(site), "-o", str(site / "out"), "-q"]) == 0
    assert cli_main(["report", str(site / "out"), "-o", str(site / "out" / "report")]) == 0
    again = mine([site], tmp_path / "again")
    assert again.stats["documents_read"] == 2 and len(again.pairs) == 1



def test_pages_that_name_each_other_are_candidates_and_evidence_never_proof(tmp_path):
    """hreflang alternates: the seed pair's pages name each other (found, marked `linked`); the English
    page also names an unrelated German page as its Austrian version (a candidate, not a pair)."""
    from html import escape

    def page(lines, lang, url, links):
        heads = "".join(f'<link rel="alternate" hreflang="{h}" href="{u}">' for h, u in links)
        body = "".join(f"<p>{escape(x)}</p>" for x in lines if x.strip())
        return (f'<!DOCTYPE html><html lang="{lang}"><head><link rel="canonical" href="{url}">{heads}</head>'
                f"<body><article>{body}</article></body></html>")

    en = (EXAMPLES / EN_SEED).read_text(encoding="utf-8").splitlines()
    de = (EXAMPLES / DE_SEED).read_text(encoding="utf-8").splitlines()
    other = ["Die Gemeinde Hallstatt hat am Montag einen neuen Bürgermeister gewählt, der sein Amt im Mai antritt.",
             "Er will sich vor allem um den Verkehr und die vielen Touristen im Ort kümmern, sagte er am Abend.",
             "Die Wahlbeteiligung lag bei 71 Prozent und damit etwas höher als bei der letzten Wahl vor sechs Jahren."]
    site = tmp_path / "site"
    site.mkdir()
    (site / "en.html").write_text(page(en, "en", "https://news.example/en/austin", [
        ("de", "https://news.example/de/austin"), ("de-AT", "https://news.example/at/wahl")]), encoding="utf-8")
    (site / "de.html").write_text(page(de, "de", "https://news.example/de/austin", [
        ("en", "/en/austin")]), encoding="utf-8")
    (site / "at.html").write_text(page(other, "de", "https://news.example/at/wahl", []), encoding="utf-8")
    result = mine(site, tmp_path / "out")
    assert result.stats["linked_candidates"] == 2
    pairs = [json.loads(x) for x in (tmp_path / "out" / "docpairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(p["src_id"], p["tgt_id"], p["linked"]) for p in pairs] == [("en.html", "de.html", True)]
