"""Read a `twinpages mine` output with the tools its users read bitext with: pandas, polars, duckdb,
Hugging Face `datasets`, translate-toolkit, lxml with the TMX 1.4 DTD, and OpusFilter's language filter.

Runs in its own environment (``.venv-clients``, from pyproject's ``clients`` extra: these tools pin
their own versions of numpy and friends), on output folders a test made with twinpages:

    .venv-clients/bin/python tests/clients/check_clients.py --run OUT --empty EMPTY_OUT --bicleaner BIC_OUT

OUT is a run that found pairs (one language pair, L1-L2); EMPTY_OUT a run that found none for a
language pair asked for with ``-l`` and ``--tsv-header``; BIC_OUT the run of OUT written with
``--tsv-bicleaner --tsv-header`` and a threshold that rejects some rows. Prints one JSON object: each check's result;
exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import traceback
from pathlib import Path

TSV_NAMES = ["url1", "url2", "src", "trg", "score"]
DTD = Path(__file__).with_name("tmx14-subset.dtd")
RESULTS: dict[str, object] = {}


def check(name):
    def wrap(fn):
        try:
            result = fn()
            RESULTS[name] = "ok" if result is None else result
        except Exception:  # noqa: BLE001 (every failure is reported, by name)
            RESULTS[name] = "FAILED: " + traceback.format_exc(limit=3)
        return fn
    return wrap


def only(folder: Path, pattern: str) -> Path:
    (path,) = sorted(folder.glob(pattern))
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--empty", type=Path, required=True)
    ap.add_argument("--bicleaner", type=Path, required=True)
    args = ap.parse_args()
    os.environ.update(HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1")  # datasets reads local files only

    import duckdb
    import pandas as pd
    import polars as pl

    run, empty = args.run, args.empty
    tsv, jsonl, parquet, tmx = (only(run / "bitext", f"*.{ext}") for ext in ("tsv", "jsonl", "parquet", "tmx"))
    l1, l2 = tsv.stem.split("-")
    n = sum(1 for _ in jsonl.open(encoding="utf-8"))

    @check("pandas")
    def _():
        frame = pd.read_csv(tsv, sep="\t", header=None, names=TSV_NAMES, quoting=csv.QUOTE_NONE)
        # precise_float: pandas' fast float parser reads 0.4799 as 0.47990000000000005 by default
        rows = pd.read_json(jsonl, lines=True, precise_float=True)
        table = pd.read_parquet(parquet)
        assert len(frame) == len(rows) == len(table) == n > 0
        assert list(rows.columns) == list(table.columns)
        # the same values, to the digit, in JSONL and Parquet
        assert rows["score"].tolist() == table["score"].tolist()
        assert (frame["src"] == rows["src"]).all() and (frame["trg"] == rows["tgt"]).all()
        docpairs = pd.read_parquet(run / "docpairs.parquet")
        assert docpairs["score"].tolist() == pd.read_json(run / "docpairs.jsonl", lines=True,
                                                          precise_float=True)["score"].tolist()
        return f"{n} rows"

    @check("polars")
    def _():
        frame = pl.read_csv(tsv, separator="\t", has_header=False, quote_char=None, new_columns=TSV_NAMES)
        assert frame.height == pl.read_ndjson(jsonl).height == pl.read_parquet(parquet).height == n
        assert pl.read_parquet(parquet)["src_lang"].unique().to_list() == [l1]

    @check("duckdb")
    def _():
        counts = [duckdb.sql(f"select count(*) from {reader}").fetchall()[0][0] for reader in (
            f"read_csv('{tsv}', delim='\t', header=false, quote='')", f"read_json_auto('{jsonl}')",
            f"'{parquet}'")]
        assert counts == [n, n, n], counts

    @check("datasets")
    def _():
        from datasets import load_dataset

        with tempfile.TemporaryDirectory() as cache:
            from_json = load_dataset("json", data_files=str(jsonl), split="train", cache_dir=cache)
            from_parquet = load_dataset("parquet", data_files=str(parquet), split="train", cache_dir=cache)
        assert from_json.num_rows == from_parquet.num_rows == n
        assert from_json[0]["tgt"] == from_parquet[0]["tgt"]

    @check("translate-toolkit")
    def _():
        from translate.storage.tmx import tmxfile

        with open(tmx, "rb") as f:
            store = tmxfile(f)
        units = [u for u in store.units if u.source]
        assert len(units) == n, len(units)
        first = json.loads(jsonl.open(encoding="utf-8").readline())
        assert units[0].source == first["src"] and units[0].target == first["tgt"]

    @check("lxml + TMX 1.4 DTD")
    def _():
        from lxml import etree

        dtd = etree.DTD(str(DTD))
        for path in (tmx, *empty.glob("bitext/*.tmx")):
            doc = etree.parse(str(path))
            assert dtd.validate(doc), (path.name, dtd.error_log.filter_from_errors())

    @check("OpusFilter language filter")
    def _():
        from opusfilter.filters import LanguageIDFilter

        lid = LanguageIDFilter(languages=[l1, l2])
        with tsv.open(encoding="utf-8") as f:
            pairs = [(r[2], r[3]) for r in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
        accepted = sum(lid.accept(score) for score in lid.score(pairs))
        assert accepted == len(pairs), f"{accepted} of {len(pairs)} rows accepted for [{l1}, {l2}]"
        return f"{accepted} of {len(pairs)} accepted"

    # an empty run: every file a reader is handed must be accepted, with its columns
    e_tsv, e_jsonl, e_parquet, e_tmx = (only(empty / "bitext", f"*.{ext}") for ext in ("tsv", "jsonl", "parquet",
                                                                                    "tmx"))

    @check("empty run")
    def _():
        # not `datasets`: it refuses any data file without rows ("corresponds to no data"), whatever the
        # format; README says so
        from translate.storage.tmx import tmxfile

        header = pd.read_csv(e_tsv, sep="\t", quoting=csv.QUOTE_NONE)  # written with --tsv-header
        assert len(header) == 0 and list(header.columns)[:5] == TSV_NAMES
        assert len(pd.read_json(e_jsonl, lines=True)) == 0
        table = pd.read_parquet(e_parquet)
        assert len(table) == 0 and list(table.columns) == list(pd.read_parquet(parquet).columns)
        assert pl.read_parquet(e_parquet).height == 0 and pl.read_parquet(empty / "docpairs.parquet").height == 0
        assert duckdb.sql(f"select count(*) from '{e_parquet}'").fetchall()[0][0] == 0
        assert duckdb.sql(f"select count(*) from read_json_auto('{e_jsonl}')").fetchall()[0][0] == 0
        with open(e_tmx, "rb") as f:
            assert [u for u in tmxfile(f).units if u.source] == []

    bic_tsv = only(args.bicleaner / "bitext", "*.tsv")
    rejected = only(args.bicleaner / "bitext" / "rejected", "*.jsonl")

    @check("Bicleaner layout and rejected rows")
    def _():
        frame = pd.read_csv(bic_tsv, sep="\t", quoting=csv.QUOTE_NONE)
        assert list(frame.columns) == ["src_url", "trg_url", "src_text", "trg_text", "aligner_score",
                                       "bicleaner_score"], list(frame.columns)
        kept = pd.read_json(only(args.bicleaner / "bitext", "*.jsonl"), lines=True, precise_float=True)
        assert frame["bicleaner_score"].tolist() == kept["translation_probability"].tolist()
        # what Bitextor's bitextor-filterbicleaner does: the last field of each line against a threshold
        with bic_tsv.open(encoding="utf-8") as f:
            next(f)
            scores = [float(line.rstrip("\n").split("\t")[-1]) for line in f]
        assert scores == frame["bicleaner_score"].tolist() and all(0.0 <= p <= 1.0 for p in scores)
        held = pd.read_json(rejected, lines=True, precise_float=True)
        assert len(held) > 0 and held["filter_reason"].str.len().min() > 0
        assert duckdb.sql(f"select count(*) from read_json_auto('{rejected}')").fetchall()[0][0] == len(held)
        return f"{len(frame)} kept, {len(held)} rejected"

    print(json.dumps(RESULTS, indent=1))
    return 1 if any(str(v).startswith("FAILED") for v in RESULTS.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
