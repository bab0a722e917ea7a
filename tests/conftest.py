"""Shared fixtures: the shared data folder, the seed gold, one prepared pipeline per session.

Tests that read ../shared skip with a reason where it is absent (a user's fresh clone); CI has it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TWINPAGES_SHARED", REPO.parent / "shared"))
EXAMPLES = REPO / "examples" / "seeds"
EN_SEED, DE_SEED = "000_58abd7e94c42ac02.txt", "004_e9dbbdd4118222ca.txt"


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (the project's ../shared data folder; present in CI, absent in a fresh clone)")
    return path


def _is_loopback(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):  # an AF_UNIX path as bytes
        return True
    return host in ("localhost", "::1") or host.startswith("127.") or host.startswith("/")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Nothing in twinpages may reach the network at run time. Loopback stays open: a local Ray
    cluster started by a test talks to itself on 127.0.0.1."""
    connect, create_connection = socket.socket.connect, socket.create_connection

    def guarded_connect(self, address):
        if not _is_loopback(address):
            raise RuntimeError(f"network access attempted during a test: {address}")
        return connect(self, address)

    def guarded_create_connection(address, *args, **kwargs):
        if not _is_loopback(address):
            raise RuntimeError(f"network access attempted during a test: {address}")
        return create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "create_connection", guarded_create_connection)


@pytest.fixture(scope="session")
def gold() -> dict:
    return json.loads(shared_path("seeds", "gold.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    return shared_path("seeds")


@pytest.fixture(scope="session")
def pipeline():
    from twinpages import PipelineConfig
    from twinpages.phases.base import Models

    return Models.of(PipelineConfig())


@pytest.fixture(scope="session")
def seed_docs(pipeline, seed_dir):
    """The two seeds, read, extracted, labelled, split and embedded."""
    from twinpages.stages.readers import read

    errors = []
    raw = list(read([seed_dir / EN_SEED, seed_dir / DE_SEED]))
    docs = list(pipeline.analyser.prepare(raw, errors))
    assert not errors
    return docs


def normalise(text: str) -> str:
    return " ".join(text.split())


def gold_pairs_found(gold: dict, aligned: list[tuple[str, str]]) -> int:
    """DEVELOPERS' rule: a predicted pair matches a gold pair when its source side contains the gold
    English sentence and its target side the gold German sentence, whitespace-normalised."""
    pairs = [(normalise(s), normalise(t)) for s, t in aligned]
    return sum(
        any(normalise(g["en"]) in s and normalise(g["de"]) in t for s, t in pairs) for g in gold["sentence_pairs"]
    )


def main_text_of(path: Path, lines: list[int]) -> str:
    raw = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(normalise(raw[n - 1]) for n in lines)


def ddtp_shuffled(seed: int) -> tuple[dict[str, str], list[list[str]], list[str]]:
    """DDTP en-fr (real package descriptions): its JSONL lines by id, its gold pairs (both documents
    present) shuffled with ``seed``, and the ids of documents in no gold pair, in file order."""
    import gzip
    import random

    folder = shared_path("data", "docalign", "ddtp-en-fr")
    with gzip.open(folder / "docs.jsonl.gz", "rt", encoding="utf-8") as f:
        docs = {json.loads(line)["id"]: line for line in f}
    gold = [x.split("\t")[:2] for x in (folder / "gold.tsv").read_text(encoding="utf-8").splitlines() if x.strip()]
    gold = [g for g in gold if g[0] in docs and g[1] in docs]
    random.Random(seed).shuffle(gold)
    paired = {i for g in gold for i in g}
    return docs, gold, [i for i in docs if i not in paired]


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def sync_chromium():
    """Playwright's sync API for Debian's Chromium (never a downloaded browser); skips without them.
    ``with sync_chromium()() as p: browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)``"""
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright (test extra) is not installed")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it where apt-get is allowed)")
    return playwright.sync_playwright


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def s3(monkeypatch):
    """A moto S3 server on 127.0.0.1 with a bucket `crawl`, and fsspec configured to use it (as
    ~/.config/fsspec/s3.json would; and by FSSPEC_S3_ENDPOINT_URL for the processes a test starts)."""
    fsspec = pytest.importorskip("fsspec")
    moto_server = pytest.importorskip("moto.server")
    import boto3
    import s3fs

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request in a failing test's log
    try:
        server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
    except Exception as e:  # noqa: BLE001 (any failure to start is a reason to skip, said)
        pytest.skip(f"the S3-compatible test server could not start: {e}")
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    monkeypatch.setitem(fsspec.config.conf, "s3", {"endpoint_url": endpoint})
    monkeypatch.setenv("FSSPEC_S3_ENDPOINT_URL", endpoint)
    s3fs.S3FileSystem.clear_instance_cache()
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="crawl")
    yield client
    s3fs.S3FileSystem.clear_instance_cache()
    server.stop()


def store_files(s3, bucket: str, prefix: str) -> dict[str, bytes]:
    """Every object of a run folder in the test's S3 server but its lock, by path relative to the run."""
    from twinpages.store import LOCK

    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for obj in page.get("Contents", []):
            rel = obj["Key"][len(prefix) + 1:]
            if rel != LOCK:
                out[rel] = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
    return out


def disk_files(folder: Path) -> dict[str, bytes]:
    """Every file of a run folder on disk but its lock, by path relative to it."""
    from twinpages.store import LOCK

    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != LOCK}
