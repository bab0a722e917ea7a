"""The input formats, in one table (READERS): how each is named, how its first bytes give it away, whether
an archive of it can be split among tasks, and the function that reads a file of it. A new input format
is one module with a ``read_file`` and one line here; `--input-format`, folder listing, sniffing and the
read phase's planning take it from the table.

    read_file(path, doc_id, config, keep=None) -> iterator of Document | DocError

``keep`` (splittable formats): which records, by 0-based number, this task reads (an archive split into
interleaved blocks, phases/plan.py); a format that is not splittable is read whole by one task.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

SNIFF_BYTES = 1024
# what a crawl or a mirror holds besides pages: not opened to sniff
NOT_DOCUMENTS = frozenset(".css .js .mjs .png .jpg .jpeg .gif .webp .svg .ico .pdf .zip .woff .woff2 .ttf .eot "
                          ".mp3 .mp4 .webm .avi .mov .md .py .csv .tsv .xml .rss .atom .map .lock".split())


@dataclass(frozen=True, slots=True)
class InputFormat:
    name: str
    suffixes: tuple[str, ...]  # file name endings that name it (before an optional .gz or .zst)
    sniff: Callable[[bytes], bool] | None  # its first bytes, BOM and leading space removed, lowercased
    splittable: bool  # records that several tasks can share out (see the module's docstring)
    reader: str | Callable  # its read_file, or "module:function" imported when first used

    def read_file(self, path: Path, doc_id: str, config, keep=None):
        read = self.reader
        if isinstance(read, str):
            module, function = read.split(":")
            read = getattr(import_module(module, __package__), function)
        return read(path, doc_id, config, keep) if self.splittable else read(path, doc_id, config)


def _html(start: bytes) -> bool:
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return True
    # an XML declaration or a comment before the page (XHTML, pages saved by wget)
    return start.startswith((b"<?xml", b"<!--", b"<!doctype")) and b"<html" in start[:SNIFF_BYTES]


# name -> format; sniffing tries them in this order
READERS: dict[str, InputFormat] = {
    "warc": InputFormat("warc", (".warc", ".wet"), lambda start: start.startswith(b"warc/"), True, ".warc:read_file"),
    "jsonl": InputFormat("jsonl", (".jsonl", ".json"), lambda start: start.startswith(b"{"), True, ".jsonl:read_file"),
    "html": InputFormat("html", (".html", ".htm", ".shtml", ".xhtml", ".xht"), _html, False, ".html:read_file"),
    "txt": InputFormat("txt", (".txt",), None, False, ".text:read_file"),
    "parquet": InputFormat("parquet", (".parquet",), lambda start: start.startswith(b"par1"), True,
                           ".parquet:read_file"),
    # CommonCrawl's columnar index (Parquet too): never guessed, only by --input-format cc-index
    "cc-index": InputFormat("cc-index", (), None, True, ".ccindex:read_file"),
}
# `--input-format`'s choices, in the order the help shows them
FORMATS = ("txt", "html", "warc", "jsonl", "parquet", "cc-index")


def format_of(path: Path, head: bytes = b"") -> str | None:
    """The input format from the name, else from the first bytes; None when neither tells."""
    name = path.name.lower().removesuffix(".gz").removesuffix(".zst")
    suffix = Path(name).suffix
    for fmt in READERS.values():
        if suffix in fmt.suffixes:
            return fmt.name
    if head.startswith((b"\x1f\x8b", b"\x28\xb5\x2f\xfd")):  # gzip, zstd
        return None  # compressed without a telling name: the caller sniffs the decompressed bytes
    start = head.removeprefix(codecs.BOM_UTF8).lstrip().lower()
    return next((fmt.name for fmt in READERS.values() if fmt.sniff and fmt.sniff(start)), None)


def sniffed(path: Path) -> str | None:
    """The format of a file found in a folder: from its name, else from its first bytes (a mirror made
    by wget has pages named ``article.php?id=17`` or ``artikel``); None for what is not a document."""
    fmt = format_of(path)
    if fmt or path.suffix.lower() in NOT_DOCUMENTS:
        return fmt
    from .files import DAMAGED, open_input  # files.py lists folders with this function

    try:
        with open_input(path) as f:  # a compressed page is sniffed by what it decompresses to
            return format_of(Path("x"), f.read(SNIFF_BYTES))
    except (OSError, *DAMAGED):
        return "txt"  # listed, so that the reader reports why it cannot be read
