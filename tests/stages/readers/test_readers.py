"""Every input format, and every kind of bad input: each bad document is one named DocError."""

import gzip
import json
from pathlib import Path

import pytest

from twinpages.data import DocError, Document
from twinpages.stages.readers import ReadConfig, format_of, list_files, read

PAGE = ("<!DOCTYPE html><html><head><meta charset='{cs}'><title>T</title></head><body><nav>Home | News</nav>"
        "<article><p>{body}</p></article><footer>© 2024</footer></body></html>")


def warc_record(url: str, html: bytes, content_type: str = "text/html; charset=utf-8", cut: int = 0) -> bytes:
    http = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n\r\n".encode() + html
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\n"
            f"WARC-Record-ID: <urn:uuid:{abs(hash(url)):032x}>\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n").encode()
    record = head + http + b"\r\n\r\n"
    return record[:len(record) - cut] if cut else record


def test_formats_are_detected_from_names_and_bytes(tmp_path: Path):
    assert [format_of(Path(n)) for n in ("a.txt", "a.HTML", "a.htm.gz", "a.warc.gz", "a.jsonl")] == \
        ["txt", "html", "html", "warc", "jsonl"]
    assert format_of(Path("dump"), b"WARC/1.1\r\n") == "warc"
    assert format_of(Path("dump"), b'  {"id": 1}') == "jsonl"
    assert format_of(Path("dump"), b"<!doctype html><html>") == "html"
    assert format_of(Path("dump"), b"just words") is None


