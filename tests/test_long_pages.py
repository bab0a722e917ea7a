"""Long pages (issue 14): a cheap first verdict before any alignment, an exact pass guided by the quick
one, decide tasks cut by cost, and a per-pair time budget that ends in a record, never a stall."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DE_SEED, EN_SEED, EXAMPLES
from twinpages import PipelineConfig, mine
from twinpages.data import Candidates, SentPair
from twinpages.phases.base import Models
from twinpages.phases.decide import MIN_TASKS, TASK_COST, by_page, cost_batches
from twinpages.stages.analyse import load_documents
from twinpages.stages.docalign import DocAlignConfig, anchor_chain, may_be_translation
from twinpages.stages.sentalign import SentAlignConfig, guide_bands, guide_windows


def bead(src, tgt):
    return SentPair(tuple(src), tuple(tgt), "", "", 0.5)


def test_runs_are_encoded_only_where_the_guide_was_not_one_to_one():
    # 0-0, 1-1, (2,3)-2, 4-3, then source 5 unaligned, 6-4 ... 9-7
    guide = [bead([0], [0]), bead([1], [1]), bead([2, 3], [2]), bead([4], [3]), bead([5], [])]
    guide += [bead([i], [i - 2]) for i in range(6, 10)]
    src, tgt = guide_windows(guide, 10, 8, max_bead=2)
    assert src == [(1, 7)] and tgt == [(1, 5)]  # the 2-1 bead and the gap, one sentence of margin each
    assert guide_windows([bead([i], [i]) for i in range(5)], 5, 5, 4) == ([], [])  # all 1-1: nothing


def test_the_guided_band_holds_the_guide_path():
    guide = [bead([0], [0]), bead([1, 2], [1]), bead([], [2]), bead([3], [3])]
    bands = guide_bands(guide, 4, 4, width=0)
    i = j = 0
    for b in guide:
        i2, j2 = i + len(b.src_idx), j + len(b.tgt_idx)
        for r in range(i, i2 + 1):
            assert bands[r][0] <= min(j, j2) and max(j, j2) <= bands[r][1]
        i, j = i2, j2
    assert all(lo1 >= lo0 and hi1 >= hi0 for (lo0, hi0), (lo1, hi1) in zip(bands, bands[1:], strict=False))


@pytest.fixture(scope="module")
def seeds():
    pipe = Models.of(PipelineConfig())
    docs, errors = load_documents([EXAMPLES / EN_SEED, EXAMPLES / DE_SEED], analyser=pipe.analyser)
    assert not errors
    return pipe, docs


def test_the_guided_exact_pass_finds_the_beads_the_full_one_finds(seeds):
    pipe, (en, de) = seeds
    config = pipe.decider.config
    full = Models.of(replace(config, docalign=replace(config.docalign, guided=False))).decider.decide(en, de)
    guided = pipe.decider.decide(en, de)
    aligned = [(b.src_idx, b.tgt_idx) for b in full.beads if b.src_idx and b.tgt_idx]
    assert aligned and [(b.src_idx, b.tgt_idx) for b in guided.beads if b.src_idx and b.tgt_idx] == aligned
    assert guided.score == pytest.approx(full.score, abs=0.01)


def test_the_first_verdict_keeps_the_seed_pair_and_drops_unrelated_pages(seeds):
    pipe, (en, de) = seeds
    name, config = pipe.decider.docalign_config(en, de)
    assert len(anchor_chain(en.embeddings[name], de.embeddings[name], config.sentalign, config.anchor_level)) >= 8
    assert may_be_translation(en.embeddings[name], de.embeddings[name], 1.0, config)
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(60, en.embeddings[name].shape[1])).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    assert not may_be_translation(en.embeddings[name], noise, 1.0, config)
    # a high candidate margin leaves the pair to the aligner (the margin path judges short pairs)
    assert may_be_translation(en.embeddings[name][:2], noise[:2], 1.5, DocAlignConfig())
    assert anchor_chain(noise[:0], noise, SentAlignConfig(), 0.2) == []


def test_decide_tasks_are_cut_by_cost_not_by_count():
    cost = np.array([10] * 100 + [TASK_COST] * 3 + [10] * 100, np.int64)
    bounds = cost_batches(cost, most=500)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(cost)
    assert all(a1 == b0 for (_, a1), (b0, _) in zip(bounds, bounds[1:], strict=False))  # consecutive, whole
    sums = [int(cost[a:b].sum()) for a, b in bounds]
    assert max(sums) <= 2 * TASK_COST and len(bounds) >= 4  # each costly pair in a task of its own, about
    even = cost_batches(np.full(100, 1_000, np.int64), most=500)
    assert len(even) == MIN_TASKS  # a small site still gives every worker work
    assert all(b - a <= 7 for a, b in cost_batches(np.ones(50, np.int64), most=7))  # --checkpoint-every still caps


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(13, 25)), max_size=40))
def test_the_pairs_of_one_page_are_decided_side_by_side(edges):
    """by_page: the same pairs, each connected component of documents contiguous, components in the order
    of their first pair, pairs of a component in their own order."""
    cands = Candidates(np.array([s for s, _ in edges], np.int64), np.array([t for _, t in edges], np.int64),
                       np.arange(len(edges), dtype=np.float32))
    out = by_page(cands)
    order = out.margin.astype(int).tolist()  # the margins number the input pairs
    assert sorted(order) == list(range(len(edges)))
    assert [edges[k] for k in order] == list(zip(out.src.tolist(), out.tgt.tolist(), strict=True))
    # components by brute force: two pairs are in one when a chain of pairs sharing documents joins them
    comp = list(range(len(edges)))
    for _ in edges:
        for i, (a, b) in enumerate(edges):
            for j, (c, d) in enumerate(edges):
                if {a, b} & {c, d}:
                    comp[i] = comp[j] = min(comp[i], comp[j])
    labels = [comp[k] for k in order]
    assert labels == sorted(labels, key=labels.index)  # contiguous
    assert [k for k in range(len(edges)) if comp[k] == k] == sorted(set(labels), key=labels.index)
    assert all(a < b for a, b, in zip(order, order[1:], strict=False) if comp[a] == comp[b])


def test_a_pair_past_its_time_budget_is_recorded_and_the_run_finishes(tmp_path, monkeypatch):
    from twinpages.stages.decision import Decider

    def endless(self, a, b, candidate_score=0.0):
        while True:
            time.sleep(0.01)

    monkeypatch.setattr(Decider, "decide", endless)
    config = PipelineConfig()
    config = replace(config, docalign=replace(config.docalign, max_pair_seconds=0.3))
    t0 = time.monotonic()
    result = mine(EXAMPLES, tmp_path / "out", config)
    assert time.monotonic() - t0 < 120 and len(result.pairs) == 0
    (error,) = [e for e in result.errors if e.stage == "decide"]
    assert error.error == "too_slow" and error.doc_id in (f"{EN_SEED} | {DE_SEED}", f"{DE_SEED} | {EN_SEED}")
    records = [json.loads(x) for x in (tmp_path / "out" / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["stage"] for r in records] == ["decide"] and "--max-pair-seconds" in records[0]["message"]


def test_a_long_pair_searches_near_its_anchors():
    from twinpages.stages.docalign import anchor_chain
    from twinpages.stages.sentalign import anchor_bands

    rng = np.random.default_rng(1)
    src = rng.normal(size=(40, 64)).astype(np.float32)
    src /= np.linalg.norm(src, axis=1, keepdims=True)
    # the target: the source's sentences 10..39 in order (a partial translation), plus noise
    tgt = src[10:] + 0.05 * rng.normal(size=(30, 64)).astype(np.float32)
    tgt /= np.linalg.norm(tgt, axis=1, keepdims=True)
    chain = anchor_chain(src, tgt, SentAlignConfig(), 0.2)
    assert len(chain) >= 25 and all(j == i - 10 for i, j in chain)
    bands = anchor_bands(chain, 40, 30, width=2)
    for i, j in chain:  # the path through the anchors stays inside the bands
        assert bands[i][0] <= j <= bands[i][1]
    assert max(hi - lo for lo, hi in bands[12:38]) <= 8  # narrow where anchors are dense
