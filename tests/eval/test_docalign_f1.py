import gzip
import json

from twinpages.eval.docalign_f1 import read_gold, score, subset


def test_score_counts_pairs_in_either_order(tmp_path):
    (tmp_path / "gold.tsv").write_text("en1\tfr1\nen2\tfr2\n", encoding="utf-8")
    gold = read_gold(tmp_path / "gold.tsv")
    m = score([("fr1", "en1"), ("en2", "fr9"), ("en3", "fr3")], gold)
    assert (m["true_positives"], m["predicted"], m["gold"]) == (1, 3, 2)
    assert m["precision"] == 1 / 3 and m["recall"] == 0.5


def test_subset_keeps_whole_pairs_and_adds_unpaired_documents(tmp_path):
    docs = [{"id": f"en{k}", "lang": "en", "text": "x"} for k in range(10)]
    docs += [{"id": f"fr{k}", "lang": "fr", "text": "y"} for k in range(4)]
    path = tmp_path / "docs.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(d) + "\n" for d in docs)
    gold = {frozenset((f"en{k}", f"fr{k}")) for k in range(4)}
    lines, chosen = subset(path, gold, gold_pairs=2, distractors=3, seed=1)
    ids = {json.loads(x)["id"] for x in lines}
    assert len(chosen) == 2 and all(p <= ids for p in chosen)
    extra = ids - {i for p in chosen for i in p}
    assert len(extra) == 3 and all(i in {f"en{k}" for k in range(4, 10)} for i in extra)
    assert subset(path, gold, 2, 3, seed=1) == (lines, chosen)