def test_directory_is_read_recursively_in_sorted_order(tmp_path: Path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("Zweiter Text.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("First text.", encoding="utf-8")
    (tmp_path / "notes.md").write_text("not an input", encoding="utf-8")
    docs = list(read([tmp_path]))
    assert [d.id for d in docs] == ["a.txt", "b/z.txt"] and all(isinstance(d, Document) for d in docs)


def test_same_name_under_two_inputs_keeps_both(tmp_path: Path):
    for sub in ("x", "y"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "page.txt").write_text(sub, encoding="utf-8")
    assert [i for _, i in list_files([tmp_path / "x", tmp_path / "y"])] == ["page.txt", "page.txt#1"]


def test_html_gz_with_declared_legacy_charset(tmp_path: Path):
    page = PAGE.format(cs="iso-8859-1", body="Grüße aus Köln, schöne Tage.").encode("latin-1")
    (tmp_path / "p.html.gz").write_bytes(gzip.compress(page))
    (doc,) = read([tmp_path / "p.html.gz"])
    assert doc.html is not None and "Grüße aus Köln" in doc.html and doc.raw == ""


def test_undeclared_legacy_encoding_is_detected_in_text(tmp_path: Path):
    (tmp_path / "latin1.txt").write_bytes("Die Straße in München ist schön und grün.".encode("cp1252"))
    (doc,) = read([tmp_path / "latin1.txt"])
    assert doc.raw == "Die Straße in München ist schön und grün."


def test_warc_reads_html_responses_with_urls(tmp_path: Path):
    good = PAGE.format(cs="utf-8", body="Ein Artikel.").encode()
    data = gzip.compress(warc_record("https://a.example/1", good)) + \
        gzip.compress(warc_record("https://a.example/img.png", b"\x89PNG", content_type="image/png")) + \
        gzip.compress(warc_record("https://a.example/2", good))
    (tmp_path / "crawl.warc.gz").write_bytes(data)
    out = list(read([tmp_path / "crawl.warc.gz"]))
    docs = [d for d in out if isinstance(d, Document)]
    errs = [d for d in out if isinstance(d, DocError)]
    assert [d.url for d in docs] == ["https://a.example/1", "https://a.example/2"]
    assert [e.error for e in errs] == ["not_html"] and "img.png" in errs[0].source


def test_truncated_warc_keeps_earlier_records_and_reports(tmp_path: Path):
    good = PAGE.format(cs="utf-8", body="Ein Artikel.").encode()
    (tmp_path / "cut.warc").write_bytes(warc_record("https://a.example/1", good) +
                                        warc_record("https://a.example/2", good, cut=60))
    out = list(read([tmp_path / "cut.warc"]))
    assert isinstance(out[0], Document) and out[0].url == "https://a.example/1"
    assert len(out) == 2 and isinstance(out[1], DocError) and out[1].error == "truncated_warc"


def test_truncated_gzip_is_reported(tmp_path: Path):
    data = gzip.compress(PAGE.format(cs="utf-8", body="x " * 5000).encode())
    (tmp_path / "cut.html.gz").write_bytes(data[: len(data) // 2])
    (err,) = read([tmp_path / "cut.html.gz"])
    assert isinstance(err, DocError) and err.error == "truncated_gzip" and err.doc_id == "cut.html.gz"


def test_jsonl_text_html_and_malformed_lines(tmp_path: Path):
    lines = [json.dumps({"id": "a", "url": "https://x/a", "lang": "de", "text": "Ein Text."}),
             "{not json",
             json.dumps({"id": "b", "html": PAGE.format(cs="utf-8", body="Hello.")}),
             json.dumps(["a list"]),
             json.dumps({"id": "c"}),
             ""]
    (tmp_path / "docs.jsonl").write_text("\n".join(lines), encoding="utf-8")
    out = list(read([tmp_path / "docs.jsonl"]))
    assert [(o.id, o.lang) for o in out if isinstance(o, Document)] == [("a", "de"), ("b", None)]
    errs = [(o.doc_id, o.error) for o in out if isinstance(o, DocError)]
    assert errs == [("docs.jsonl:2", "malformed_jsonl"), ("docs.jsonl:4", "malformed_jsonl"),
                    ("docs.jsonl:5", "malformed_jsonl")]


def test_jsonl_archive_is_streamed_and_limited_per_line(tmp_path: Path):
    """The size limit is per document: an archive larger than it is read whole, one oversized line is
    reported and skipped, and a gzip stream cut short keeps the lines before the cut."""
    docs = [json.dumps({"id": f"d{i}", "text": f"Document number {i}. " * 5}) for i in range(200)]
    docs[50] = json.dumps({"id": "huge", "text": "z" * 5000})
    data = gzip.compress("\n".join(docs).encode())
    (tmp_path / "all.jsonl.gz").write_bytes(data)
    out = list(read([tmp_path / "all.jsonl.gz"], ReadConfig(max_bytes=1000)))
    assert len(out) == 200
    assert [(o.doc_id, o.error) for o in out if isinstance(o, DocError)] == [("all.jsonl.gz:51", "too_large")]
    assert out[51].id == "d51"
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    out = list(read([tmp_path / "cut.jsonl.gz"], ReadConfig(max_bytes=1000)))
    kept = [o for o in out if isinstance(o, Document)]
    assert 0 < len(kept) < 199 and [d.id for d in kept] == [f"d{i}" for i in range(len(kept) + 1) if i != 50]
    assert isinstance(out[-1], DocError) and out[-1].error == "truncated_gzip" and out[-1].doc_id == "cut.jsonl.gz"


def test_bad_files_become_named_errors(tmp_path: Path):
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "big.txt").write_text("x" * 2000, encoding="utf-8")
    (tmp_path / "bomb.txt.gz").write_bytes(gzip.compress(b"y" * 5000))
    results = {r.doc_id: r for r in read([tmp_path], ReadConfig(max_bytes=1000))}
    assert all(isinstance(r, DocError) for r in results.values())
    assert {k: r.error for k, r in results.items()} == {
        "big.txt": "too_large", "binary.txt": "binary", "empty.txt": "empty", "bomb.txt.gz": "too_large"}


def test_missing_file_is_an_error_not_a_crash(tmp_path: Path):
    (err,) = read([tmp_path / "missing.txt"])
    assert isinstance(err, DocError) and err.error == "not_found"


@pytest.mark.parametrize("forced, expected", [("txt", Document), ("jsonl", DocError)])
def test_format_can_be_forced(tmp_path: Path, forced, expected):
    (tmp_path / "page.data").write_text("Plain words here.", encoding="utf-8")
    (out,) = read([tmp_path / "page.data"], ReadConfig(input_format=forced))
    assert isinstance(out, expected)


def test_a_20_mb_page_is_refused_by_default_without_reading_it(tmp_path: Path):
    page = tmp_path / "huge.html"
    with open(page, "wb") as f:
        f.write(b"<html><body>")
        f.write(b"<p>word </p>" * (21_000_000 // 12))
    (err,) = read([page])
    assert isinstance(err, DocError) and err.error == "too_large" and "--max-bytes" in err.message


# --- encodings as browsers read them (issue 13) ------------------------------------------------------------

def test_a_stray_byte_or_a_latin1_line_leaves_the_good_utf8_alone():
    from twinpages.stages.readers.decoding import decode

    good = "Größe und Übermaß, schön.\n".encode()
    text, note = decode(good + b"one stray \xff byte\n" + good)
    assert text.count("Größe und Übermaß, schön.") == 2 and "Ã" not in text
    assert note and "1 of 3 lines" in note and "line 2" in note
    text, note = decode(good + "Zeile: Größe.\n".encode("latin-1"))
    assert text == "Größe und Übermaß, schön.\nZeile: Größe.\n" and note
    # a document wholly in one legacy encoding is no repair
    assert decode("Größe\nschön\n".encode("cp1252")) == ("Größe\nschön\n", None)


def test_byte_order_marks_and_declared_charsets():
    from twinpages.stages.readers import ReadError
    from twinpages.stages.readers.decoding import decode, html5_charset

    assert decode("Grüße".encode("utf-16")) == ("Grüße", None)  # a BOM, and NUL bytes: still text
    assert decode(b"\xef\xbb\xbfGr\xc3\xbc\xc3\x9fe") == ("Grüße", None)
    assert decode("Grüße".encode("utf-32")) == ("Grüße", None)
    with pytest.raises(ReadError, match="NUL"):
        decode(b"\x00\x01binary")
    assert html5_charset("undefined") is None and html5_charset("rot13") is None
    assert html5_charset("latin1") == "cp1252" and html5_charset("utf-16", in_meta=True) == "utf-8"
    assert decode("Grüße".encode(), declared="undefined") == ("Grüße", None)
    assert decode("Grüße".encode(), declared="utf-16") == ("Grüße", None)  # no NULs: not UTF-16 after all
    assert decode("Grüße".encode("cp1252"), declared="latin1") == ("Grüße", None)


def test_declared_languages_are_normalised(tmp_path: Path):
    from twinpages.stages.langid import language_tag

    assert [language_tag(t) for t in ("DE", "de-AT", "en_GB", "zh-Hant-TW", "deu", "fre", "iw", "xx")] == \
        ["de", "de", "en", "zh", "de", "fr", "he", "xx"]
    # ISO 639-3 with a script subtag, a Mandarin code, Norwegian Bokmål as the language ID names it, junk
    assert [language_tag(t) for t in ("epo_Latn", "cmn-Hans", "nob", "nb-NO", "", "en-US-u-va-posix")] == \
        ["eo", "zh", "no", "no", "", "en"]
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"id": "a", "lang": "DE", "text": "Ein Satz."}) + "\n", encoding="utf-8")
    assert [d.lang for d in read([path])] == ["de"]


def test_jsonl_fields_of_the_wrong_type_are_named(tmp_path: Path):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (
        {"id": "a", "url": 5, "text": "x"}, {"id": "b", "lang": {"de": 1}, "text": "x"}, {"id": {}, "text": "x"},
        {"id": 7, "text": "Seven is a number, and a fine id."})), encoding="utf-8")
    items = list(read([path]))
    assert [type(i).__name__ for i in items] == ["DocError", "DocError", "DocError", "Document"]
    assert "'url' must be a string" in items[0].message and "'lang'" in items[1].message
    assert items[3].id == "7"


