"""The bitext filter: each rule with a case it rejects and one it keeps, the model's probability, and no row
dropped without a reason on record."""

import json
from dataclasses import replace

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinpages.data import DocPair, SentPair
from twinpages.eval.bitext_filter import calibration, precision_recall
from twinpages.schemas import REJECTED, pair_from_dict, pair_to_dict
from twinpages.stages.beadfilter import (
    DEFAULT_MIN_PROBABILITY,
    FEATURES,
    BeadFacts,
    BeadFilter,
    BeadModel,
    FilterConfig,
    _reliable,
    features,
    log_ratio,
    numbers,
    rule,
)
from twinpages.stages.writers.bitext import BitextRows, write_bitext
from twinpages.stages.writers.outputs import OutputConfig
from twinpages.stages.writers.sinks import SinkOptions

GOOD = ("The committee approved the new budget for the coming year on Tuesday.",
        "Der Ausschuss hat am Dienstag den neuen Haushalt für das kommende Jahr gebilligt.")


def facts(src=GOOD[0], tgt=GOOD[1], score=0.55, cosine=0.7) -> BeadFacts:
    """A 1-1 bead between two aligned neighbours of score 0.55, in a pair whose typical bead is GOOD."""
    f = BeadFacts(src, tgt, "en", "de", score, cosine, 1, 1, True, True, 0.55, 0.6, 0.9, 0.9, part_cosine=cosine,
                  pair_log_ratio=log_ratio(*GOOD), pair_score=0.55)
    lid = BeadFilter().detect
    f.src_seen, f.tgt_seen = _reliable(lid(src), f.src_alnum), _reliable(lid(tgt), f.tgt_alnum)
    return f


ALL_ON = FilterConfig(numbers=True)

# (reason, a bead it rejects, a bead it keeps, the setting that turns it off)
CASES = [
    ("too_short", dict(src="OK", tgt="Ja"), dict(src="Why?", tgt="なぜ?"), dict(min_chars=0)),
    ("mostly_punctuation", dict(src="*** Menu *** >>> ||| <<<", tgt="*** Menü *** >>> ||| <<<"), {},
     dict(max_punctuation=1.0)),
    ("identical", dict(src="Linux Kernel 5.10 LTS", tgt="Linux-Kernel 5.10 LTS"), {}, dict(identical=False)),
    ("untranslated", dict(tgt="The committee has approved the new budget for next year on Tuesday."), {},
     dict(language=False)),
    ("wrong_language", dict(tgt="Le comité a approuvé mardi le nouveau budget pour l'année prochaine."), {},
     dict(language=False)),
    ("length_ratio", dict(tgt="Der Ausschuss."), {}, dict(max_length_ratio=0.0)),
    ("numbers_differ", dict(src="The law was passed in 1999 by 312 votes.", tgt="Das Gesetz wurde 2004 beschlossen."),
     dict(src="Over 2,000 people came on 3 May.", tgt="Über 2.000 Menschen kamen am 3. Mai."), dict(numbers=False)),
    ("urls_differ", dict(src="See https://example.org/a for details.", tgt="Details unter https://example.org/b."),
     dict(src="See https://www.debian.org/ports/#nonlinux and https://wiki.debian.org/systemd.",
          tgt="https://www.debian.org/ports/#nonlinux를 보십시오, https://wiki.debian.org/systemd。"),
     dict(urls=False)),
]


@pytest.mark.parametrize("reason,bad,good,off", CASES, ids=[c[0] for c in CASES])
def test_each_rule_rejects_its_case_and_keeps_a_translation(reason, bad, good, off):
    assert rule(facts(**bad), ALL_ON) == reason
    assert rule(facts(**good), ALL_ON) == ""
    assert rule(facts(**bad), replace(ALL_ON, **off)) != reason  # the setting turns it off


def test_numbers_compare_equal_across_writing_conventions():
    assert numbers("2,000 people, 1.5 %") == numbers("2.000 Menschen, 1,5 %") == {"2000", "1", "5"}
    assert numbers("٣ ٤") == {"3", "4"}  # digits of any script by value
    assert numbers("in 1999") != numbers("im Jahr 2004")


def test_the_probability_follows_the_evidence():
    """The shipped model: a translation as close as its neighbours is kept at the default threshold, an
    unrelated sentence in its place (the similarity of unrelated sentences) is not, and an untranslated copy
    is less likely one."""
    model = BeadModel.load()
    unrelated = facts(tgt="Er lebt seit Jahren in einer kleinen Stadt am Meer.", score=0.02, cosine=0.1)
    p_good, p_far = model.probability(np.array([features(facts()), features(unrelated)]))
    assert p_good > 0.9 and p_far < DEFAULT_MIN_PROBABILITY
    copy = facts(tgt=GOOD[0], score=0.6, cosine=0.95)
    assert model.probability(np.array(features(copy)))[0] < p_good


def test_a_model_of_other_features_is_refused():
    data = json.loads(json.dumps(BeadModel.load().data))
    data["features"] = list(FEATURES[:-1])
    with pytest.raises(ValueError, match="retrain"):
        BeadModel(data)


def pair(beads):
    return DocPair("a", "b", "en", "de", 0.6, 0.9, 0.9, "en->de", beads=beads, src_name="en.html", tgt_name="de.html")


TEXTS = [GOOD, ("OK", "Ja"), ("Linux 5.10", "Linux 5.10"), ("The sky is blue today.", "Der Himmel ist heute blau."),
         ("See https://a.org/x now.", "Siehe https://a.org/y jetzt."), GOOD]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(range(len(TEXTS))), st.floats(-0.2, 0.9), st.booleans()), min_size=1,
                max_size=12),
       st.floats(0.0, 1.0), st.booleans())
