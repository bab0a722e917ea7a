"""The run folder contract: marker and manifest, resume with the same signature, refusal with another
(unless --clean), never read as input; and the record schemas written once."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import DE_SEED, EN_SEED, REPO
from twinpages import PipelineConfig, mine
from twinpages.store import MARKER, RunFolder, RunFolderError


@pytest.fixture(scope="module")
def seeds(tmp_path_factory, seed_dir) -> Path:
    inp = tmp_path_factory.mktemp("seeds")
    for name in (EN_SEED, DE_SEED):
        shutil.copy(seed_dir / name, inp / name)
    return inp


def test_a_run_folder_has_a_marker_and_a_manifest(seeds, tmp_path):
    out = tmp_path / "out"
    mine([seeds], out)
    assert json.loads((out / MARKER).read_text())["signature"] == PipelineConfig().signature()
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["phases"]) == {"repeats", "read", "ids", "copies", "embed", "index", "candidates", "decide",
                                       "select", "state"}
    listed = {e["path"] for files in manifest["phases"].values() for e in files}
    on_disk = {p.relative_to(out).as_posix() for p in (out / "shards").rglob("*") if p.is_file()}
    assert listed == on_disk  # every shard file is accounted for, and nothing else is left
    assert {e["path"] for e in manifest["outputs"]} >= {"docpairs.jsonl", "bitext/en-de.tsv", "run.json"}


def test_a_rerun_resumes_and_other_settings_are_refused_unless_clean(seeds, tmp_path):
    out = tmp_path / "out"
    first = mine([seeds], out)
    again = mine([seeds], out)  # everything done: nothing is computed again
    assert again.stats["sentences_embedded"] == 0 and again.stats["document_pairs"] == first.stats["document_pairs"]
    other = replace(PipelineConfig(), docalign=replace(PipelineConfig().docalign, min_score=0.5))
    with pytest.raises(RunFolderError, match="--clean"):
        mine([seeds], out, other)
    assert (out / "docpairs.jsonl").exists()  # the refused run touched nothing
    mine([seeds], out, other, clean=True)
    assert RunFolder(out).signature() == other.signature()


def test_other_output_formats_rewrite_only_the_outputs(seeds, tmp_path):
    out = tmp_path / "out"
    mine([seeds], out)
    tsv_only = replace(PipelineConfig(), output=replace(PipelineConfig().output, formats=("tsv",)))
    result = mine([seeds], out, tsv_only)
    assert result.stats["sentences_embedded"] == 0  # same signature: the shards were reused
    assert (out / "bitext/en-de.tsv").exists() and not (out / "bitext" / "en-de.tmx").exists()
    assert not (out / "docpairs.parquet").exists()  # no stale file of the earlier formats


def test_a_folder_that_is_not_a_run_is_refused(seeds, tmp_path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(RunFolderError, match="not a twinpages run folder"):
        mine([seeds], tmp_path)


def test_run_folders_are_never_read_as_input(seeds, tmp_path):
    """`mine site -o site/out` twice: the second run does not read the first run's outputs."""
    site = tmp_path / "site"
    shutil.copytree(seeds, site)
    first = mine([site], site / "out")
    second = mine([site], site / "out2")
    assert first.stats["documents_read"] == second.stats["documents_read"] == 2
    with pytest.raises(ValueError, match="run folder"):
        mine([site / "out"], tmp_path / "elsewhere")


