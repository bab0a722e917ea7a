"""Inputs that are not local files: URLs read through fsspec (``s3://``, ``gs://``, ``hf://``, ``https://``,
any protocol fsspec knows and whose package is installed), and path lists (CommonCrawl's
``warc.paths.gz``: one path a line, joined to a base URL).

A remote file is fetched whole by the read task that reads it, into a temporary file on that worker's
disk, read there as a local file, and removed: the readers stay the same for every source (FastWARC seeks
in what it reads), nothing is held in memory, and only the driver's listing touches the store otherwise.
Its documents name the URL as their source. A URL to a folder (a prefix) lists the files under it whose
names give a format, sorted (a remote file is never opened just to sniff it). Credentials come from each
backend's own environment and configuration (for S3: ``AWS_*`` variables, ``~/.aws``; fsspec's
``FSSPEC_S3_ENDPOINT_URL`` for an S3-compatible server) and are never written by twinpages.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(path) -> bool:
    """A URL to read through fsspec (``file://`` is a local path written as a URL: read through fsspec too,
    as given)."""
    return bool(_SCHEME.match(str(path)))


def url_name(url: str) -> PurePosixPath:
    """The path part of a URL, for what its name says (format, id)."""
    return PurePosixPath(urlsplit(url).path)


def filesystem(url: str):
    """(fsspec file system, path in it) for a URL; a clear error where the protocol's package is missing."""
    try:
        import fsspec
    except ImportError:
        raise ValueError(f"reading {url} needs fsspec: pip install 'twinpages[remote]'") from None
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as e:
        scheme = url.split("://")[0]
        raise ValueError(f"cannot read {scheme}:// URLs here ({e}); `pip install 'twinpages[remote]'` brings "
                         "S3 and HTTP(S), other protocols need their fsspec package (gcsfs, huggingface_hub, ...)"
                         ) from None


def list_url(url: str, listed) -> list[tuple[str, str]]:
    """(URL, document id prefix) for the file a URL names, or for each file under a folder URL whose name
    gives a format (``listed(name) -> bool``), sorted; ids as for local files: the file's name, or its path
    under the folder."""
    fs, root = filesystem(url)
    try:
        is_dir = fs.isdir(root)
    except OSError:
        is_dir = False  # the reader reports why the file cannot be read
    if not is_dir:
        return [(url, url_name(url).name or url)]
    out = []
    for path in sorted(fs.find(root)):
        rel = PurePosixPath(path).relative_to(PurePosixPath(root.rstrip("/"))).as_posix()
        if listed(PurePosixPath(rel).name):
            out.append((fs.unstrip_protocol(path), rel))
    return out


def stat_url(url: str) -> tuple[int, int]:
    """(size, a number that changes when the file does: its ETag's or modification time's digest) for the
    plan's shard digests; (0, 0) where the store cannot say (the reader reports why)."""
    try:
        fs, path = filesystem(url)
        info = fs.info(path)
    except (OSError, ValueError):
        return 0, 0
    version = str(info.get("ETag") or info.get("etag") or info.get("LastModified") or info.get("mtime") or "")
    return int(info.get("size") or 0), int.from_bytes(hashlib.blake2b(version.encode(), digest_size=7).digest())


@contextmanager
def fetched(url: str) -> Iterator[Path]:
    """The remote file copied to a temporary local file (removed on exit)."""
    fs, path = filesystem(url)
    fd, tmp = tempfile.mkstemp(prefix="twinpages-fetch-", suffix="-" + (url_name(url).name or "input"))
    try:
        with os.fdopen(fd, "wb") as out, fs.open(path, "rb") as f:
            shutil.copyfileobj(f, out, 1 << 20)
        yield Path(tmp)
    finally:
        os.unlink(tmp)


def paths_file(path: str | Path, base_url: str | None = None) -> list[str]:
    """The inputs a path list names (one a line, ``#`` comments and blank lines skipped; gzipped or zstd
    like any input), each joined to ``base_url`` when given (CommonCrawl's ``warc.paths.gz`` holds paths
    relative to its bucket)."""
    from .files import DAMAGED, open_input

    try:
        with open_input(Path(path)) as f:
            lines = f.read().decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError, *DAMAGED) as e:
        raise ValueError(f"cannot read the path list {path}: {e}") from None
    entries = [x.strip() for x in lines if x.strip() and not x.lstrip().startswith("#")]
    if base_url:
        entries = [base_url.rstrip("/") + "/" + x.lstrip("/") for x in entries]
    if not entries:
        raise ValueError(f"the path list {path} names no input")
    return entries
