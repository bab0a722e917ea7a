"""Property-based tests: whatever bytes or text come in, the public API answers, never raises."""

import gzip

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twinpages.data import DocError, Document
from twinpages.stages.extract import extract_lines
from twinpages.stages.readers import read
from twinpages.stages.segment import split_sentences

SUFFIXES = [".txt", ".html", ".jsonl", ".warc", ".txt.gz", ".warc.gz", ".jsonl.gz", ".bin"]
LANGS = ["en", "de", "fr", "ja", "zh", "is", "xx", None]
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(SUFFIXES), gz=st.booleans())
def test_readers_never_raise_on_arbitrary_bytes(tmp_path, data, suffix, gz):
    path = tmp_path / f"input{suffix}"
    path.write_bytes(gzip.compress(data) if gz and suffix.endswith(".gz") else data)
    for item in read([path]):
        assert isinstance(item, Document | DocError)
        if isinstance(item, DocError):
            assert item.doc_id.startswith("input") and item.error and item.message


@SETTINGS
@given(records=st.lists(st.one_of(st.text(max_size=200), st.dictionaries(
    st.sampled_from(["id", "url", "lang", "text", "html"]),
    st.one_of(st.text(max_size=100), st.integers(), st.none()), max_size=5)), max_size=8))
def test_jsonl_reader_never_raises_on_odd_records(tmp_path, records):
    import json

    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records), encoding="utf-8")
    for item in read([path]):
        assert isinstance(item, Document | DocError)


@SETTINGS
@given(text=st.text(max_size=2000), lang=st.sampled_from(LANGS))
def test_splitter_never_raises_and_returns_substrings(text, lang):
    for sentence in split_sentences(text, lang):
        assert sentence and sentence == sentence.strip() and sentence in text


@SETTINGS
@given(text=st.text(max_size=3000), lang=st.sampled_from(LANGS))
def test_line_classifier_never_raises(text, lang):
    lines = extract_lines(text, lang)
    assert all(line.text.strip() == line.text and line.text for line in lines)
