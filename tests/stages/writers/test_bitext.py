import gzip
import json
import xml.etree.ElementTree as ET

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinpages.data import DocPair, SentPair
from twinpages.schemas import BITEXT
from twinpages.stages.writers.bitext import (
    BitextRows,
    bitext_rows,
    language_pair,
    normalised_hash,
    write_bitext,
)
from twinpages.stages.writers.outputs import OutputConfig

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def pair(beads, src="https://a.example/en?x=1&y=2", tgt="https://b.example/de", langs=("en", "de"),
         direction="en->de"):
    return DocPair("a", "b", *langs, 0.8, 1.0, 1.0, direction, beads=beads, src_name=src, tgt_name=tgt)


HOSTILE = [
    SentPair((0,), (0,), "Tom & Jerry <b>bold</b>\tcolumn", "Tom & Jerry <b>fett</b>", 0.5, 0.8),
    SentPair((1,), (1,), "Control\x01char\x0b and \x1f here.", "Steuer\x01zeichen.", 0.45, 0.7),
    SentPair((2,), (), "unaligned", "", 0.0),
    SentPair((3, 4), (2,), "Two. Sentences.", "Ein Satz.", 0.6, 0.9),
]
BEAD = SentPair((0,), (0,), "Bonjour tout le monde.", "Hello, world.", 0.5, 0.8)


def write(tmp_path, pairs, formats=("tsv", "tmx", "jsonl", "parquet"), preferred=(), **kw):
    rows = BitextRows(pairs, preferred=preferred)
    from twinpages.stages.writers.sinks import SinkOptions

    return write_bitext(tmp_path / "bitext", rows, formats, preferred, SinkOptions(**kw))


def test_language_order_is_fixed_per_pair():
    assert language_pair("fr", "en") == ("en", "fr") and language_pair("en", "fr") == ("en", "fr")
    assert language_pair("fr", "de") == ("de", "fr")
    assert language_pair("en", "de", [("de", "en")]) == ("de", "en")  # as the user asked (-l de-en)


