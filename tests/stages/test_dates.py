"""Dates: crawl dates read from records, publication dates from markup or URL (htmldate), reproducible
whatever the day of the run, and shown to a person in the report."""

import gzip
import json
from pathlib import Path

from twinpages.data import DocError, DocPair
from twinpages.report import date_words
from twinpages.stages.dates import crawl_date, days_between, publication_date
from twinpages.stages.docalign import turned
from twinpages.stages.readers import read

PUBLISHED = '<html><head><meta property="article:published_time" content="{}"></head><body><p>x</p></body></html>'


def test_crawl_dates_are_iso_8601_utc():
    assert crawl_date("2024-02-20T10:00:00Z") == "2024-02-20T10:00:00Z"
    assert crawl_date("2024-02-20T12:00:00+02:00") == "2024-02-20T10:00:00Z"
    assert crawl_date("20240220100000") == "2024-02-20T10:00:00Z"  # WARC 0.x / CDX form
    assert crawl_date("2024-02-20") == "2024-02-20"
    assert crawl_date("last Tuesday") is None and crawl_date(None) is None


def test_publication_dates_from_markup_then_url():
    assert publication_date(PUBLISHED.format("2023-05-04T10:00:00Z"), None, None) == ("2023-05-04", "html")
    assert publication_date("<html><body><p>x</p></body></html>", "https://a.example/2021/03/05/story", None) == \
        ("2021-03-05", "url")
    assert publication_date("<html><body><p>x</p></body></html>", "https://a.example/story", None) == (None, None)
    assert publication_date(None, None, None) == (None, None)


def test_a_page_is_not_published_after_it_was_crawled():
    """The crawl date bounds the publication date (not the day of the run: the same input gives the same
    date in any year)."""
    later = PUBLISHED.format("2025-06-01T00:00:00Z")
    assert publication_date(later, None, "2024-01-01T00:00:00Z")[0] != "2025-06-01"
    assert publication_date(later, None, None) == ("2025-06-01", "html")


def test_readers_keep_each_record_s_date_and_place(tmp_path: Path):
    from readers.test_readers import PAGE, warc_record  # readers' test helpers (tests/stages/readers)

    members = [gzip.compress(warc_record(f"https://a.example/{i}", PAGE.format(cs="utf-8", body="Ein Text.").encode()))
               for i in range(2)]
    (tmp_path / "c.warc.gz").write_bytes(b"".join(members))
    docs = list(read([tmp_path / "c.warc.gz"]))
    assert [d.crawled for d in docs] == ["2024-01-01T00:00:00Z"] * 2
    # the source points at the record: the file and the record's offset in it (a gzip member's start)
    assert [d.source.rsplit(":", 1)[1] for d in docs] == ["0", str(len(members[0]))]
    (tmp_path / "w.jsonl").write_text("\n".join(json.dumps(r) for r in (
        {"u": "https://a.example/x", "p": "Ein Text hier.", "ts": "2023-11-30T08:15:00Z"},
        {"text": "Noch ein Text.", "date": "yesterday"})), encoding="utf-8")
    out = list(read([tmp_path / "w.jsonl"]))
    assert out[0].crawled == "2023-11-30T08:15:00Z"
    assert out[1].crawled is None and ("bad_date" in [k for k, _ in out[1].warnings])
    assert not any(isinstance(o, DocError) for o in out)


def test_pairs_carry_their_dates_and_the_report_says_them():
    pair = DocPair("a", "b", "en", "de", 0.8, 0.9, 0.9, "en->de", src_published="2024-03-01",
                   tgt_published="2024-03-11", src_crawled="2024-04-01T00:00:00Z")
    back = turned(pair)
    assert (back.src_published, back.tgt_published, back.tgt_crawled) == ("2024-03-11", "2024-03-01",
                                                                          "2024-04-01T00:00:00Z")
    row = {"src_lang": "en", "tgt_lang": "de", "src_published": "2024-03-01", "tgt_published": "2024-03-11"}
    assert "the German page 10 days after the English page" in date_words(row)
    assert date_words(row | {"tgt_published": None}) == "The English page gives 2024-03-01 as its publication date."
    assert date_words(row | {"src_published": None, "tgt_published": None}) == ""
    assert days_between("2024-03-11", "2024-03-01T10:00:00Z") == -10