def test_lone_surrogates_are_replaced_and_reported(tmp_path: Path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "s\\udc00", "text": "Text \\ud800 here."}\n', encoding="utf-8")
    (doc,) = read([path])
    assert doc.id == "s\ufffd" and doc.raw == "Text \ufffd here."
    assert [k for k, _ in doc.warnings] == ["decode_repaired", "decode_repaired"]


def test_folders_that_cannot_be_listed_and_links_to_nothing_are_reported(tmp_path: Path):
    import os

    (tmp_path / "a.txt").write_text("A text.", encoding="utf-8")
    os.symlink(tmp_path / "gone.txt", tmp_path / "link.txt")
    os.symlink(tmp_path, tmp_path / "loop")  # a link back up: not followed
    items = {getattr(i, "id", None) or i.doc_id: i for i in read([tmp_path])}
    assert set(items) == {"a.txt", "link.txt"}
    assert items["link.txt"].error == "not_found" and "symbolic link" in items["link.txt"].message


def test_file_names_that_are_not_utf8_keep_their_bytes_visibly(tmp_path: Path):
    import os

    (tmp_path / os.fsdecode(b"caf\xe9.txt")).write_text("Un texte.", encoding="utf-8")
    (doc,) = read([tmp_path])
    assert doc.id == "caf\\xe9.txt" and doc.source.endswith("caf\\xe9.txt")
    doc.id.encode("utf-8")  # writable anywhere


