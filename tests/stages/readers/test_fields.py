"""Records of other pipelines read without options (warc2text, datatrove, HPLT), and any record layout
read with --text-key and its siblings (dotted paths into nested fields)."""

import json
from pathlib import Path

import pytest

from twinpages.data import DocError, Document
from twinpages.stages.readers import ReadConfig, read

TEXT = "Der Ausschuss hat am Dienstag den neuen Haushalt gebilligt."


def write(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.mark.parametrize("record", [
    # warc2text --jsonl (Bitextor, HPLT's extraction): its test's own record's keys
    {"f": "./crawl.warc.gz", "o": 907, "s": 723, "rs": 11, "ps": 12, "l": "de", "u": "https://a.example/x",
     "c": "text/html", "ts": "2015-07-08T21:55:13Z", "p": TEXT},
    # datatrove's JsonlWriter: metadata nested
    {"text": TEXT, "id": "<urn:uuid:1>", "media": [], "metadata": {"url": "https://a.example/x", "language": "de",
                                                                   "dump": "CC-MAIN-2024-10"}},
    # HPLT v2: languages as a list, likeliest first, as ISO 639-3 with script
    {"id": "h1", "u": "https://a.example/x", "text": TEXT, "lang": ["deu_Latn", "eng_Latn"], "prob": [0.9, 0.1]},
    # HPLT v1.2
    {"id": "h2", "document_lang": "de", "url": "https://a.example/x", "text": TEXT},
], ids=["warc2text", "datatrove", "hplt-v2", "hplt-v1"])
def test_other_pipelines_records_are_read_without_options(tmp_path: Path, record: dict):
    (doc,) = read([write(tmp_path / "docs.jsonl", record)])
    assert isinstance(doc, Document) and doc.raw == TEXT and doc.url == "https://a.example/x" and doc.lang == "de"


def test_named_fields_and_dotted_paths(tmp_path: Path):
    path = write(tmp_path / "docs.jsonl",
                 {"doc": {"body": TEXT, "meta": {"href": "https://a.example/1", "iso": "deu"}}, "key": 17},
                 {"doc": {"meta": {"href": "https://a.example/2"}}, "key": 18, "text": "not this one"})
    config = ReadConfig(text_key="doc.body", url_key="doc.meta.href", lang_key="doc.meta.iso", id_key="key")
    first, second = read([path], config)
    assert (first.id, first.raw, first.url, first.lang) == ("17", TEXT, "https://a.example/1", "de")
    # a named field is the only one read: a record without it is an error naming it, never another field
    assert isinstance(second, DocError) and second.doc_id == "docs.jsonl:2" and "'doc.body'" in second.message


def test_a_field_of_the_wrong_type_is_named_by_its_key(tmp_path: Path):
    path = write(tmp_path / "docs.jsonl", {"metadata": {"url": ["x"]}, "text": TEXT})
    (err,) = read([path])
    assert isinstance(err, DocError) and "'metadata.url' must be a string" in err.message


def test_the_key_flags_reach_the_read_settings(tmp_path: Path):
    from twinpages.cli import build_config, parse_args

    config = build_config(parse_args(["mine", str(tmp_path), "-o", str(tmp_path / "out"), "--text-key", "p",
                                      "--url-key", "metadata.url"]))
    assert (config.read.text_key, config.read.url_key, config.read.lang_key) == ("p", "metadata.url", None)
