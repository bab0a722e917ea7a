"""Readers for plain-text line dumps, HTML, WARC and JSONL; see base.py."""

from .base import (
    FORMATS,
    ReadConfig,
    ReadError,
    decode,
    format_of,
    list_files,
    read,
    read_blob,
    read_path,
    spool_streams,
)

__all__ = ["FORMATS", "ReadConfig", "ReadError", "decode", "format_of", "list_files", "read", "read_blob", "read_path",
           "spool_streams"]
