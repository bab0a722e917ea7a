import json

import numpy as np

from conftest import shared_path
from twinpages.data import Document
from twinpages.stages.candidates import CandidatesConfig, find_candidates
from twinpages.stages.embed import document_vector


def test_seed_pair_is_the_top_candidate_among_news(pipeline, seed_docs):
    """Real vectors in a real faiss index: the seeds among 40 German and 40 English news texts."""
    rows = [json.loads(x) for x in shared_path("data", "news-similarity", "semeval2022-de-en.jsonl")
            .read_text(encoding="utf-8").splitlines()][:40]
    raw = [Document(id=f"de{i}", raw=r["text1"], lang="de") for i, r in enumerate(rows)]
    raw += [Document(id=f"en{i}", raw=r["text2"], lang="en") for i, r in enumerate(rows)]
    errors = []
    docs = list(seed_docs) + list(pipeline.analyser.prepare(raw, errors))
    vectors = np.stack([document_vector(d, "usem3") for d in docs])
    cands = find_candidates(vectors, [d.lang for d in docs], CandidatesConfig(k=4))
    assert all(docs[c.src].lang == "de" and docs[c.tgt].lang == "en" for c in cands)  # "de" < "en"
    best_for_seed = max((c for c in cands if 0 in (c.src, c.tgt) or 1 in (c.src, c.tgt)), key=lambda c: c.margin)
    assert {best_for_seed.src, best_for_seed.tgt} == {0, 1}
    scores = [c.margin for c in cands]
    assert scores == sorted(scores, reverse=True)


def test_groups_keep_pairs_inside_a_site():
    v = np.eye(4, dtype=np.float32)[[0, 0, 1, 1]]
    cands = find_candidates(v, ["en", "de", "en", "de"], CandidatesConfig(k=2, min_cosine=0.0),
                            groups=["a.com", "b.com", "a.com", "b.com"])
    assert len(cands) == 0
    cands = find_candidates(v, ["en", "de", "en", "de"], CandidatesConfig(k=2, min_cosine=0.0),
                            groups=["a.com", "a.com", "b.com", "b.com"])
    assert {(c.src, c.tgt) for c in cands} == {(1, 0), (3, 2)}


def test_documents_without_language_are_not_paired():
    v = np.eye(2, dtype=np.float32)
    assert len(find_candidates(v, [None, "en"])) == 0


def test_relative_margin_keeps_only_pairs_near_each_documents_best():
    """Two English siblings close to one French text both stay; a French text's weak far neighbour
    (which the k-NN search still returns) is dropped, and 0 keeps everything."""
    rng = np.random.default_rng(0)
    base = rng.normal(size=(3, 16))
    rows = [base[0], base[0] + 0.05 * rng.normal(size=16), base[1], base[0] + 0.1 * base[2], base[1] + 1.2 * base[2]]
    v = np.array(rows, dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    langs = ["en", "en", "en", "fr", "fr"]
    loose = find_candidates(v, langs, CandidatesConfig(k=2, min_cosine=-1.0, relative_margin=0.0))
    tight = find_candidates(v, langs, CandidatesConfig(k=2, min_cosine=-1.0, relative_margin=0.9))
    pairs = {(c.src, c.tgt) for c in tight}
    assert {(0, 3), (1, 3)} <= pairs  # siblings of the French text 3 both stay
    assert pairs < {(c.src, c.tgt) for c in loose}
    best = {}
    for c in tight:
        for d in (c.src, c.tgt):
            best[d] = max(best.get(d, 0.0), c.margin)
    for c in tight:
        assert c.margin >= 0.9 * max(best[c.src], best[c.tgt]) - 1e-6


def reference_candidates(v, langs, groups, config):
    """The margin search written plainly, pair by pair, to check the vectorised one against."""
    out = {}
    keys = sorted({(g, lang) for g, lang in zip(groups, langs, strict=True) if lang})
    for ga, la in keys:
        for gb, lb in keys:
            if ga != gb or la >= lb:
                continue
            ia = [i for i in range(len(v)) if (groups[i], langs[i]) == (ga, la)]
            ib = [i for i in range(len(v)) if (groups[i], langs[i]) == (gb, lb)]
            k = min(config.k, len(ia), len(ib))
            sim = v[ia] @ v[ib].T
            nn_a = [sorted(range(len(ib)), key=lambda j: -sim[x, j])[:k] for x in range(len(ia))]
            nn_b = [sorted(range(len(ia)), key=lambda x: -sim[x, j])[:k] for j in range(len(ib))]
            mean_a = [np.mean([sim[x, j] for j in nn_a[x]]) for x in range(len(ia))]
            mean_b = [np.mean([sim[x, j] for x in nn_b[j]]) for j in range(len(ib))]
            union = {(x, j) for x in range(len(ia)) for j in nn_a[x]}
            union |= {(x, j) for j in range(len(ib)) for x in nn_b[j]}
            margin = {(x, j): sim[x, j] / ((mean_a[x] + mean_b[j]) / 2) for x, j in union
                      if sim[x, j] >= config.min_cosine}
            best_a, best_b = {}, {}
            for (x, j), m in margin.items():
                best_a[x] = max(best_a.get(x, 0.0), m)
                best_b[j] = max(best_b.get(j, 0.0), m)
            for (x, j), m in margin.items():
                if m >= config.relative_margin * max(best_a[x], best_b[j]):
                    out[(ia[x], ib[j])] = m
    return out


def test_vectorised_search_matches_the_plain_reference():
    """Random documents in three sites and three languages (some unknown): the same pairs and margins."""
    rng = np.random.default_rng(7)
    v = rng.normal(size=(90, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    langs = [["de", "en", "fr", None][i % 4] for i in range(90)]
    groups = [f"site{i % 3}" for i in rng.permutation(90)]
    config = CandidatesConfig(k=3, min_cosine=0.0)
    found = find_candidates(v, langs, config, groups=groups)
    expected = reference_candidates(v, langs, groups, config)
    assert len(found) > 50
    assert {(c.src, c.tgt) for c in found} == set(expected)
    for c in found:
        assert abs(c.margin - expected[(c.src, c.tgt)]) < 1e-5
    assert list(found.margin) == sorted(found.margin, reverse=True)