def test_no_row_is_dropped_without_a_reason(tmp_path_factory, spec, threshold, dedup):
    beads = []
    for k, (t, score, aligned) in enumerate(spec):
        src, tgt = TEXTS[t]
        beads.append(SentPair((k,), (k,) if aligned else (), src, tgt if aligned else "", score, score + 0.1))
    rows = BitextRows([pair(beads)], dedup=dedup,
                      bead_filter=BeadFilter(FilterConfig(min_translation_probability=threshold)))
    kept, rejected = list(rows), list(rows.rejected())
    assert all(r.filter_reason == "" for r in kept) and all(r.filter_reason for r in rejected)
    assert all(r.translation_probability is not None for r in kept + rejected)
    # every aligned bead is in one file or the other (counted in each, when deduplicated)
    assert sum(r.count for r in kept + rejected) == sum(1 for b in beads if b.tgt_idx)
    stats = rows.filter_stats()
    assert stats["kept"] == len(kept) and stats["rejected"] == len(rejected)
    assert sum(stats["rejected_by_reason"].values()) == len(rejected)
    folder = tmp_path_factory.mktemp("bitext")
    write_bitext(folder, rows, ["jsonl"], language_pairs=[("en", "de")])
    on_disk = [json.loads(x) for x in (folder / "rejected" / "en-de.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["src"], r["filter_reason"]) for r in on_disk] == [(r.src, r.filter_reason) for r in rejected]
    assert all(set(r) == set(REJECTED.names) for r in on_disk)


def test_without_the_filter_every_row_is_kept_with_its_probability():
    beads = [SentPair((0,), (0,), "OK", "Ja", 0.5, 0.6), SentPair((1,), (1,), *GOOD, 0.55, 0.7)]
    rows = BitextRows([pair(beads)], bead_filter=BeadFilter(FilterConfig(enabled=False)))
    assert [r.src for r in rows] == ["OK", GOOD[0]] and list(rows.rejected()) == []
    assert all(0.0 <= r.translation_probability <= 1.0 for r in rows)


def test_bicleaner_layout_puts_the_probability_last(tmp_path):
    rows = BitextRows([pair([SentPair((0,), (0,), *GOOD, 0.55, 0.7)])], bead_filter=BeadFilter())
    write_bitext(tmp_path, rows, ["tsv", "parquet"], options=SinkOptions(tsv_header=True, tsv_bicleaner=True))
    header, line = [x.split("\t") for x in (tmp_path / "en-de.tsv").read_text(encoding="utf-8").splitlines()]
    assert header == ["src_url", "trg_url", "src_text", "trg_text", "aligner_score", "bicleaner_score"]
    assert line[:5] == ["en.html", "de.html", *GOOD, "0.5500"]
    (row,) = pq.read_table(tmp_path / "en-de.parquet").to_pylist()
    assert float(line[5]) == row["translation_probability"] > 0.5
    with pytest.raises(ValueError, match="--tsv-bicleaner"):
        OutputConfig(tsv_bicleaner=True, tsv_extra=True)


def test_metrics_on_a_hand_counted_example():
    label = np.array([1, 1, 1, 0, 0])
    assert precision_recall(np.array([True, True, False, True, False]), label) == {
        "kept": 3, "precision": 0.6667, "recall": 0.6667}
    ece, table = calibration(np.array([0.95, 0.95, 0.95, 0.05, 0.05]), label)
    # bins 0.0-0.1: 2 beads, said 0.05, 0 true; 0.9-1.0: 3 beads, said 0.95, all true
    assert ece == pytest.approx(0.4 * 0.05 + 0.6 * 0.05)
    assert [(r["bin"], r["beads"]) for r in table] == [("0.0-0.1", 2), ("0.9-1.0", 3)]


def test_verdicts_judged_in_the_decide_worker_are_the_writer_s_own(seed_docs, pipeline):
    """`mine` works out each bead's probability and languages where the pair is decided (SentPair
    .translation_probability, .src_lid); the writer's verdicts from those are the ones it would reach
    judging the bare pair itself, after the run folder's round trip, with any settings."""
    en, de = seed_docs
    decided = pipeline.decider.decide(en, de)
    aligned = [b for b in decided.beads if b.src_idx and b.tgt_idx]
    assert aligned and all(b.translation_probability is not None for b in aligned)
    stored = pair_from_dict(json.loads(json.dumps(pair_to_dict(decided))))
    bare = replace(stored, beads=[replace(b, translation_probability=None, src_lid=None, tgt_lid=None)
                                  for b in stored.beads])
    # each side's language where language ID is sure of it (a short side: None)
    seen = {b.src_lid for b in aligned}, {b.tgt_lid for b in aligned}
    assert "en" in seen[0] <= {"en", None} and "de" in seen[1] <= {"de", None}
    for config in (FilterConfig(), ALL_ON, FilterConfig(min_translation_probability=0.9, language=False)):
        bead_filter = BeadFilter(config)
        assert bead_filter.judge(stored) == bead_filter.judge(bare)
    assert all(b.translation_probability is None for b in bare.beads)  # judged on a copy
    # the writer's detector is not asked about judged beads
    bead_filter = BeadFilter()
    bead_filter._detect = None
    assert [v.translation_probability for v in bead_filter.judge(stored) if v] == \
        [b.translation_probability for b in aligned]
