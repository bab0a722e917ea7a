"""One source of configuration: flags from the dataclass fields, a signature over every setting that
changes results, run.json loaded back."""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass, replace

import pytest

from twinpages.cli import MINE_SECTIONS, build_config, parse_args
from twinpages.config import PipelineConfig, load_config, signed_settings, to_dict


def all_settings(config, path=""):
    for f in fields(config):
        value = getattr(config, f.name)
        if is_dataclass(value):
            yield from all_settings(value, f"{path}{f.name}.")
        else:
            yield f"{path}{f.name}", f, value


def changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.01
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, tuple):
        return value[:1] if value else ("x",)
    return "something"


def with_setting(config, dotted: str, value):
    head, _, rest = dotted.partition(".")
    if not rest:
        return replace(config, **{head: value})
    return replace(config, **{head: with_setting(getattr(config, head), rest, value)})


SETTINGS = [s for s in all_settings(PipelineConfig()) if not s[0].startswith("output.")]


@pytest.mark.parametrize("name,field,value", SETTINGS, ids=[s[0] for s in SETTINGS])
def test_every_signed_setting_changes_the_signature(name, field, value):
    """The signature is not a hand-picked subset: change any setting that can change results and the
    run folder (and every checkpoint in it) is a different run; the others (threads, cache path) not."""
    base = PipelineConfig()
    try:
        other = with_setting(base, name, changed(value))
    except ValueError:  # a value the config refuses
        pytest.skip(f"{name}: no simple other value")
    if field.metadata.get("signed", True):
        assert other.signature() != base.signature(), name
    else:
        assert other.signature() == base.signature(), name


def test_output_settings_are_recorded_but_not_signed():
    base = PipelineConfig()
    other = replace(base, output=replace(base.output, formats=("tsv",)))
    assert other.signature() == base.signature()
    assert "output" not in signed_settings(base) and "output" in to_dict(base)


def test_flags_come_from_the_fields_and_defaults_are_not_restated():
    args = parse_args(["mine", "in/", "-o", "out/"])
    assert build_config(args) == PipelineConfig()  # no flag given: every default is the config's own
    args = parse_args(["mine", "in/", "-o", "out/", "--min-score", "0.5", "--one-to-one", "--formats", "tsv,tmx",
                       "--raw-bitext", "--extract", "none", "--threads", "1", "--shard-bytes", "1000"])
    c = build_config(args)
    assert (c.docalign.min_score, c.select.one_to_one, c.output.formats, c.output.dedup) == (0.5, True,
                                                                                           ("tsv", "tmx"), False)
    assert (c.extract.mode, c.embed.threads, c.read.shard_bytes) == ("none", 1, 1000)


def test_every_flag_declared_in_a_config_reaches_the_parser():
    from twinpages.cli import parse_args as parse

    declared = [(f, flag) for section in MINE_SECTIONS for f in fields(getattr(PipelineConfig(), section))
                if f.metadata.get("flag")
                for flag in (f.metadata["flag"] if isinstance(f.metadata["flag"], tuple) else (f.metadata["flag"],))]
    assert len(declared) >= 15
    with pytest.raises(SystemExit):
        parse(["mine", "x", "-o", "y", "--no-such-flag"])
    for field, flag in declared:  # each is accepted by `mine` (values only need to parse)
        value = {"--input-format": "txt", "--html-extractor": "resiliparse", "--extract": "none", "--lid": "cld2",
                 "--encoder": "usem3", "--formats": "tsv", "--cache": "c.sqlite", "--min-score": "0.5",
                 "-l": "en-de", "--langs": "en-de", "--index": "approx", "--translator": "machine",
                 "--line-classifier": "rules", "--copy-threshold": "0.7"}.get(flag) or \
            (field.metadata["choices"] or ("3",))[-1]
        argv = ["mine", "x", "-o", "y", flag] + ([] if isinstance(field.default, bool) else [value])
        parse(argv)


def test_run_json_loads_back_to_the_same_config(tmp_path):
    config = replace(PipelineConfig(), docalign=replace(PipelineConfig().docalign, min_score=0.4))
    config = replace(config, output=replace(config.output, formats=("tsv", "jsonl")))
    (tmp_path / "run.json").write_text(json.dumps({"config": to_dict(config)}), encoding="utf-8")
    loaded = load_config(tmp_path / "run.json")
    assert loaded == config and loaded.signature() == config.signature()
    args = parse_args(["mine", "in/", "-o", "out/", "--config", str(tmp_path / "run.json"), "--one-to-one"])
    again = build_config(args)
    assert again.docalign.min_score == 0.4 and again.select.one_to_one and again.output.formats == ("tsv", "jsonl")


def test_an_unknown_setting_in_run_json_is_refused(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps({"config": {"docalign": {"min_scor": 0.4}}}), encoding="utf-8")
    with pytest.raises(ValueError, match="min_scor"):
        load_config(tmp_path / "run.json")


TAMPERED = [  # (where, value, what the message must say): issue 26 K
    (("docalign", "min_score"), "high", "docalign.min_score must be a number"),
    (("docalign",), None, "docalign: expected an object of settings, not null"),
    (("candidates", "k"), 0, "candidates.k must be at least 1, not 0"),
    (("docalign", "sentalign", "max_bead"), -1, "docalign.sentalign.max_bead must be at least 1"),
    (("docalign", "sentalign", "gap_open"), float("nan"), "gap_open must be a finite number"),
    (("docalign", "min_score"), 7, "docalign.min_score must be from 0.0 to 1.0, not 7"),
    (("candidates", "langs"), [["en", "fr", "de"]], "candidates.langs must be a list of [string, string]"),
    (("candidates", "langs"), [["en", "en"]], "names one language twice"),
    (("candidates", "same_site"), "yes", "candidates.same_site must be true or false"),
    (("read", "input_format"), "pdf", "read.input_format must be one of txt, html, warc, jsonl"),
    (("embed", "threads"), 2.5, "embed.threads must be a whole number"),
]


@pytest.mark.parametrize("where,value,message", TAMPERED, ids=[".".join(t[0]) for t in TAMPERED])
def test_a_tampered_run_json_is_refused_as_the_flags_are(tmp_path, where, value, message):
    """Checked on loading, before any work: the message names the file and the setting."""
    data = {"config": to_dict(PipelineConfig())}
    node = data["config"]
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError) as found:
        load_config(path)
    assert str(found.value).startswith(f"{path}: ") and message in str(found.value)


def test_a_run_json_that_is_no_object_or_no_json_is_named(tmp_path):
    from twinpages.cli import main

    bad = {"list.json": "[1, 2]", "cut.json": json.dumps({"config": to_dict(PipelineConfig())})[:200],
           "bytes.json": b"\xff\xfe{"}
    for name, text in bad.items():
        (tmp_path / name).write_bytes(text if isinstance(text, bytes) else text.encode())
        with pytest.raises(ValueError, match=rf"^{tmp_path / name}: "):
            load_config(tmp_path / name)
    # the CLI: exit 2 with the file's name, and no run folder made
    code = main(["mine", str(tmp_path / "cut.json"), "-o", str(tmp_path / "out"),
                 "--config", str(tmp_path / "cut.json")])
    assert code == 2 and not (tmp_path / "out").exists()


def test_the_flags_form_of_a_setting_is_read_too(tmp_path):
    data = {"config": to_dict(PipelineConfig())}
    data["config"]["candidates"]["langs"] = "EN-de,en-fr"
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_config(path).candidates.langs == (("en", "de"), ("en", "fr"))
