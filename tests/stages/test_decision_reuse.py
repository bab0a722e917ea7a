"""A candidate of exact copies is decided once (stages/decision.py): the decision it is given is the one
deciding it again would give, with its own documents' ids, addresses and dates."""

from __future__ import annotations

import copy
from dataclasses import replace

from twinpages import PipelineConfig, mine
from twinpages.phases.base import Models
from twinpages.schemas import pair_to_dict


def mirror(doc, new_id: str, url: str):
    twin = copy.deepcopy(doc)
    twin.id, twin.url, twin.source, twin.published = new_id, url, f"/mirror/{new_id}", "2022-05-14"
    return twin


def test_a_pair_of_copies_gets_the_decision_deciding_it_again_would_give(seed_docs):
    en, de = seed_docs
    en2, de2 = mirror(en, "en-mirror", "https://mirror.example/a"), mirror(de, "de-mirror", "https://copy.example/b")
    decider = Models.of(PipelineConfig()).decider
    first = decider.decide(en, de, 1.0)
    assert first is not None and decider.reused == 0
    for a, b in ((en2, de2), (en, de2)):  # both sides copied, or one
        reused = decider.decide(a, b, 1.0)
        fresh = Models.of(replace(PipelineConfig(), embed=replace(PipelineConfig().embed, threads=1))).decider \
            .decide(a, b, 1.0)
        assert pair_to_dict(reused) == pair_to_dict(fresh)
    assert decider.reused == 2
    assert {reused.src_id, reused.tgt_id} == {"de-mirror", en.id}  # the last pair's own documents
    # the other order, another margin, or another text, is another decision
    decider.decide(de2, en2, 1.0)
    decider.decide(en2, de2, 0.9)
    changed = mirror(en, "en-edited", "https://mirror.example/c")
    changed.sentences[3] = replace(changed.sentences[3], text=changed.sentences[3].text + " Really.")
    decider.decide(changed, de, 1.0)
    assert decider.reused == 2


def test_mirrors_in_a_run_are_decided_once_and_keep_their_own_pairs(seed_dir, tmp_path):
    import json

    from conftest import DE_SEED, EN_SEED

    folder = tmp_path / "in"
    folder.mkdir()
    for name in (EN_SEED, DE_SEED):
        text = (seed_dir / name).read_text(encoding="utf-8")
        (folder / name).write_text(text, encoding="utf-8")
        (folder / f"mirror-{name}").write_text(text, encoding="utf-8")  # the same page on a mirror
    config = PipelineConfig()
    config = replace(config, extract=replace(config.extract, repeated_min_docs=0))  # not one site's boilerplate
    outputs = {}
    for workers in (1, 2):
        result = mine([folder], tmp_path / f"run{workers}", config, workers=workers)
        # four candidates (each English page with each German one): one decision in one process; each of
        # two workers decides once if both get a candidate (the count depends on who ran what, the outputs not)
        assert result.stats["candidates"] == 4
        assert result.stats["decisions_reused"] == 3 if workers == 1 else result.stats["decisions_reused"] in (2, 3)
        outputs[workers] = (tmp_path / f"run{workers}" / "docpairs.jsonl").read_bytes()
    assert outputs[1] == outputs[2]
    pairs = [json.loads(line) for line in outputs[1].decode().splitlines()]
    assert sorted((p["src_id"], p["tgt_id"]) for p in pairs) == sorted(
        (e, d) for e in (EN_SEED, f"mirror-{EN_SEED}") for d in (DE_SEED, f"mirror-{DE_SEED}"))
    same = [{k: v for k, v in p.items() if not k.startswith(("src_", "tgt_"))} for p in pairs]
    assert all(s == same[0] for s in same) and len({p["src_coverage"] for p in pairs}) == 1
