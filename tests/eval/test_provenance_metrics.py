"""The provenance metrics: forced and decided accuracy, with each pair judged in both orders, and ECE."""

import pytest

from conftest import DE_SEED, EN_SEED, EXAMPLES
from twinpages.eval.provenance import evaluate_records, reliability
from twinpages.stages.provenance import ProvenanceModel, measure


def test_reliability_table_and_ece():
    ece, table = reliability([0.55, 0.55, 0.95, 0.95], [True, False, True, True])
    assert table == [{"bin": "0.50-0.60", "pairs": 2, "confidence": 0.55, "accuracy": 0.5},
                     {"bin": "0.90-1.00", "pairs": 2, "confidence": 0.95, "accuracy": 1.0}]
    assert ece == pytest.approx(0.5 * 0.05 + 0.5 * 0.05)
    assert reliability([], []) == (0.0, [])


def test_the_seed_judged_in_both_orders():
    """Four records of the seed pair (English original, machine translation): judged alternately with
    each side first, the direction is right every time; the translator is scored against its label."""
    from twinpages.api import align_files
    from twinpages.stages.analyse import load_documents

    pair = align_files(EXAMPLES / EN_SEED, EXAMPLES / DE_SEED)
    (en, de), _ = load_documents([EXAMPLES / EN_SEED, EXAMPLES / DE_SEED])
    m = measure(pair, en, de).as_dict()
    records = [{"measures": m, "original": "en", "translation": "de", "kind": "partial", "family": "nmt",
                "translator": "machine"} for _ in range(4)]
    out = evaluate_records(records, ProvenanceModel.load())
    assert out["direction"]["en->de partial"] == {"pairs": 4, "accuracy": 1.0, "decided": 1.0,
                                                   "decided_accuracy": 1.0}
    # the word the report gives these verdicts, and how often they were right
    assert out["direction_words"] == {"partial: almost certain": {"pairs": 4, "right": 1.0}}
    t = out["translator"]["en->de nmt"]
    assert t["pairs"] == 4 and t["accuracy"] == 1.0  # it leans machine...
    assert t["decided"] == 0.0 and t["decided_accuracy"] is None  # ...below en->de's threshold
    assert out["pairs_without_model"] == 0
    other = [r | {"measures": m | {"lang_b": "it"}} for r in records]
    assert evaluate_records(other, ProvenanceModel.load())["pairs_without_model"] == 4
