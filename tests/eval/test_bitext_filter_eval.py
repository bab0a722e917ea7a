"""`twinpages eval bitext` on a hand-made labelled pair: the counts it reports are the ones in the file."""

import json

from twinpages.cli import main as cli_main
from twinpages.data import DocPair, SentPair
from twinpages.schemas import pair_to_dict

BEADS = [
    SentPair((0,), (0,), "The committee approved the budget on Tuesday.", "Der Ausschuss billigte am Dienstag den "
             "Haushalt.", 0.55, 0.72),
    SentPair((1,), (1,), "The weather was fine all week long.", "Das Wetter war die ganze Woche schön.", 0.5, 0.7),
    SentPair((2,), (2,), "OK", "Ja", 0.3, 0.5),  # too_short: labelled wrong here
    SentPair((3,), (), "An unaligned sentence.", "", 0.0),
    SentPair((4,), (3,), "Prices rose by four percent in May.", "Er lebt seit Jahren in einer kleinen Stadt.",
             0.02, 0.1),
]


def test_eval_bitext_reports_the_labelled_beads(tmp_path, capsys):
    pair = DocPair("a", "b", "en", "de", 0.6, 0.9, 0.9, "en->de", beads=BEADS)
    record = {"set": "hand.en-de", "doc": "d1", "variant": "clean", "labels": [1, 1, 0, None, 0],
              "kinds": [[] for _ in BEADS], "pair": pair_to_dict(pair)}
    path = tmp_path / "hand.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert cli_main(["eval", "bitext", "--beads", str(path), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    m = metrics["all"]
    assert (m["beads"], m["true_beads"], m["aligner_precision"]) == (4, 2, 0.5)
    assert m["rule_rejections"]["too_short"] == {"beads": 1, "true_beads": 0}
    # the two translations are kept and nothing else: the unrelated pair is below the threshold
    assert m["filter"] == {"kept": 2, "precision": 1.0, "recall": 1.0}
    assert set(metrics["set"]) == {"hand.en-de"}