def test_every_row_of_a_language_pair_has_the_same_orientation(tmp_path):
    """A French original (fr->en) and an English one (en->fr): English is in the third column for both."""
    fr_first = pair([BEAD], src="fr.html", tgt="en.html", langs=("fr", "en"), direction="fr->en")
    en_first = pair([SentPair((0,), (0,), "Good night.", "Bonne nuit.", 0.5, 0.8)], src="en2.html", tgt="fr2.html",
                    langs=("en", "fr"), direction="unknown")
    write(tmp_path, [fr_first, en_first])
    rows = [line.split("\t") for line in (tmp_path / "bitext" / "en-fr.tsv").read_text(encoding="utf-8").splitlines()]
    assert [(r[0], r[2]) for r in rows] == [("en.html", "Hello, world."), ("en2.html", "Good night.")]
    records = [json.loads(x) for x in (tmp_path / "bitext" / "en-fr.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["src_lang"], r["tgt"], r["direction"]) for r in records] == [
        ("en", "Bonjour tout le monde.", "fr->en"), ("en", "Bonne nuit.", "unknown")]


def test_one_file_set_per_language_pair(tmp_path):
    written = write(tmp_path, [pair(HOSTILE), pair([BEAD], langs=("fr", "en"), direction="unknown")])
    assert sorted(p.name for p in written) == sorted(
        f"{lp}.{ext}" for lp in ("en-de", "en-fr") for ext in ("tsv", "tmx", "jsonl", "parquet"))


def test_tmx_is_valid_xml_with_languages_and_escaping(tmp_path):
    write(tmp_path, [pair(HOSTILE)], formats=("tmx",))
    root = ET.parse(tmp_path / "bitext" / "en-de.tmx").getroot()  # a real XML parser: fails on invalid XML
    assert root.tag == "tmx" and root.get("version") == "1.4"
    assert root.find("header").get("srclang") == "en"  # every unit's original is English
    tus = root.findall("body/tu")
    assert len(tus) == 3  # the unaligned sentence is not bitext
    assert [[tuv.get(XML_LANG) for tuv in tu.findall("tuv")] for tu in tus] == [["en", "de"]] * 3
    assert {tu.get("srclang") for tu in tus} == {"en"}
    segs = [[tuv.find("seg").text for tuv in tu.findall("tuv")] for tu in tus]
    assert segs[0] == ["Tom & Jerry <b>bold</b> column", "Tom & Jerry <b>fett</b>"]
    assert segs[1][0] == "Control char and here."  # control characters cannot be XML: replaced
    props = {p.get("type"): p.text for p in tus[0].findall("prop")}
    assert props["source-document"] == "https://a.example/en?x=1&y=2" and float(props["score"]) == 0.5
    assert props["direction"] == "en->de"
    assert props["translator"] == "unknown" and "translator-probability" not in props  # no model judged it


def test_tmx_srclang_is_all_unless_the_original_is_known(tmp_path):
    """An en-de pair whose direction is unknown: no unit claims a source language."""
    write(tmp_path, [pair([BEAD], langs=("de", "en"), direction="unknown")], formats=("tmx",))
    root = ET.parse(tmp_path / "bitext" / "en-de.tmx").getroot()
    assert root.find("header").get("srclang") == "*all*"
    (tu,) = root.findall("body/tu")
    assert tu.get("srclang") is None and {p.get("type"): p.text for p in tu.findall("prop")}["direction"] == "unknown"
    assert [tuv.get(XML_LANG) for tuv in tu.findall("tuv")] == ["en", "de"]


def test_tsv_keeps_bitextor_columns_with_optional_header_extras_and_gzip(tmp_path):
    write(tmp_path / "plain", [pair(HOSTILE)], formats=("tsv",))
    write(tmp_path / "extra", [pair(HOSTILE)], formats=("tsv",), tsv_extra=True, tsv_header=True, compress=True)
    plain = [x.split("\t") for x in (tmp_path / "plain/bitext/en-de.tsv").read_text(encoding="utf-8").splitlines()]
    with gzip.open(tmp_path / "extra/bitext/en-de.tsv.gz", "rt", encoding="utf-8") as f:
        extra = [x.split("\t") for x in f.read().splitlines()]
    assert [len(r) for r in plain] == [5, 5, 5] and [len(r) for r in extra] == [12] * 4
    assert extra[0] == ["url1", "url2", "src", "trg", "score", "src_lang", "tgt_lang", "bead", "doc_score", "count",
                        "direction", "translation_probability"]
    assert plain[0][:2] == ["https://a.example/en?x=1&y=2", "https://b.example/de"]
    assert extra[3][5:12] == ["en", "de", "2-1", "0.8000", "1", "en->de", ""]  # no filter: no probability


def test_dedup_counts_normalised_duplicates():
    beads = [SentPair((0,), (0,), "Hello, world!", "Hallo Welt!", 0.5, 0.8),
             SentPair((1,), (1,), "hello world", "HALLO, WELT", 0.4, 0.7),
             SentPair((2,), (2,), "Something else.", "Etwas anderes.", 0.5, 0.8)]
    rows = bitext_rows([pair(beads)])
    assert [(r.src, r.count) for r in rows] == [("Hello, world!", 2), ("Something else.", 1)]
    assert len(bitext_rows([pair(beads)], dedup=False)) == 3
    assert normalised_hash("Ça  va?", "x") == normalised_hash("ça va", "X")


def test_parquet_and_jsonl_carry_the_same_values(tmp_path):
    write(tmp_path, [pair(HOSTILE)], formats=("jsonl", "parquet"), metadata={"signature": "v-test"})
    table = pq.read_table(tmp_path / "bitext" / "en-de.parquet")
    assert table.schema.names == BITEXT.names  # the documented schema is the written one
    meta = table.schema.metadata
    assert meta[b"signature"] == b"v-test" and meta[b"language_pair"] == b"en-de"
    back = [json.loads(x) for x in (tmp_path / "bitext" / "en-de.jsonl").read_text(encoding="utf-8").splitlines()]
    assert table.to_pylist() == back  # same names, same values, same precision (0.45, not 0.449999988)
    assert back[1]["score"] == 0.45 and back[2]["tgt_idx"] == [2] and back[0]["tgt"] == "Tom & Jerry <b>fett</b>"


def test_asked_for_language_pairs_get_files_even_when_empty(tmp_path):
    write(tmp_path, [], preferred=[("en", "de")])
    folder = tmp_path / "bitext"
    assert (folder / "en-de.tsv").read_text(encoding="utf-8") == ""
    assert ET.parse(folder / "en-de.tmx").getroot().findall("body/tu") == []
    assert pq.read_table(folder / "en-de.parquet").num_rows == 0


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="xlsx"):
        OutputConfig(formats=("tsv", "xlsx"))


