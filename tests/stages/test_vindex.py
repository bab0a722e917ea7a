"""The vector index: approximate search against exact on planted pairs, shards, determinism, growth."""

from dataclasses import replace

import numpy as np
import pytest

from twinpages.stages.candidates import CandidatesConfig, find_candidates, index_of, neighbours
from twinpages.stages.vindex import Neighbours, VectorIndex, lists_for, train, training_sample


def _corpus(n_pairs=1500, n_other=1500, d=64, seed=0):
    """Two "languages" of unit vectors in clusters (topics, as real documents have), with n_pairs
    planted translations (a vector and a noisy copy of it) among n_other unpaired documents each."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, d))

    def points(n):
        x = centres[rng.integers(0, len(centres), n)] + 0.9 * rng.standard_normal((n, d))
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    a = points(n_pairs + n_other)
    partners = a[:n_pairs] + 0.35 * rng.standard_normal((n_pairs, d)) / np.sqrt(d) * 3
    b = np.concatenate([partners / np.linalg.norm(partners, axis=1, keepdims=True), points(n_other)])
    vectors = np.concatenate([a, b]).astype(np.float32)
    langs = ["en"] * len(a) + ["fr"] * len(b)
    planted = {(i, len(a) + i) for i in range(n_pairs)}
    return vectors, langs, planted


def _recall(cands, planted):
    return len({(c.src, c.tgt) for c in cands} & planted) / len(planted)


def test_approximate_search_finds_the_planted_pairs_that_exact_search_finds():
    vectors, langs, planted = _corpus()
    exact = find_candidates(vectors, langs, CandidatesConfig(index="exact"))
    approx = find_candidates(vectors, langs, CandidatesConfig(index="approx"))
    assert _recall(exact, planted) > 0.95  # the planted pairs are findable at all
    assert _recall(approx, planted) >= 0.99 * _recall(exact, planted)
    # the shortlist is re-ranked by true similarity: a pair both searches found has the same margin up
    # to float16, unless a neighbour was missed, which moves a neighbourhood mean a little
    e = {(c.src, c.tgt): c.margin for c in exact}
    change = np.array([abs(e[(c.src, c.tgt)] - c.margin) / e[(c.src, c.tgt)] for c in approx if (c.src, c.tgt) in e])
    assert len(change) > 0.9 * len(exact)
    assert np.median(change) < 1e-3 and np.percentile(change, 95) < 0.02 and change.max() < 0.1


def test_auto_switches_to_the_approximate_index_above_the_size_product():
    vectors, langs, planted = _corpus(1200, 300)
    config = CandidatesConfig(index="auto", exact_max=1500 * 1500 - 1)
    assert config.approximate(1500, 1500) and not config.approximate(1500, 1499)
    assert not CandidatesConfig(index="approx").approximate(10**6, 100)  # too few to train on
    assert CandidatesConfig(index="exact").approximate(10**9, 10**9) is False
    assert _recall(find_candidates(vectors, langs, config), planted) > 0.95


def test_similarities_are_true_cosines_and_ids_are_the_documents_numbers():
    vectors, _, _ = _corpus(500, 500)
    base, ids = vectors[1000:], np.arange(1000, 2000, dtype=np.int64) * 7
    lists = lists_for(len(base))
    shard = VectorIndex.build(base, ids, train(base[training_sample(len(base), lists)], lists))
    found = shard.search(vectors[:200], 4, shortlist=32, probes=8)
    rows = found.ids // 7 - 1000
    true = np.einsum("qd,qkd->qk", vectors[:200], base[rows])
    assert np.all(found.ids >= 0) and np.allclose(found.sims, true, atol=2e-3)  # float16 vectors
    assert np.all(np.diff(found.sims, axis=1) <= 0)


def test_exact_shards_merge_to_what_one_index_gives():
    vectors, _, _ = _corpus(600, 600)
    base, queries, ids = vectors[1200:], vectors[:1200], np.arange(1200, 2400)
    one = neighbours(queries, index_of(base, ids, CandidatesConfig(shard_docs=10**6), False), CandidatesConfig())
    many_config = CandidatesConfig(shard_docs=250)
    shards = index_of(base, ids, many_config, False)
    assert len(shards) == 5
    many = neighbours(queries, shards, many_config)
    assert np.array_equal(one.ids, many.ids) and np.array_equal(one.sims, many.sims)


def test_merge_does_not_depend_on_the_order_of_the_parts():
    rng = np.random.default_rng(1)
    parts = [Neighbours(rng.integers(0, 50, (30, 4)), rng.choice([0.5, 0.7, 0.9], (30, 4)).astype(np.float32))
             for _ in range(4)]
    parts.append(Neighbours.empty(30, 4))
    a, b = Neighbours.merge(parts, 4), Neighbours.merge(parts[::-1], 4)
    assert np.array_equal(a.ids, b.ids) and np.array_equal(a.sims, b.sims)
    assert np.all(np.diff(a.sims, axis=1) <= 0)


def test_an_approximate_index_is_deterministic_and_survives_a_round_trip(tmp_path):
    vectors, _, _ = _corpus(500, 500)
    base, ids = vectors[1000:], np.arange(1000, 2000)
    lists = lists_for(len(base))
    runs = []
    for k in range(2):
        shard = VectorIndex.build(base, ids, train(base[training_sample(len(base), lists)], lists))
        shard.save(tmp_path / f"s{k}")
        runs.append(VectorIndex.load(tmp_path / f"s{k}").search(vectors[:300], 4, probes=4))
    assert np.array_equal(runs[0].ids, runs[1].ids) and np.array_equal(runs[0].sims, runs[1].sims)
    # 4-bit codes (d/8 bytes) and an id (8 bytes) a vector, plus cells and codebooks
    assert (tmp_path / "s0.ivf").stat().st_size < base.nbytes / 6


def test_adding_a_batch_gives_what_a_rebuild_with_the_same_cells_gives():
    """A crawl grows: new documents become a new shard made from the old trained cells. The new
    documents' neighbours (against old and new) and the old documents' refreshed neighbours (their old
    answers merged with the new shard's) equal a search over the rebuilt index."""
    vectors, _, _ = _corpus(800, 800)
    a, b = vectors[:1600], vectors[1600:]
    b_ids = np.arange(1600, 3200)
    config = CandidatesConfig(index="approx", shard_docs=1000, index_probes=8)
    old, new = slice(0, 1000), slice(1000, 1600)
    lists = lists_for(1000)
    trained = train(b[:1000][training_sample(1000, lists)], lists)
    old_shard = VectorIndex.build(b[:1000], b_ids[:1000], trained)
    added = VectorIndex.build(b[1000:], b_ids[1000:], trained)
    # before: a's old documents against b's old shard
    before = neighbours(a[old], [old_shard], config)
    # after the batch: old queries get the new shard's answers merged in; new queries search both
    refreshed = Neighbours.merge([before, neighbours(a[old], [added], config)], config.k)
    fresh = neighbours(a[new], [old_shard, added], config)
    rebuilt = neighbours(a, [old_shard, added], config)
    assert np.array_equal(np.concatenate([refreshed.ids, fresh.ids]), rebuilt.ids)
    assert np.array_equal(np.concatenate([refreshed.sims, fresh.sims]), rebuilt.sims)
    changed = np.any(refreshed.ids != before.ids, axis=1).mean()
    assert 0 < changed < 1  # the new documents entered some old neighbourhoods, not all


def test_a_dimension_the_codes_cannot_split_is_refused():
    with pytest.raises(ValueError, match="divisible by 4"):
        train(np.ones((100, 6), np.float32), 4)


def test_fewer_documents_than_k_leave_missing_neighbours():
    v = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    cands = find_candidates(v[:3], ["en", "fr", "fr"], replace(CandidatesConfig(), k=4, min_cosine=-1))
    assert {(c.src, c.tgt) for c in cands} <= {(0, 1), (0, 2)}


def test_an_exact_shard_of_half_precision_vectors_is_stored_in_half(tmp_path):
    """The run's document vectors are float16 numbers (--vectors float16): an exact shard of them is
    stored in half the bytes and searched as the same float32 numbers; other vectors stay float32."""
    rng = np.random.default_rng(0)
    half = rng.normal(size=(50, 16)).astype(np.float16).astype(np.float32)
    half /= np.linalg.norm(half, axis=1, keepdims=True)
    half = half.astype(np.float16).astype(np.float32)  # normalised, then float16 numbers again
    full = rng.normal(size=(50, 16)).astype(np.float32)
    for vectors, stored in ((half, np.float16), (full, np.float32)):
        VectorIndex.build(vectors, np.arange(50)).save(tmp_path / "shard")
        assert np.load(tmp_path / "shard.vec.npy").dtype == stored
        loaded = VectorIndex.load(tmp_path / "shard")
        assert loaded.vectors.dtype == np.float32 and np.array_equal(loaded.vectors, vectors)
        found = loaded.search(vectors[:5], 3)
        direct = VectorIndex.build(vectors, np.arange(50)).search(vectors[:5], 3)
        assert np.array_equal(found.ids, direct.ids) and np.array_equal(found.sims, direct.sims)