def test_gzip_is_read_as_gzip_d_reads_it():
    """Every member in turn; bytes after the last member ignored and counted (gzip -d: "trailing garbage
    ignored"); a member cut short or damaged is an error; output comes a buffer at a time."""
    import io
    import zlib

    from twinpages.stages.readers.files import Gunzip

    def gunzip(data: bytes, chunk: int = 7) -> tuple[bytes, int]:
        g = Gunzip(io.BytesIO(data), chunk=chunk)
        out = io.BufferedReader(g, 5).read()
        return out, g.trailing

    one, two = gzip.compress(b"first member\n"), gzip.compress(b"second member\n")
    assert gunzip(one + two) == (b"first member\nsecond member\n", 0)
    assert gunzip(one + b"garbage") == (b"first member\n", 7)
    assert gunzip(one + b"\x00" * 3) == (b"first member\n", 3)
    assert gunzip(one + b"\x1f") == (b"first member\n", 1)
    assert gunzip(gzip.compress(b"")) == (b"", 0)
    with pytest.raises(EOFError):
        gunzip(one[:-4])
    with pytest.raises(EOFError):
        gunzip(one + two[:10])
    with pytest.raises(zlib.error):
        gunzip(one[:12] + b"\xff" * 20 + one[12:])
    bomb = gzip.compress(b"\x00" * 5_000_000)
    g = Gunzip(io.BytesIO(bomb))
    buf = bytearray(1000)
    assert g.readinto(buf) <= 1000  # one buffer at a time, never the whole expansion


def test_inputs_that_hold_no_page_are_one_record_each(tmp_path: Path):
    """Issue 26 N: an empty WARC, gzip or JSONL, a WARC of only warcinfo, a .warc that is not one."""
    info = b"WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Record-ID: <urn:uuid:1>\r\nContent-Length: 4\r\n\r\nabcd\r\n\r\n"
    files = {"a.warc": b"", "b.warc.gz": gzip.compress(b""), "c.jsonl": b"", "d.jsonl": b"\n \n",
             "e.warc.gz": gzip.compress(info), "f.warc": b"plain text, not a WARC\n", "g.json": b""}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    found = {d.doc_id: d.error for d in read([tmp_path / n for n in files])}
    assert found == {"a.warc": "empty", "b.warc.gz": "empty", "c.jsonl": "empty", "d.jsonl": "empty",
                     "e.warc.gz": "no_documents", "f.warc": "not_warc", "g.json": "empty"}