def test_dedup_keeps_the_best_row_and_every_occurrence(tmp_path):
    """The best-scored occurrence of a pair is the row (not the first); each place it was found is kept with
    its URLs and pointers, and the TMX names every document, as ParaCrawl's does."""
    first = pair([SentPair((0,), (0,), "hello world", "HALLO WELT", 0.4, 0.7)], src="https://a/1", tgt="https://b/1")
    first.src_pointer, first.tgt_pointer = "crawl.warc.gz:0", "crawl.warc.gz:900"
    best = pair([SentPair((3,), (5,), "Hello, world!", "Hallo Welt!", 0.6, 0.8)], src="https://a/2", tgt="https://b/2")
    best.src_pointer, best.tgt_pointer = "docs.jsonl:7", "docs.jsonl:8"
    (row,) = bitext_rows([first, best])
    assert (row.src, row.src_url, row.count) == ("Hello, world!", "https://a/2", 2)
    assert row.occurrences == [["https://a/1", "https://b/1", "crawl.warc.gz:0", "crawl.warc.gz:900"],
                               ["https://a/2", "https://b/2", "docs.jsonl:7", "docs.jsonl:8"]]
    write(tmp_path, [first, best])
    unit = ET.parse(tmp_path / "bitext" / "en-de.tmx").getroot().find("body/tu")
    assert [p.text for p in unit.findall("prop") if p.get("type") == "source-document"] == ["https://a/1", "https://a/2"]
    (record,) = pq.read_table(tmp_path / "bitext" / "en-de.parquet").to_pylist()
    assert record["occurrences"] == row.occurrences and record["count"] == 2
    (alone,) = bitext_rows([best], dedup=False)
    assert alone.occurrences == [["https://a/2", "https://b/2", "docs.jsonl:7", "docs.jsonl:8"]]


def reference_dedup(pairs):
    """The plain in-memory dedup the sharded one must equal: per key the best score (first of equals),
    every occurrence, rows in the order of each winner's place in the stream."""
    rows = list(BitextRows(pairs, dedup=False).all_rows())
    groups = {}
    for seq, row in enumerate(rows):
        key = BitextRows._key(row)
        g = groups.setdefault(key, [seq, row.score, []])
        if row.score > g[1]:
            g[0], g[1] = seq, row.score
        g[2].append(row.occurrences[0])
    return [(rows[seq].src, rows[seq].src_url, len(occ), occ) for seq, _, occ in sorted(groups.values())]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from([0.3, 0.4, 0.5]), st.integers(0, 3)), min_size=1,
                max_size=40))
def test_the_sharded_dedup_equals_the_plain_one(spec):
    """Few buckets, so that keys share them: the result is the reference's, whatever the bucketing."""
    texts = [("Hello world.", "Hallo Welt."), ("hello, WORLD", "HALLO welt"), ("Good night.", "Gute Nacht."),
             ("Yes.", "Ja."), ("One more line here.", "Noch eine Zeile."), ("A B C", "A B C")]
    pairs = [pair([SentPair((0,), (0,), *texts[t], score, score)], src=f"https://a/{d}", tgt=f"https://b/{d}")
             for t, score, d in spec]
    got = [(r.src, r.src_url, r.count, r.occurrences) for r in BitextRows(pairs, buckets=3).all_rows()]
    assert got == reference_dedup(pairs)
