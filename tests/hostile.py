"""A hostile-input corpus, made by a script: every case of the adversarial pass (issue 13) as a small
file, beside good documents whose output must come through intact.

``make_corpus(folder)`` writes the files and returns what a correct run must report for each: the test
counts the documents itself from this table, independently of the run's statistics. Cases that need
a process around them (a pipe, a second concurrent run, a full disk, a non-root user) live in the tests
themselves; the files they read come from here too.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "examples" / "seeds"
EN_SEED, DE_SEED = "000_58abd7e94c42ac02.txt", "004_e9dbbdd4118222ca.txt"

GERMAN = ("Die Bundesregierung hat am Mittwoch neue Maßnahmen für den Klimaschutz beschlossen. Die Pläne "
          "sehen vor, dass die Emissionen bis zum Jahr 2030 deutlich sinken. Kritiker bemängeln jedoch, dass "
          "die Schritte nicht weit genug gehen und zu spät kommen. Über die Finanzierung wird noch gestritten.")
ENGLISH = ("The federal government adopted new climate protection measures on Wednesday. The plans foresee a "
           "clear fall in emissions by the year 2030. Critics, however, say the steps do not go far enough and "
           "come too late. The financing is still being argued over.")


@dataclass(frozen=True)
class Case:
    """One input and what a correct run says of it: ``kept`` documents, ``dropped`` error records (kind),
    ``repaired`` warning records (kind, the document is kept), ``item``: the issue's item number."""

    name: str
    item: int | None
    kept: int = 0
    dropped: tuple[str, ...] = ()
    repaired: tuple[str, ...] = ()
    must_contain: str | None = None  # a string the kept document's main text must hold, exactly
    must_not_contain: str | None = None


# Lines repeated across a site's documents count as boilerplate (digits do not make them differ), so
# each document's paragraph starts with a place of its own.
PLACES = ("Aachen Bremen Chemnitz Dresden Erfurt Freiburg Giessen Hamburg Ingolstadt Jena Kassel Leipzig Mainz "
          "Nuremberg Oldenburg Potsdam Regensburg Saarbruecken Trier Ulm Wuppertal Zwickau Bonn Kiel Essen Halle "
          "Koblenz").split()


def german(k: int) -> str:
    return f"Aus {PLACES[k % len(PLACES)]} wird berichtet: {GERMAN}"


def english(k: int) -> str:
    return f"From {PLACES[k % len(PLACES)]} comes this report: {ENGLISH}"


def _jsonl(records: list[dict]) -> bytes:
    # ensure_ascii: lone surrogates survive as \udc00 escapes, the way other tools write them
    return "".join(json.dumps(r) + "\n" for r in records).encode("ascii")