def test_a_warc_resource_record_is_a_page(tmp_path: Path):
    page = PAGE.format(cs="utf-8", body="An archived page without its HTTP exchange.").encode()
    head = (f"WARC/1.0\r\nWARC-Type: resource\r\nWARC-Target-URI: file:///site/a.html\r\n"
            f"WARC-Record-ID: <urn:uuid:2>\r\nContent-Type: text/html\r\nContent-Length: {len(page)}\r\n\r\n")
    text = b"A line dump.\nArchived as a resource record.\n"
    head2 = (f"WARC/1.0\r\nWARC-Type: resource\r\nWARC-Target-URI: file:///site/b.txt\r\n"
             f"WARC-Record-ID: <urn:uuid:3>\r\nContent-Type: text/plain\r\nContent-Length: {len(text)}\r\n\r\n")
    (tmp_path / "r.warc").write_bytes(head.encode() + page + b"\r\n\r\n" + head2.encode() + text + b"\r\n\r\n")
    docs = list(read([tmp_path / "r.warc"]))
    assert [type(d).__name__ for d in docs] == ["Document", "Document"]
    assert docs[0].url == "file:///site/a.html" and "archived page" in docs[0].html
    assert docs[1].url == "file:///site/b.txt" and docs[1].raw.startswith("A line dump.")


def test_trailing_garbage_after_gzip_keeps_the_document_with_a_warning(tmp_path: Path):
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(b"Ein Text, der gelesen wird.\n") + b"junk")
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress(b'{"id": "x", "text": "Hello there."}\n') + b"junk")
    docs = list(read([tmp_path / "a.txt.gz", tmp_path / "b.jsonl.gz"]))
    assert docs[0].raw.startswith("Ein Text") and [k for k, _ in docs[0].warnings] == ["trailing_garbage"]
    assert docs[1].id == "x" and docs[2].error == "trailing_garbage" and docs[2].severity == "warning"


def wet_record(url: str, text: str, warc_type: str = "conversion") -> bytes:
    body = text.encode()
    head = (f"WARC/1.0\r\nWARC-Type: {warc_type}\r\nWARC-Target-URI: {url}\r\n"
            f"WARC-Date: 2024-02-20T10:00:00Z\r\nWARC-Record-ID: <urn:uuid:{abs(hash(url)):032x}>\r\n"
            f"WARC-Refers-To: <urn:uuid:{abs(hash(url)) + 1:032x}>\r\nWARC-Identified-Content-Language: deu\r\n"
            f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    return head + body + b"\r\n\r\n"


def test_wet_conversion_records_are_line_dumps(tmp_path: Path):
    """CommonCrawl's WET files: a warcinfo record, then one conversion record per page, gzipped by record."""
    info = (b"WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Record-ID: <urn:uuid:0>\r\nContent-Type: application/warc-fields"
            b"\r\nContent-Length: 20\r\n\r\nisPartOf: CC-MAIN-x\r\n\r\n\r\n")
    page = "Startseite\nNachrichten\nDer Ausschuss hat am Dienstag den Haushalt gebilligt.\nTeilen"
    data = gzip.compress(info) + gzip.compress(wet_record("https://a.example/de/1", page)) + \
        gzip.compress(wet_record("https://a.example/de/2", page.replace("Dienstag", "Mittwoch")))
    (tmp_path / "CC-MAIN-x.warc.wet.gz").write_bytes(data)
    docs = list(read([tmp_path / "CC-MAIN-x.warc.wet.gz"]))
    assert [d.url for d in docs] == ["https://a.example/de/1", "https://a.example/de/2"]
    assert all(isinstance(d, Document) and d.html is None for d in docs)
    assert docs[0].raw.splitlines() == page.splitlines()  # the lines as they are, for line-dump extraction
    # a WET file holding only its warcinfo is one error for the file, not silence
    (tmp_path / "none.warc.wet.gz").write_bytes(gzip.compress(info))
    (err,) = read([tmp_path / "none.warc.wet.gz"])
    assert isinstance(err, DocError) and err.error == "no_documents"
