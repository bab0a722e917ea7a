"""The outputs read by the tools people read bitext with (issue 15): pandas, polars, duckdb, Hugging Face
datasets, translate-toolkit, lxml with the TMX 1.4 DTD, OpusFilter. They live in their own environment
(.venv-clients, which `make test` builds from pyproject's "clients" extra); the check script runs there
on outputs this test makes: a run that found the seed pair, and a run that found nothing for a pair
asked for."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import EXAMPLES, REPO
from twinpages.cli import main as cli_main

CLIENTS_PYTHON = REPO / ".venv-clients" / "bin" / "python"


def test_real_clients_read_the_outputs(tmp_path):
    if not CLIENTS_PYTHON.exists():
        pytest.skip("the clients' environment .venv-clients is missing: `make test` builds it")
    run, empty, bicleaner = tmp_path / "run", tmp_path / "empty", tmp_path / "bicleaner"
    assert cli_main(["mine", str(EXAMPLES), "-o", str(run), "-q"]) == 0
    assert cli_main(["mine", str(EXAMPLES), "-o", str(empty), "-q", "-l", "en-fr", "--tsv-header"]) == 0
    # a threshold above the seed's least likely row: the rejected file has rows too
    assert cli_main(["mine", str(EXAMPLES), "-o", str(bicleaner), "-q", "--tsv-bicleaner", "--tsv-header",
                     "--min-translation-probability", "0.99"]) == 0
    done = subprocess.run([str(CLIENTS_PYTHON), str(REPO / "tests" / "clients" / "check_clients.py"), "--run",
                           str(run), "--empty", str(empty), "--bicleaner", str(bicleaner)], capture_output=True,
                          text=True, timeout=600)
    results = json.loads(done.stdout)
    assert done.returncode == 0, json.dumps(results, indent=1)
    assert set(results) == {"pandas", "polars", "duckdb", "datasets", "translate-toolkit", "lxml + TMX 1.4 DTD",
                            "OpusFilter language filter", "empty run", "Bicleaner layout and rejected rows"}
    assert results["OpusFilter language filter"] == "12 of 12 accepted"
