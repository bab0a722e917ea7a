"""What the readers may read: sizes, formats, shards, time (a setting each: config.py makes the flags)."""

from __future__ import annotations

from dataclasses import dataclass

from ...settings import comma_list, setting
from .formats import FORMATS


@dataclass(frozen=True, slots=True)
class ReadConfig:
    # larger documents are reported, not read: no page is that long
    max_bytes: int = setting(20_000_000, flag="--max-bytes", low=1, help="largest input document read, in bytes")
    input_format: str | None = setting(None, flag="--input-format", choices=FORMATS,
                                       help="read every input as this format (default: detect from names and bytes)")
    # which field of a JSONL or Parquet record holds what (readers/fields.py): unset, the usual names of each
    # role are tried (twinpages', warc2text's, datatrove's, HPLT's); set, that field only (dotted: nested)
    text_key: str | None = setting(None, flag="--text-key",
                                   help="record field of the text (default: text, else warc2text's p)")
    html_key: str | None = setting(None, flag="--html-key", help="record field of the HTML (default: html)")
    id_key: str | None = setting(None, flag="--id-key", help="record field of the id (default: id)")
    url_key: str | None = setting(None, flag="--url-key",
                                  help="record field of the URL (default: url, u, metadata.url)")
    lang_key: str | None = setting(None, flag="--lang-key",
                                   help="record field of the declared language (default: lang, l, language, "
                                        "metadata.language, document_lang)")
    date_key: str | None = setting(None, flag="--date-key",
                                   help="record field of the crawl date (default: date, ts, metadata.date)")
    # --input-format cc-index (readers/ccindex.py): the records to fetch, and where their WARC files are
    cc_languages: tuple[str, ...] = setting((), flag="--cc-languages", parse=comma_list, help=(
        "with --input-format cc-index: fetch the records whose content_languages name one of these (deu,eng or "
        "de,en; default: the languages of -l; neither: every record)"))
    cc_warc_base: str = setting("s3://commoncrawl/", flag="--cc-warc-base",
                                help="with --input-format cc-index: where the index's warc_filename paths are")
    # Input shards: files are grouped, or a large archive split, into shards of about this many bytes (as
    # stored); each shard is one task of the read phase. A compressed archive is split into interleaved
    # parts (blocks of records), at most max_parts, each of which decompresses the whole file.
    shard_bytes: int = setting(4_000_000, flag="--shard-bytes", low=1, help="input bytes per read shard")
    max_parts: int = setting(16, low=1)
    # the net under the per-stage limits (limits.py): one document's extraction, language ID and
    # splitting past this many seconds becomes a too_slow error record. An execution limit, outside
    # the run signature, like the runner's settings.
    max_doc_seconds: float = setting(60.0, flag="--max-doc-seconds", signed=False, low=0,
                                     help="time budget for analysing one document (0: none)")
