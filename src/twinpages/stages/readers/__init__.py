"""Readers for plain-text line dumps, HTML, WARC and JSONL: the formats' table is formats.py, reading
base.py, files and streams files.py, bytes to text decoding.py."""

from .base import read, read_blob, read_path
from .decoding import decode
from .errors import ReadError
from .files import list_files, spool_streams
from .formats import FORMATS, READERS, InputFormat, format_of
from .options import ReadConfig

__all__ = ["FORMATS", "READERS", "InputFormat", "ReadConfig", "ReadError", "decode", "format_of", "list_files",
           "read", "read_blob", "read_path", "spool_streams"]
