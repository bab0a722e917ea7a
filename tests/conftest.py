"""Shared fixtures: the shared data folder, the seed gold, one prepared pipeline per session.

Tests that read ../shared skip with a reason where it is absent (a user's fresh clone); CI has it.
"""

from __future__ import annotations

import json
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
    from twinpages.pipeline import Pipeline

    return Pipeline()


@pytest.fixture(scope="session")
def seed_docs(pipeline, seed_dir):
    """The two seeds, read, extracted, labelled, split and embedded."""
    from twinpages.stages.readers import read

    errors = []
    raw = list(read([seed_dir / EN_SEED, seed_dir / DE_SEED]))
    docs = list(pipeline.prepare(raw, errors))
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
