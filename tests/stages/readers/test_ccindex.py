"""CommonCrawl's columnar index as input: only the records in the mined languages are fetched, each by its
byte range, from a local folder or an S3-compatible store."""

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from test_readers import PAGE, warc_record  # this folder is on the path (pytest prepends it)

from twinpages.config import PipelineConfig
from twinpages.data import DocError, Document
from twinpages.stages.candidates import CandidatesConfig
from twinpages.stages.readers import ReadConfig, read, read_path

PAGES = [("https://a.example/en/1", "eng", "An article in English."), ("https://a.example/de/1", "deu,eng",
         "Ein Artikel auf Deutsch."), ("https://a.example/fr/1", "fra", "Un article en français."),
         ("https://a.example/ja/1", None, "日本語の記事です。")]


def crawl(folder: Path) -> tuple[Path, list[dict]]:
    """A WARC file as CommonCrawl writes it (a gzip member per record) and its index rows."""
    warc, rows = b"", []
    for url, langs, text in PAGES:
        member = gzip.compress(warc_record(url, PAGE.format(cs="utf-8", body=text).encode()))
        rows.append({"url": url, "warc_filename": "crawl-data/CC-MAIN-x/segments/1/warc/f-00001.warc.gz",
                     "warc_record_offset": len(warc), "warc_record_length": len(member), "content_languages": langs,
                     "fetch_status": 200})
        warc += member
    target = folder / "crawl-data/CC-MAIN-x/segments/1/warc/f-00001.warc.gz"
    target.parent.mkdir(parents=True)
    target.write_bytes(warc)
    return target, rows


def test_only_the_mined_languages_records_are_read(tmp_path: Path):
    _, rows = crawl(tmp_path / "cc")
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "part-00000.parquet")
    config = ReadConfig(input_format="cc-index", cc_languages=("de", "eng"), cc_warc_base=str(tmp_path / "cc"))
    docs = list(read([tmp_path / "part-00000.parquet"], config))
    assert [d.url for d in docs] == ["https://a.example/en/1", "https://a.example/de/1"]
    assert all(isinstance(d, Document) for d in docs) and "Ein Artikel" in docs[1].html
    # named as reading the WARC files under the base folder names them, the record's place as its source
    assert docs[0].id.startswith("crawl-data/CC-MAIN-x/segments/1/warc/f-00001.warc.gz#<urn:uuid:")
    row = rows[1]
    assert docs[1].source == f"{row['warc_filename']}:{row['warc_record_offset']}+{row['warc_record_length']}"
    whole = [d for d in read([tmp_path / "cc"]) if isinstance(d, Document)]
    assert {d.id for d in docs} < {d.id for d in whole}
    # without languages every record is read; split among tasks, each selected record is read once
    every = ReadConfig(input_format="cc-index", cc_warc_base=str(tmp_path / "cc"))
    assert len(list(read([tmp_path / "part-00000.parquet"], every))) == 4
    parts = [d.url for part in range(2) for d in read_path(tmp_path / "part-00000.parquet", "i", every, part, 2)]
    assert sorted(parts) == sorted(url for url, _, _ in PAGES)


def test_the_mined_languages_default_to_those_of_l():
    config = PipelineConfig(read=ReadConfig(input_format="cc-index"),
                            candidates=CandidatesConfig(langs=(("en", "de"),)))
    assert config.read.cc_languages == ("de", "en")


def test_bad_rows_and_files_are_named_errors(tmp_path: Path):
    _, rows = crawl(tmp_path / "cc")
    rows[0]["warc_record_offset"] += 7  # a range that is not a gzip member
    rows[1]["warc_filename"] = "crawl-data/gone.warc.gz"
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "idx.parquet")
    config = ReadConfig(input_format="cc-index", cc_warc_base=str(tmp_path / "cc"))
    out = list(read([tmp_path / "idx.parquet"], config))
    assert [(type(o).__name__, getattr(o, "error", None)) for o in out] == [
        ("DocError", "malformed_warc"), ("DocError", "not_found"), ("Document", None), ("Document", None)]
    pq.write_table(pa.table({"url": ["x"]}), tmp_path / "other.parquet")
    (err,) = read([tmp_path / "other.parquet"], config)
    assert isinstance(err, DocError) and err.error == "malformed_cc_index" and "warc_filename" in err.message


def test_records_are_fetched_by_range_from_s3(s3, tmp_path: Path):
    warc, rows = crawl(tmp_path / "cc")
    s3.put_object(Bucket="crawl", Key=rows[0]["warc_filename"], Body=warc.read_bytes())
    warc.unlink()  # only the store has it
    index = tmp_path / "index.parquet"
    pq.write_table(pa.Table.from_pylist(rows), index)
    s3.put_object(Bucket="crawl", Key="cc-index/part-0.parquet", Body=index.read_bytes())
    config = ReadConfig(input_format="cc-index", cc_languages=("fr",), cc_warc_base="s3://crawl/")
    (doc,) = read(["s3://crawl/cc-index/"], config)
    assert isinstance(doc, Document) and doc.url == "https://a.example/fr/1" and "Un article" in doc.html


def test_records_fetched_in_groups_come_in_index_order_with_their_errors(s3, tmp_path: Path, monkeypatch):
    from twinpages.stages.readers import ccindex

    warc, rows = crawl(tmp_path / "cc")
    s3.put_object(Bucket="crawl", Key=rows[0]["warc_filename"], Body=warc.read_bytes())
    rows = rows + [dict(rows[0], warc_filename="crawl-data/gone.warc.gz")] + rows[::-1]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "index.parquet")
    config = ReadConfig(input_format="cc-index", cc_warc_base="s3://crawl/")
    monkeypatch.setattr(ccindex, "FETCH_AHEAD", 3)  # groups of 3, 3 and 3 rows: concurrent fetches within each
    out = list(read([tmp_path / "index.parquet"], config))
    assert [getattr(o, "url", None) or o.error for o in out] == [r["url"] for r in rows[:4]] + ["not_found"] + \
        [r["url"] for r in rows[5:]]