def warc_record(kind: str, block: bytes, content_type: str | None = None, url: str | None = None) -> bytes:
    """One WARC/1.0 record of this type (warcinfo, resource, response...) around ``block``."""
    head = ["WARC/1.0", f"WARC-Type: {kind}", f"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{len(block):012d}>",
            "WARC-Date: 2026-01-01T00:00:00Z", f"Content-Length: {len(block)}"]
    head += [f"Content-Type: {content_type}"] if content_type else []
    head += [f"WARC-Target-URI: {url}"] if url else []
    return ("\r\n".join(head) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


def make_corpus(folder: Path) -> list[Case]:
    """Write the corpus under ``folder`` (a directory: the run's one input) and return its cases."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def add(name: str, data: bytes, case: Case) -> None:
        (folder / name).write_bytes(data)
        cases.append(case)

    # good documents: the seed pair, whose sentence pairs must come out as without the hostile files
    for seed in (EN_SEED, DE_SEED):
        add(seed, (SEEDS / seed).read_bytes(), Case(seed, None, kept=1))

    # 1. one stray byte in UTF-8; one Latin-1 line in a UTF-8 file: good UTF-8 must stay as it is
    add("utf8_stray_byte.txt", (german(1) + "\n").encode() + b"Ein kaputtes Byte \xff steht hier, sonst ist "
        b"alles gut.\n" + (german(1) + "\n").encode(),
        Case("utf8_stray_byte.txt", 1, kept=1, repaired=("decode_repaired",), must_contain="Maßnahmen"))
    add("latin1_line.txt", (german(2) + "\n").encode() + "Eine Zeile in Latin-1: Größe, Übermaß und Äpfel, "
        "und sie ist so lang wie die anderen Zeilen auch.\n".encode("latin-1") + (german(2) + "\n").encode(),
        Case("latin1_line.txt", 1, kept=1, repaired=("decode_repaired",), must_contain="Übermaß",
             must_not_contain="Ã"))

    # issue 26 M: a line of good UTF-8 (umlauts) with one stray byte: only that byte is decoded otherwise,
    # in a file of several lines and in a file of that one line
    stray = ("Das Welternährungsprogramm der Vereinten Nationen wurde".encode() + b"\xff"
             + " 1961 gegründet und hilft Menschen in über 120 Ländern.".encode())
    add("utf8_line_stray.txt", (german(3) + "\n").encode() + stray + b"\n",
        Case("utf8_line_stray.txt", 26, kept=1, repaired=("decode_repaired",), must_contain="Welternährungsprogramm",
             must_not_contain="Ã"))
    add("utf8_only_line_stray.txt", stray + b" " + german(4).encode(),
        Case("utf8_only_line_stray.txt", 26, kept=1, repaired=("decode_repaired",),
             must_contain="Welternährungsprogramm", must_not_contain="Ã"))

    # 3. the same id in two JSONL files, with different texts and sentence counts
    add("ids_a.jsonl", _jsonl([{"id": "same", "lang": "de", "text": german(13)}]),
        Case("ids_a.jsonl", 3, kept=1))
    add("ids_b.jsonl", _jsonl([{"id": "same", "lang": "en", "text": english(14) + " One more sentence is here."}]),
        Case("ids_b.jsonl", 3, kept=1, repaired=("duplicate_id",)))

    # 5. an unreadable subdirectory (for a non-root user) and a dangling symlink
    locked = folder / "locked"
    locked.mkdir()
    (locked / "inside.txt").write_text(english(15))
    cases.append(Case("locked", 5, dropped=("unreadable",)))  # one record for the folder: its files are unknown
    os.symlink(folder / "no-such-file.txt", folder / "dangling.txt")
    cases.append(Case("dangling.txt", 5, dropped=("not_found",)))

    # 6. an unknown codec in the page's meta
    html = (f"<html><head><meta charset=\"undefined\"></head><body><article><p>{german(16)}</p></article>"
            "</body></html>")
    add("charset_undefined.html", html.encode(), Case("charset_undefined.html", 6, kept=1, must_contain="Maßnahmen"))

    # 7. a URL that is a number; 8. lone surrogates in html and in text
    add("url_number.jsonl", _jsonl([{"id": "url5", "url": 5, "text": english(17)}]),
        Case("url_number.jsonl", 7, dropped=("malformed_jsonl",)))
    page = f"<html><body><article><p>{german(18)} \udc00</p></article></body></html>"
    add("surrogate_html.jsonl", _jsonl([{"id": "sur-html", "html": page}]),
        Case("surrogate_html.jsonl", 8, kept=1, repaired=("decode_repaired",)))
    add("surrogate_text.jsonl", _jsonl([{"id": "sur-text", "text": f"{english(19)} \udc00 end."}]),
        Case("surrogate_text.jsonl", 8, kept=1, repaired=("decode_repaired",)))

    # 9. a file name that is not UTF-8
    bad_name = os.fsdecode(b"caf\xe9.txt")
    add(bad_name, english(20).encode(), Case(bad_name, 9, kept=1))

    # 11. tag soup that never nests deep but is quadratic for the parsers
    add("unmatched_close.html", b"<html><body>" + b"<div></x>" * 100_000 + b"</body></html>",
        Case("unmatched_close.html", 11, dropped=("html_too_deep",)))
    add("self_closing.html", b"<html><body>" + b"<div/>" * 100_000 + b"</body></html>",
        Case("self_closing.html", 11, dropped=("html_too_deep",)))

    # 12. one 2 MB line of words without punctuation
    words = " ".join(["wort", "und", "noch", "eins", "mehr"] * 80_000)
    add("long_line.txt", words.encode(), Case("long_line.txt", 12, kept=1))

    # 13. 14 MB of spans: one page must not take a hundred times its size in memory
    add("many_spans.html", b"<html><body>" + b"<span>a</span>" * 1_000_000 + b"</body></html>",
        Case("many_spans.html", 13, dropped=("html_too_complex",)))

    # 15. UTF-16 text with a BOM; 16. a UTF-8 page that claims UTF-16
    add("utf16.txt", (english(21) + "\n").encode("utf-16"), Case("utf16.txt", 15, kept=1, must_contain="climate"))
    html = (f"<html><head><meta charset=\"utf-16\"></head><body><article><p>{german(22)}</p></article>"
            "</body></html>")
    add("claims_utf16.html", html.encode(), Case("claims_utf16.html", 16, kept=1, must_contain="Maßnahmen"))

    # 17. an upper-case language tag, and a region subtag
    add("lang_upper.jsonl", _jsonl([{"id": "upper", "lang": "DE", "text": german(23)},
                                    {"id": "region", "lang": "en-GB", "text": english(24)}]),
        Case("lang_upper.jsonl", 17, kept=2))

    # issue 26 N: inputs that hold no page are each one record, never silence; a page kept in a WARC
    # resource record; a gzip with trailing garbage keeps its document, as gzip -d does
    add("empty.warc", b"", Case("empty.warc", 26, dropped=("empty",)))
    add("empty.warc.gz", gzip.compress(b""), Case("empty.warc.gz", 26, dropped=("empty",)))
    add("empty.jsonl", b"", Case("empty.jsonl", 26, dropped=("empty",)))
    add("blank.jsonl", b"\n  \n", Case("blank.jsonl", 26, dropped=("empty",)))
    add("warcinfo_only.warc.gz", gzip.compress(warc_record("warcinfo", b"software: a crawler\r\n")),
        Case("warcinfo_only.warc.gz", 26, dropped=("no_documents",)))
    add("not_a.warc", b"This file is called .warc but holds plain text.\n",
        Case("not_a.warc", 26, dropped=("not_warc",)))
    page = f"<html><body><article><p>{english(27)}</p></article></body></html>".encode()
    add("resource.warc", warc_record("resource", page, "text/html", "file:///site/page.html"),
        Case("resource.warc", 26, kept=1, must_contain="climate protection"))
    add("trailing.txt.gz", gzip.compress((german(28) + "\n").encode()) + b"garbage after the gzip data",
        Case("trailing.txt.gz", 26, kept=1, repaired=("trailing_garbage",), must_contain="Maßnahmen"))

    # and two ordinary failures, for the count: an empty file and a gzip cut short
    add("empty.txt", b"", Case("empty.txt", None, dropped=("empty",)))
    whole = gzip.compress(_jsonl([{"id": "cut", "text": english(25) + " " + german(26)}]))
    add("cut.jsonl.gz", whole[:len(whole) // 2],
        Case("cut.jsonl.gz", None, dropped=("truncated_gzip",)))
    return cases
