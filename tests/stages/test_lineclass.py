"""The learned line classifier for line dumps (stages/lineclass.py) and how extract uses it."""

import json
from importlib import resources

import numpy as np

from twinpages.stages.extract import ExtractConfig, extract_lines, line_verdicts
from twinpages.stages.lineclass import Trees, feature_names, features, shipped


def _walk(model: dict, row: np.ndarray) -> float:
    """One row down every tree, node by node: what Trees.predict computes for all rows and trees at once."""
    score = model["baseline"]
    for t in model["trees"]:
        k = 0
        while not t["leaf"][k]:
            v = row[t["feature"][k]]
            left = t["missing_left"][k] if np.isnan(v) else v <= t["threshold"][k]
            k = t["left"][k] if left else t["right"][k]
        score += t["value"][k]
    return 1 / (1 + np.exp(-score))


def test_vectorised_trees_equal_walking_each_tree():
    d = json.loads(resources.files("twinpages").joinpath("resources/lineclass.json").read_text())["model"]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, len(feature_names()))) * 2
    x[3, 5] = np.nan  # missing values go where training sent them
    got = Trees.from_dict(d).predict(x)
    assert np.allclose(got, [_walk(d, row) for row in x])


def test_features_have_a_column_per_name_and_pad_the_page_edges():
    texts = ["Home | News | Sport", "The minister said on Monday that the plan would go ahead next year.",
             "東京は晴れ。"]
    x = features(texts, ["bad", "good", "near"], [False, True, False], [False, False, False],
                 frozenset({"the", "that", "on"}))
    names = feature_names()
    assert x.shape == (3, len(names)) and np.isfinite(x).all()
    assert x[0, names.index("rule_good@-1")] == 0 and x[2, names.index("rule_good@+1")] == 0  # past the edges
    assert x[0, names.index("rule_good@+1")] == 1 and x[1, names.index("rule_good")] == 1
    assert features([], [], [], [], frozenset()).shape == (0, len(names))


ARTICLE = [
    "The city council voted on Tuesday to expand the bus network to the northern districts by next spring.",
    "Officials said the plan would add twelve routes and that fares would not rise before the end of the year.",
    "Residents of the new estates have asked for a direct line to the centre since the estates were built.",
    "The council will publish the timetable in March, after a consultation with the transport companies.",
]


def test_the_rules_veto_what_the_model_may_not_keep():
    """Boilerplate by vocabulary or shape stays out whatever the model thinks of its neighbourhood."""
    raw = "\n".join(["Menu", "Log in", *ARTICLE, "More Stories", "Share this article on Facebook",
                     "Coffee trailblazer. Pop culture lover. Web fanatic. Beer geek."])
    lines, _, vetoed, _ = line_verdicts(raw, "en")
    by_text = dict(zip([line.text for line in lines], vetoed, strict=True))
    assert by_text["More Stories"] and by_text["Share this article on Facebook"]
    assert by_text["Coffee trailblazer. Pop culture lover. Web fanatic. Beer geek."]
    kept = [line.text for line in extract_lines(raw, "en") if line.is_main]
    assert kept == ARTICLE
    assert shipped() is not None and 0 < shipped().threshold < 1


def test_rules_mode_is_the_rules_alone():
    raw = "\n".join(["Menu", *ARTICLE, "Related: how the bus network grew"])
    rules = extract_lines(raw, "en", ExtractConfig(line_classifier="rules"))
    alone = line_verdicts(raw, "en").lines
    assert [(x.is_main, x.reason) for x in rules] == [(x.is_main, x.reason) for x in alone]
    model = extract_lines(raw, "en")
    assert all(x.reason.startswith("line model: P(article)") for x in model)


def test_distance_to_the_nearest_good_line_by_bisection():
    """The feature once built an n x good table (30 s and gigabytes for a 5 MB page): the bisection gives
    the same distances."""
    import numpy as np

    from twinpages.stages.lineclass import _distance_to

    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 100, 1000):
        for share in (0.0, 0.05, 0.5, 1.0):
            marked = np.flatnonzero(rng.random(n) < share)
            brute = (np.min(np.abs(np.arange(n)[:, None] - marked[None, :]), axis=1) if len(marked)
                     else np.full(n, n))
            assert np.array_equal(_distance_to(marked, n), brute), (n, share)


PROSE = [f"Paragraph {k}: the installer reads the configuration file and then asks which of the disks it "
         f"should use, so that the system can be set up without any further questions from the user."
         for k in range(10)]


def test_lines_between_the_main_runs_are_the_models_to_judge_and_the_edges_are_vetoed():
    """A documentation page's code sits between its prose runs: the rules may not veto it (issue 33). Past
    the edges of a main text the rules found, menus and a trailing headline stay vetoed."""
    code = ["$ apt-get install foo", "$ dpkg -l | grep foo", "ii  foo  1.0  amd64"]
    raw = "\n".join(["Home", "Docs", "Download", "About", "Contact", *PROSE[:5], *code, *PROSE[5:],
                     "Nine people hurt as storm hits the coast", "Privacy"])
    lines, classes, vetoed, _ = line_verdicts(raw, "en")
    by_text = dict(zip([line.text for line in lines], vetoed, strict=True))
    assert not any(by_text[c] for c in code)
    assert by_text["Home"] and by_text["Docs"]  # four lines or more before the main text
    assert not by_text["About"] and not by_text["Contact"]  # next to it: the model's to judge
    assert by_text["Nine people hurt as storm hits the coast"]  # a headline after it
    # a page whose main text has too few words for the rules to be sure of it keeps nothing vetoed by position
    short = "\n".join(["Home", "Docs", "Download", "About", *PROSE[:3], "Privacy"])
    _, _, vetoed_short, _ = line_verdicts(short, "en")
    assert not any(vetoed_short)


def test_shape_features_say_where_a_line_stands_and_how_it_is_written():
    names = feature_names()
    texts = ["Меню", "Главная", *["Это длинное предложение о том, как установить систему на компьютер."] * 3,
             "$ apt-get install foo", "• Новости", "Контакты"]
    main = [False, False, True, True, True, False, False, False]
    x = features(texts, ["bad", "bad", "good", "good", "good", "bad", "bad", "bad"], main, [False] * 8,
                 frozenset({"это", "о", "как", "на"}))
    col = {n: x[:, names.index(n)] for n in ("before_main", "after_main", "log_lines_from_main",
                                             "page_script_share", "code_chars", "list_marker")}
    assert col["before_main"].tolist() == [1, 1, 0, 0, 0, 0, 0, 0]
    assert col["after_main"].tolist() == [0, 0, 0, 0, 0, 1, 1, 1]
    assert np.allclose(np.expm1(col["log_lines_from_main"]), [2, 1, 0, 0, 0, 1, 2, 3])
    assert col["page_script_share"][2] == 1 and col["page_script_share"][5] == 0  # Latin code on a Cyrillic page
    assert col["code_chars"][5] > 0 and col["code_chars"][2] == 0
    assert col["list_marker"].tolist() == [0, 0, 0, 0, 0, 0, 1, 0]
