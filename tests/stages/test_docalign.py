import json

from conftest import shared_path
from twinpages.data import Document, SentPair
from twinpages.stages.docalign import DocAlignConfig, infer_direction, is_translation
from twinpages.stages.provenance import untranslated_fragments
from twinpages.stages.select import one_to_one


def bead(s, t, score=0.8):
    return SentPair((0,), (0,), s, t, score)


def test_untranslated_fragment_is_found_and_names_are_not():
    beads = [
        bead("“We have not stopped trying [to establish communications] since the last time they spoke,”",
             "Wir haben nie aufgehört, es zu versuchen [to establish communications] „Seit dem letzten Mal“"),
        bead("Joint Chiefs Chairman Gen. Mark Milley and the Bank of America called.",
             "Der Vorsitzende Mark Milley und die Bank of America riefen an."),
    ]
    assert untranslated_fragments(beads, "en", "de") == ["to establish communications"]
    assert untranslated_fragments(beads, "de", "en") == []


def test_direction_from_coverage_asymmetry_and_unknown_when_even():
    beads = [bead("The cat sleeps.", "Die Katze schläft.")]
    assert infer_direction(beads, "en", "de", 0.5, 1.0, 0.75)[0] == "a"
    assert infer_direction(beads, "en", "de", 1.0, 0.45, 0.75)[0] == "b"
    assert infer_direction(beads, "en", "de", 0.95, 1.0, 0.75) == (None, [])


def test_seed_pair_is_a_partial_translation_en_to_de(pipeline, seed_docs):
    en, de = seed_docs
    cosines = []
    for a, b in ((en, de), (de, en)):  # the order given does not matter
        pair = pipeline.decider.align_pair(a, b)
        # turning the pair round keeps each bead's raw cosine (it once came out as 0 in one order)
        cosines.append([round(p.cosine, 5) for p in pair.beads if p.src_idx and p.tgt_idx])
        assert (pair.src_lang, pair.tgt_lang, pair.direction) == ("en", "de", "en->de")
        assert any("to establish communications" in e for e in pair.direction_evidence)
        assert 0.4 <= pair.src_coverage <= 0.6 and pair.tgt_coverage >= 0.9
        assert is_translation(pair, len(en.sentences), len(de.sentences))
        # aligned passages: English sentences 2-13 (one passage), German main text whole
        assert len(pair.src_spans) == 1 and len(pair.tgt_spans) == 1
        s, e = pair.src_spans[0]
        assert en.main_text[s:e].startswith("The call lasted") and en.main_text[s:e].endswith("hostile rhetoric.")
        assert pair.tgt_spans[0] == (0, len(de.main_text))
    assert cosines[0] == cosines[1] and min(cosines[0]) > 0.5


def test_same_story_news_is_not_a_translation(pipeline):
    """SemEval pairs rated 1 (same story) in German and English: related, yet not translations."""
    rows = [json.loads(x) for x in shared_path("data", "news-similarity", "semeval2022-de-en.jsonl")
            .read_text(encoding="utf-8").splitlines()]
    same_story = [r for r in rows if r["Overall"] == "1.0"][:5]
    for r in same_story:
        errors = []
        de, en = pipeline.analyser.prepare([Document("de", r["text1"], lang="de"),
                                            Document("en", r["text2"], lang="en")], errors)
        pair = pipeline.decider.align_pair(en, de)
        assert not is_translation(pair, len(en.sentences), len(de.sentences)), r["pair_id"]


def test_one_to_one_keeps_the_best_pair_per_document():
    from twinpages.data import DocPair

    def dp(s, t, score):
        return DocPair(s, t, "en", "de", score, 1, 1, "unknown")

    kept = one_to_one([dp("a", "x", 0.9), dp("a", "y", 0.8), dp("b", "x", 0.7), dp("b", "y", 0.6)])
    assert [(p.src_id, p.tgt_id) for p in kept] == [("a", "x"), ("b", "y")]


def test_one_to_one_weighs_the_candidate_margin():
    """A French text scores alike with two near-identical English siblings; the margin (lower for the
    sibling that is close to other French texts too) decides, and a pair's score still counts."""
    from twinpages.data import DocPair

    def dp(s, t, score, margin):
        return DocPair(s, t, "en", "fr", score, 1, 1, "unknown", candidate_score=margin)

    siblings = [dp("en-dev", "fr", 0.80, 1.02), dp("en", "fr", 0.79, 1.15)]
    assert [(p.src_id, p.tgt_id) for p in one_to_one(siblings)] == [("en", "fr")]
    weak = [dp("en-dev", "fr", 0.80, 1.02), dp("en", "fr", 0.40, 1.15)]  # half the evidence: margin is not all
    assert [(p.src_id, p.tgt_id) for p in one_to_one(weak)] == [("en-dev", "fr")]


def test_config_is_frozen():
    import dataclasses

    import pytest

    with pytest.raises(dataclasses.FrozenInstanceError):
        DocAlignConfig().min_score = 0.0
