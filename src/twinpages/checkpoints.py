"""Work that a killed run does not redo: aligned candidate batches saved under OUT/.work/.

Each batch of candidate pairs is aligned, and the pairs it accepted are written to a file named by a
digest of the run's signature and the batch's document ids, atomically (tmp + rename). A rerun after
a kill at any moment loads the finished batches and aligns only the rest; the sentence embeddings
come back from the embedding cache that lives beside them. A finished run removes OUT/.work/.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from .data import DocPair, SentPair
from .stages.writers.files import atomic_lines


def batch_path(work: Path, signature: str, index: int, ids: list[tuple[str, str]]) -> Path:
    h = hashlib.blake2b(signature.encode(), digest_size=8)
    for a, b in ids:
        h.update(f"{a}\t{b}\n".encode())
    return work / f"aligned-{index:06d}-{h.hexdigest()}.jsonl"


def save_pairs(path: Path, pairs: list[DocPair]) -> None:
    atomic_lines(path, (json.dumps(asdict(p), ensure_ascii=False) + "\n" for p in pairs))


def load_pairs(path: Path) -> list[DocPair]:
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        d["pairs"] = [SentPair(tuple(b["src_idx"]), tuple(b["tgt_idx"]), b["src_text"], b["tgt_text"], b["score"],
                               b["cosine"]) for b in d["pairs"]]
        d["src_spans"] = [tuple(s) for s in d["src_spans"]]
        d["tgt_spans"] = [tuple(s) for s in d["tgt_spans"]]
        pairs.append(DocPair(**d))
    return pairs
