"""Run-wide sentence dedup (stages/owners.py, phases/embed.py): each distinct sentence is encoded once in a
run, by the first shard that holds it, and every occurrence carries that one vector, whichever runner
ran which shard."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import EN_SEED
from twinpages import PipelineConfig, RunnerConfig, mine
from twinpages.stages.owners import OwnedVectors, first_owned, hash_buckets, owners
from twinpages.store import Layout
from twinpages.store.shards import read_documents


@given(st.lists(st.sets(st.integers(0, 40)), min_size=1, max_size=6))
def test_a_hash_is_owned_by_the_first_shard_that_holds_it(shards):
    parts = [np.array(sorted(s, reverse=bool(k % 2)), np.uint64) for k, s in enumerate(shards)]  # any order
    found = owners(parts)
    for k, (part, owner) in enumerate(zip(parts, found, strict=True)):
        assert len(owner) == len(part)
        for h, o in zip(part.tolist(), owner.tolist(), strict=True):
            assert o == min(j for j, s in enumerate(shards) if h in s) and o <= k


@given(st.lists(st.integers(0, 12), max_size=40), st.data())
def test_a_shard_encodes_each_owned_sentence_where_it_first_meets_it(sentences, data):
    hashes = np.array(sentences, np.uint64)
    wanted = np.array(data.draw(st.lists(st.booleans(), min_size=len(hashes), max_size=len(hashes))), bool)
    owned = np.array(sorted(data.draw(st.sets(st.integers(0, 12)))), np.uint64)
    seen, expected = set(), []
    for i, h in enumerate(sentences):
        if wanted[i] and h in owned.tolist() and h not in seen:
            seen.add(h)
            expected.append(i)
    assert first_owned(hashes, wanted, owned).tolist() == expected


def test_buckets_split_a_shards_distinct_hashes_once():
    hashes = np.array([5, 3, 5, 21, 3, 37, 16], np.uint64)
    for buckets in (1, 16, 100):
        parts = hash_buckets(hashes, buckets)
        assert len(parts) == buckets
        assert sorted(np.concatenate(parts).tolist()) == [3, 5, 16, 21, 37]
        assert all(int(h) % buckets == j for j, part in enumerate(parts) for h in part)


def test_an_owned_table_gives_back_its_vectors_and_refuses_a_hash_it_lacks(tmp_path):
    vectors = np.arange(12, dtype=np.float32).reshape(4, 3)
    # the shard's sentence vectors: the owned sentences' first occurrences at rows 5, 1, 3, 0
    sentence_vectors = np.zeros((6, 3), np.float32)
    sentence_vectors[[5, 1, 3, 0]] = vectors
    np.save(tmp_path / "shard.npy", sentence_vectors)
    OwnedVectors(np.array([9, 2, 7, 4], np.uint64), vectors, np.array([5, 1, 3, 0])).save(tmp_path / "t", "float32")
    for working in (True, False):  # from the working file, then (once it is dropped) by row
        if not working:
            OwnedVectors.paths(tmp_path / "t")[0].unlink()
        table = OwnedVectors.load(tmp_path / "t", tmp_path / "shard.npy")
        assert np.array_equal(table.lookup(np.array([7, 9, 7], np.uint64)), vectors[[2, 0, 2]])
        assert table.lookup(np.zeros(0, np.uint64)).shape == (0, 3)
        with pytest.raises(ValueError, match="owner does not hold"):
            table.lookup(np.array([3], np.uint64))


def corpus(folder: Path, seed_dir: Path) -> Path:
    """The English seed three times, one file a shard: the second with a sentence added to a paragraph of
    the article, the third with a paragraph's words changed and its last paragraphs dropped, so most
    sentences repeat across shards and some do not."""
    folder.mkdir()
    text = (seed_dir / EN_SEED).read_text(encoding="utf-8")
    (folder / "a.txt").write_text(text, encoding="utf-8")
    lines = text.splitlines()
    assert lines[58].lstrip().startswith("The call lasted") and lines[60].lstrip().startswith("It ends")
    added = lines[:58] + [lines[58] + " A spokesman would say no more about it."] + lines[59:]
    (folder / "b.txt").write_text("\n".join(added) + "\n", encoding="utf-8")
    cut = lines[:60] + [lines[60].replace("Russia", "Moscow")] + lines[61:84] + lines[93:]
    (folder / "c.txt").write_text("\n".join(cut) + "\n", encoding="utf-8")
    return folder


def settings() -> PipelineConfig:
    config = PipelineConfig()
    # one file a shard; the copies are not boilerplate of one site (they are one site's pages)
    return replace(config, read=replace(config.read, shard_bytes=1), copies=replace(config.copies, enabled=False),
                   extract=replace(config.extract, repeated_min_docs=0))


def vectors_by_text(run: Path) -> tuple[int, dict[str, set[bytes]]]:
    """(shards, each sentence's vectors as stored in every shard that holds it)."""
    layout = Layout(run)
    names = sorted(p.stem for p in (layout.shards / "documents").glob("*.parquet"))
    seen: dict[str, set[bytes]] = {}
    for name in names:
        vectors_path, offsets_path, _ = layout.vectors("usem3", name)
        vectors, offsets = np.load(vectors_path), np.load(offsets_path)
        for d, doc in enumerate(read_documents(layout.documents(name))):
            for i, s in enumerate(doc.sentences):
                seen.setdefault(s.text, set()).add(vectors[offsets[d] + i].tobytes())
    return len(names), seen


def test_each_distinct_sentence_is_encoded_once_and_every_occurrence_has_its_vector(seed_dir, tmp_path):
    inputs = corpus(tmp_path / "in", seed_dir)
    one = mine([inputs], tmp_path / "one", settings(), until="embed")
    shards, seen = vectors_by_text(tmp_path / "one")
    assert shards == 3
    assert len(seen) > 22  # the seed's 22 sentences and those the copies changed
    assert one.stats["sentences_embedded"] == len(seen)  # run-wide: not once per shard
    assert all(len(v) == 1 for v in seen.values())  # one vector per sentence, in every shard
    # a second worker runs other shards, or the owners are found in other buckets: the same bytes
    config = settings()
    two = mine([inputs], tmp_path / "two", config, runner=RunnerConfig(workers=2), until="embed")
    three = mine([inputs], tmp_path / "three", replace(config, embed=replace(config.embed, sentence_buckets=3)),
                 until="embed")
    assert two.stats["sentences_embedded"] == three.stats["sentences_embedded"] == len(seen)
    for vectors in (Layout(tmp_path / "one").shards / "vectors").rglob("*.npy"):
        relative = vectors.relative_to(tmp_path / "one")
        for other in ("two", "three"):
            assert vectors.read_bytes() == (tmp_path / other / relative).read_bytes(), (other, vectors.name)


def test_a_grown_run_keeps_every_old_owner_and_vector(seed_dir, tmp_path):
    from twinpages.api import add

    inputs = corpus(tmp_path / "in", seed_dir)
    first = tmp_path / "in" / "a.txt"
    later = [tmp_path / "in" / "b.txt", tmp_path / "in" / "c.txt"]
    mine([first], tmp_path / "grown", settings())
    # a finished run keeps its owners' hashes and rows, not their working vectors (in its sentence vectors)
    sentences = tmp_path / "grown" / "shards" / "sentences"
    assert list(sentences.rglob("*.hashes.npy")) and not list(sentences.rglob("*.vectors.npy"))
    old = {p.name: p.read_bytes() for p in (tmp_path / "grown" / "shards" / "vectors").rglob("*.npy")}
    _, before = vectors_by_text(tmp_path / "grown")
    grown = add(tmp_path / "grown", later)
    _, seen = vectors_by_text(tmp_path / "grown")
    assert 0 < grown.stats["sentences_embedded"] == len(seen) - len(before)  # the second copy's own sentences
    assert all(len(v) == 1 for v in seen.values())
    now = {p.name: p.read_bytes() for p in (tmp_path / "grown" / "shards" / "vectors").rglob("*.npy")}
    assert all(now[name] == data for name, data in old.items())
    # and the grown run holds what one run over all three files writes
    mine([inputs], tmp_path / "fresh", settings())
    fresh = {p.name: p.read_bytes() for p in (tmp_path / "fresh" / "shards" / "vectors").rglob("*.npy")}
    assert now == fresh


def test_once_per_shard_when_asked_and_then_no_shard_reads_another(seed_dir, tmp_path):
    from twinpages.phases.embed import Embed, ShardPlan, prefixes

    inputs = corpus(tmp_path / "in", seed_dir)
    config = settings()
    config = replace(config, embed=replace(config.embed, sentence_dedup="shard"))
    result = mine([inputs], tmp_path / "run", config, until="embed")
    layout = Layout(tmp_path / "run")
    names = sorted(p.stem for p in (layout.shards / "documents").glob("*.parquet"))
    distinct = [len({s.text for d in read_documents(layout.documents(n)) for s in d.sentences}) for n in names]
    assert result.stats["sentences_embedded"] == sum(distinct) > len(vectors_by_text(tmp_path / "run")[1])
    # what the gathering step of the third shard reads: its own owned table only, or every shard's before it
    plan = ShardPlan(tuple(names), prefixes(tuple(names)), (1, 1, 1), (("usem3",),) * 3, (("en", ("usem3",)),))
    for run_wide, others in ((False, set()), (True, set(names[:2]))):
        phase = Embed(config, str(tmp_path / "run"), replace(plan, run_wide=run_wide), (False,) * 3)
        read = {name for p in phase.reads(names[2]) for name in names[:2]
                if p.startswith(f"shards/sentences/usem3/{name}-")}
        assert read == others, run_wide