def test_cli_refuses_other_settings_with_a_clear_message(seeds, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "twinpages", "mine", str(seeds), "-o", str(out), "--quiet"]
    assert subprocess.run(cmd, capture_output=True, timeout=300).returncode == 0
    refused = subprocess.run(cmd + ["--min-score", "0.5"], capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "--clean" in refused.stderr and "other settings" in refused.stderr


def test_clean_removes_only_what_the_run_wrote(seeds, tmp_path):
    """Issue 26 H: --clean leaves a user's files in the run folder (notes, a report folder) alone."""
    out = tmp_path / "out"
    mine([seeds], out)
    (out / "notes.txt").write_text("my notes", encoding="utf-8")
    (out / "report").mkdir()
    (out / "report" / "index.html").write_text("my page", encoding="utf-8")
    (out / "bitext" / "mine.txt").write_text("kept beside the bitext", encoding="utf-8")
    other = replace(PipelineConfig(), docalign=replace(PipelineConfig().docalign, min_score=0.5),
                    output=replace(PipelineConfig().output, formats=("tsv",)))
    mine([seeds], out, other, clean=True)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "my notes"
    assert (out / "report" / "index.html").read_text(encoding="utf-8") == "my page"
    assert (out / "bitext" / "mine.txt").exists() and not (out / "bitext" / "en-de.tmx").exists()
    assert RunFolder(out).signature() == other.signature()


def test_an_input_inside_the_run_folder_is_refused_before_anything_is_removed(seeds, tmp_path):
    """Issue 26 H: `mine rc3/in -o rc3 --clean` would delete the input; `mine rc2/docpairs.jsonl -o rc2`
    would read an output and overwrite it."""
    out = tmp_path / "rc3"
    mine([seeds], out)
    shutil.copytree(seeds, out / "in")
    other = replace(PipelineConfig(), docalign=replace(PipelineConfig().docalign, min_score=0.5))
    with pytest.raises(ValueError, match="inside the run folder"):
        mine([out / "in"], out, other, clean=True)
    assert sorted(p.name for p in (out / "in").iterdir()) == sorted([EN_SEED, DE_SEED])
    before = (out / "docpairs.jsonl").read_bytes()
    with pytest.raises(ValueError, match="inside the run folder"):
        mine([out / "docpairs.jsonl"], out)
    assert (out / "docpairs.jsonl").read_bytes() == before
    from twinpages import add

    with pytest.raises(ValueError, match="inside the run folder"):
        add(out, [out / "in"])


def test_add_to_a_run_made_with_other_settings_says_what_to_do(seeds, tmp_path):
    """Issue 26 L: `add` does not take --clean; its message names the commands that do the job."""
    from twinpages import add

    out = tmp_path / "out"
    mine([seeds], out)
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    (out / MARKER).write_text(json.dumps(marker | {"signature": "v0.1.0-0000000000000000"}), encoding="utf-8")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "x.txt").write_text("A new page with a few words in it.", encoding="utf-8")
    with pytest.raises(RunFolderError) as refused:
        add(out, [extra])
    assert "`add` continues a run with the settings it was made with" in str(refused.value)
    assert "twinpages mine" in str(refused.value) and "rerun with --clean" not in str(refused.value)


def test_readme_tables_are_the_schemas():
    """The README's field tables are generated from schemas.py (python -m twinpages.schemas)."""
    from twinpages.schemas import RECORDS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for record in RECORDS.values():
        block = f"<!-- schema:{record.name} -->\n{record.markdown()}\n<!-- /schema:{record.name} -->"
        assert block in readme, f"README's {record.name} table is out of date: python -m twinpages.schemas"


def test_parquet_schemas_are_the_records(seeds, tmp_path):
    import pyarrow.parquet as pq

    from twinpages.schemas import BITEXT, DOCPAIR

    out = tmp_path / "out"
    mine([seeds], out)
    assert pq.read_schema(out / "docpairs.parquet").remove_metadata() == DOCPAIR.arrow_schema()
    assert pq.read_schema(out / "bitext" / "en-de.parquet").remove_metadata() == BITEXT.arrow_schema()
    row = json.loads((out / "docpairs.jsonl").read_text().splitlines()[0])
    assert list(row) == DOCPAIR.names


def test_a_stored_pair_with_missing_fields_is_refused():
    from twinpages.data import DocPair
    from twinpages.schemas import pair_from_dict, pair_to_dict

    d = pair_to_dict(DocPair("a", "b", "en", "de", 0.5, 1.0, 0.5, "unknown"))
    assert pair_from_dict(d) == DocPair("a", "b", "en", "de", 0.5, 1.0, 0.5, "unknown")
    del d["direction_evidence"]
    with pytest.raises(ValueError, match="missing"):
        pair_from_dict(d)


def test_every_file_a_run_writes_is_in_the_layout_and_the_readme_shows_it(seeds, tmp_path):
    """store/layout.py is the one map of a run folder: what a run writes matches one of its patterns, and
    README.md carries its table (python -m twinpages.store.layout)."""
    from twinpages.store.layout import LAYOUT, layout_pattern, markdown

    config = replace(PipelineConfig(), output=replace(PipelineConfig().output, formats=("tsv", "tmx", "jsonl",
                                                                                            "parquet")))
    out = tmp_path / "out"
    mine([seeds], out, config)
    patterns = [layout_pattern(p) for p, _ in LAYOUT]
    written = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()]
    assert len(written) > 20
    assert [w for w in written if not any(pat.fullmatch(w) for pat in patterns)] == []
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"<!-- layout -->\n{markdown()}\n<!-- /layout -->" in readme
