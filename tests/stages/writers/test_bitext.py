import xml.etree.ElementTree as ET

import pyarrow.parquet as pq
import pytest

from twinpages.data import DocPair, SentPair
from twinpages.stages.writers.bitext import (
    BITEXT_SCHEMA_DOC,
    bitext_rows,
    normalised_hash,
    write_jsonl,
    write_parquet,
    write_tmx,
    write_tsv,
)
from twinpages.stages.writers.outputs import OutputConfig

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def pair(beads, src="https://a.example/en?x=1&y=2", tgt="https://b.example/de"):
    return DocPair("a", "b", "en", "de", 0.8, 1.0, 1.0, "en->de", pairs=beads, src_name=src, tgt_name=tgt)


HOSTILE = [
    SentPair((0,), (0,), "Tom & Jerry <b>bold</b>\tcolumn", "Tom & Jerry <b>fett</b>", 0.5, 0.8),
    SentPair((1,), (1,), "Control\x01char\x0b and \x1f here.", "Steuer\x01zeichen.", 0.45, 0.7),
    SentPair((2,), (), "unaligned", "", 0.0),
    SentPair((3, 4), (2,), "Two. Sentences.", "Ein Satz.", 0.6, 0.9),
]


def test_tmx_is_valid_xml_with_languages_and_escaping(tmp_path):
    rows = bitext_rows([pair(HOSTILE)])
    write_tmx(tmp_path / "b.tmx", rows)
    root = ET.parse(tmp_path / "b.tmx").getroot()  # a real XML parser: fails on invalid XML
    assert root.tag == "tmx" and root.get("version") == "1.4"
    assert root.find("header").get("srclang") == "en"
    tus = root.findall("body/tu")
    assert len(tus) == 3  # the unaligned sentence is not bitext
    langs = [[tuv.get(XML_LANG) for tuv in tu.findall("tuv")] for tu in tus]
    assert langs == [["en", "de"]] * 3
    segs = [[tuv.find("seg").text for tuv in tu.findall("tuv")] for tu in tus]
    assert segs[0] == ["Tom & Jerry <b>bold</b> column", "Tom & Jerry <b>fett</b>"]
    assert segs[1][0] == "Control char and here."  # control characters cannot be XML: replaced
    props = {p.get("type"): p.text for p in tus[0].findall("prop")}
    assert props["source-document"] == "https://a.example/en?x=1&y=2" and float(props["score"]) == 0.5


def test_tmx_with_several_source_languages_says_all(tmp_path):
    bead = SentPair((0,), (0,), "Bonjour.", "Guten Tag.", 0.5, 0.8)
    p2 = DocPair("c", "d", "fr", "de", 0.7, 1, 1, "unknown", pairs=[bead], src_name="c", tgt_name="d")
    write_tmx(tmp_path / "b.tmx", bitext_rows([pair(HOSTILE), p2]))
    assert ET.parse(tmp_path / "b.tmx").getroot().find("header").get("srclang") == "*all*"


def test_tsv_keeps_bitextor_columns_and_optional_extras(tmp_path):
    rows = bitext_rows([pair(HOSTILE)])
    write_tsv(tmp_path / "plain.tsv", rows)
    write_tsv(tmp_path / "extra.tsv", rows, extra=True)
    plain = [line.split("\t") for line in (tmp_path / "plain.tsv").read_text(encoding="utf-8").splitlines()]
    extra = [line.split("\t") for line in (tmp_path / "extra.tsv").read_text(encoding="utf-8").splitlines()]
    assert [len(r) for r in plain] == [5, 5, 5] and [len(r) for r in extra] == [10, 10, 10]
    assert plain[0][:2] == ["https://a.example/en?x=1&y=2", "https://b.example/de"]
    assert extra[2][5:9] == ["en", "de", "2-1", "0.8000"]


def test_dedup_counts_normalised_duplicates():
    beads = [SentPair((0,), (0,), "Hello, world!", "Hallo Welt!", 0.5, 0.8),
             SentPair((1,), (1,), "hello world", "HALLO, WELT", 0.4, 0.7),
             SentPair((2,), (2,), "Something else.", "Etwas anderes.", 0.5, 0.8)]
    rows = bitext_rows([pair(beads)])
    assert [(r.src, r.count) for r in rows] == [("Hello, world!", 2), ("Something else.", 1)]
    assert len(bitext_rows([pair(beads)], dedup=False)) == 3
    assert normalised_hash("Ça  va?", "x") == normalised_hash("ça va", "X")


def test_parquet_and_jsonl_round_trip(tmp_path):
    import json

    rows = bitext_rows([pair(HOSTILE)])
    write_parquet(tmp_path / "b.parquet", rows)
    write_jsonl(tmp_path / "b.jsonl", rows)
    table = pq.read_table(tmp_path / "b.parquet")
    assert table.schema.names == list(BITEXT_SCHEMA_DOC)  # the documented schema is the written one
    assert table.column("src_idx").to_pylist() == [[0], [1], [3, 4]]
    assert table.column("trg").to_pylist()[0] == "Tom & Jerry <b>fett</b>"
    back = [json.loads(x) for x in (tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["count"] for r in back] == [1, 1, 1] and back[2]["tgt_idx"] == [2]


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="xlsx"):
        OutputConfig(formats=("tsv", "xlsx"))
