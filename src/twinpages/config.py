"""One source of configuration: the stage configs (frozen dataclasses) and what is derived from them.

A setting is declared once, as a dataclass field whose metadata (``setting(...)``) says its command-line
flag, its help and whether it changes results. From the fields come the CLI flags (no default is
restated in cli.py), the run signature (a hash of every setting that changes results, the package
version and the record schemas: it keys the run folder and every checkpoint in it), and the
``run.json`` that ``--config`` loads back to repeat a run.

The output settings (which files, deduplication) are kept apart from the signature: they change how
the results are written, not what they are, so a finished run can be written again in other formats
without redoing its work.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from pathlib import Path

from . import __version__
from .settings import check_ranges, comma_list, out_of_range, setting  # noqa: F401  (re-exported)
from .stages.candidates import CandidatesConfig
from .stages.copies import CopiesConfig
from .stages.docalign import DocAlignConfig
from .stages.embed import EmbedConfig
from .stages.extract import ExtractConfig
from .stages.langid import LangIdConfig
from .stages.readers import ReadConfig
from .stages.segment import SegmentConfig
from .stages.select import SelectConfig
from .stages.writers.outputs import OutputConfig


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """Every stage's settings: one object describes a run."""

    read: ReadConfig = field(default_factory=ReadConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    langid: LangIdConfig = field(default_factory=LangIdConfig)
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    copies: CopiesConfig = field(default_factory=CopiesConfig)
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    candidates: CandidatesConfig = field(default_factory=CandidatesConfig)
    docalign: DocAlignConfig = field(default_factory=DocAlignConfig)
    select: SelectConfig = field(default_factory=SelectConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    def __post_init__(self):
        for f in fields(self):
            check_ranges(getattr(self, f.name))
        if self.read.input_format == "cc-index" and not self.read.cc_languages and self.candidates.langs:
            # the index is read for the languages mined: those of -l, written into the config (run.json)
            mined = tuple(sorted({lang for pair in self.candidates.langs for lang in pair}))
            object.__setattr__(self, "read", replace(self.read, cc_languages=mined))

    def signature(self) -> str:
        """``v<version>-<hash>``: the hash of every setting that changes results and of the record schemas."""
        from .schemas import fingerprint

        text = json.dumps(signed_settings(self), sort_keys=True) + "|" + fingerprint()
        return f"v{__version__}-{hashlib.blake2b(text.encode(), digest_size=8).hexdigest()}"

    def label(self) -> str:
        """A short stamp a person can read (not unique: the signature is)."""
        sa = self.docalign.sentalign
        return (f"lid:{self.langid.backend}|emb:{self.embed.encoder}|cand:top{self.candidates.k}"
                f"|da:{self.docalign.min_score}{'q' if self.docalign.quick_first else ''}|sa:bead{sa.max_bead}"
                f"|v:{__version__}")


# The sections whose settings do not change what is mined (see the module docstring).
UNSIGNED_SECTIONS = ("output",)


def signed_settings(config, path: str = "") -> dict:
    """The settings that change results, as a nested dict (what the signature hashes)."""
    out = {}
    for f in fields(config):
        value = getattr(config, f.name)
        if not f.metadata.get("signed", True) or (not path and f.name in UNSIGNED_SECTIONS):
            continue
        out[f.name] = signed_settings(value, f"{path}.{f.name}") if is_dataclass(value) else _plain(value)
    return out


def to_dict(config) -> dict:
    return {f.name: to_dict(v) if is_dataclass(v := getattr(config, f.name)) else _plain(v) for f in fields(config)}


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def from_dict(cls, data: dict, where: str = ""):
    """A config from ``to_dict``'s form (run.json's "config"), checked as the flags are checked: an unknown
    setting, a value of the wrong type, a choice not offered or a number out of range is a ValueError
    naming the setting (``where``: its section, dotted). A missing setting takes its default (a run.json
    from before a setting existed describes a run with its default)."""
    if not isinstance(data, dict):
        raise ValueError(f"{where or 'the configuration'}: expected an object of settings, not "
                         f"{_json_type(data)}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(_dotted(where, u) for u in unknown)}")
    values = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        name = _dotted(where, f.name)
        kind = _dataclass_in(hints[f.name])
        value = data[f.name]
        if kind is not None and (value is not None or not _optional(hints[f.name])):
            values[f.name] = from_dict(kind, value, name)
        else:
            values[f.name] = _checked_value(value, hints[f.name], f, name)
    try:
        return cls(**values)
    except ValueError as e:  # a range checked by the class itself
        raise ValueError(f"{where + ': ' if where else ''}{e}") from None


def _dataclass_in(hint):
    if is_dataclass(hint):
        return hint
    for arg in typing.get_args(hint) if isinstance(hint, types.UnionType) else ():
        if is_dataclass(arg):
            return arg
    return None


def _dotted(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _optional(hint) -> bool:
    return isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)


def _json_type(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _checked_value(value, hint, f, name: str):
    """``value`` as the field's type, or a ValueError that names the setting and says what it takes."""
    meta = f.metadata
    if _optional(hint):
        if value is None:
            return None
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    parse = meta.get("parse")
    if isinstance(value, str) and parse is not None and hint is not str:  # the flag's own form ("en-fr,en-de")
        try:
            return parse(value)
        except ValueError as e:
            raise ValueError(f"{name}: {e}") from None
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, list | tuple):
            raise ValueError(f"{name} must be a list, not {_json_type(value)}")
        item = args[0]
        out = []
        for v in value:
            if typing.get_origin(item) is tuple:  # a pair such as (en, de)
                inner = typing.get_args(item)
                if not isinstance(v, list | tuple) or len(v) != len(inner) or not all(isinstance(x, str) for x in v):
                    raise ValueError(f"{name} must be a list of [{', '.join('string' for _ in inner)}] lists, "
                                     f"not {v!r}")
                out.append(tuple(v))
            elif not isinstance(v, item):
                raise ValueError(f"{name} must be a list of {item.__name__}s, not {v!r}")
            else:
                out.append(v)
        if parse is not None:  # the same normalisation and checks as the flag's (a list becomes its text)
            text = ",".join("-".join(x) if isinstance(x, tuple) else x for x in out)
            try:
                return parse(text) if out else ()
            except ValueError as e:
                raise ValueError(f"{name}: {e}") from None
        return tuple(out)
    expected = {bool: (bool,), int: (int,), float: (int, float), str: (str,)}.get(hint, (hint,))
    if not isinstance(value, expected) or (hint is not bool and isinstance(value, bool)):
        raise ValueError(f"{name} must be {_type_words(hint)}, not {_json_type(value)} ({value!r})")
    if hint is float:
        value = float(value)
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(str, choices))}, not {value!r}")
    problem = out_of_range(value, meta.get("low"), meta.get("high"))
    if problem:
        raise ValueError(f"{name} {problem}")
    return value


def _type_words(hint) -> str:
    return {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}.get(
        hint, getattr(hint, "__name__", str(hint)))


def load_config(path: str | Path) -> PipelineConfig:
    """The configuration recorded in a run's run.json (or a JSON file of that form), checked before any
    work: a ValueError names the file and the setting."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a run.json object (with a \"config\" object), not {_json_type(data)}")
    config = data.get("config", data)
    try:
        return from_dict(PipelineConfig, config)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


# --- command-line flags, derived from the fields ---------------------------------------------------------

def add_flags(parser: argparse.ArgumentParser, sections: tuple[str, ...] | None = None) -> None:
    """One option per config field that declares a flag. Defaults are not restated: an option not given
    leaves the config's own value (argparse.SUPPRESS)."""
    for section in fields(PipelineConfig):
        if sections is not None and section.name not in sections:
            continue
        _add_section_flags(parser, _dataclass_in(typing.get_type_hints(PipelineConfig)[section.name]), section.name)


def _add_section_flags(parser: argparse.ArgumentParser, cls, prefix: str) -> None:
    """A section's flags, and those of the settings groups inside it (``output.filter``)."""
    hints = typing.get_type_hints(cls)
    for f in fields(cls):
        inner = _dataclass_in(hints[f.name])
        if inner is not None:
            _add_section_flags(parser, inner, f"{prefix}.{f.name}")
        else:
            _add_flag(parser, prefix, f)


def add_dataclass_flags(parser: argparse.ArgumentParser, cls, prefix: str) -> None:
    """The flags of a dataclass outside PipelineConfig (the runner's settings)."""
    for f in fields(cls):
        _add_flag(parser, prefix, f)


def _add_flag(parser: argparse.ArgumentParser, prefix: str, f) -> None:
    meta = f.metadata
    if not meta.get("flag"):
        return
    default = f.default if f.default is not MISSING else f.default_factory()
    dest = f"{prefix}.{f.name}"
    shown = ",".join(default) if isinstance(default, tuple) else default
    help_text = meta["help"] if "default" in meta["help"] else f"{meta['help']} (default: {shown})".lstrip()
    flags = meta["flag"] if isinstance(meta["flag"], tuple) else (meta["flag"],)
    if isinstance(default, bool):
        parser.add_argument(*flags, dest=dest, action="store_const", const=not default,
                            default=argparse.SUPPRESS, help=meta["help"])
        return
    kind = meta.get("parse") or (type(default) if default is not None and not isinstance(default, tuple) else str)
    parser.add_argument(*flags, dest=dest, type=_checked(kind, f), choices=meta.get("choices"),
                        metavar=f.name.upper() if not meta.get("choices") else None, default=argparse.SUPPRESS,
                        help=help_text)


def _checked(kind, f):
    """The flag's parser, refusing values out of the field's range with argparse's own error (exit 2)."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e) or f"invalid value {text!r}") from None
        problem = out_of_range(value, f.metadata.get("low"), f.metadata.get("high"))
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value

    parse.__name__ = getattr(kind, "__name__", "value")  # argparse names the type in its messages
    return parse


def config_from_args(args: argparse.Namespace, base: PipelineConfig | None = None) -> PipelineConfig:
    """``base`` (or the defaults, or ``--config FILE``) with the flags that were given."""
    config = base or (load_config(args.config) if getattr(args, "config", None) else PipelineConfig())
    for dest, value in vars(args).items():
        section, _, name = dest.partition(".")
        if name and hasattr(config, section):
            config = _replaced(config, dest.split("."), value)
    return config


def _replaced(obj, path: list[str], value):
    """``obj`` with the setting at ``path`` (``["output", "filter", "enabled"]``) set to ``value``."""
    if len(path) == 1:
        return replace(obj, **{path[0]: value})
    return replace(obj, **{path[0]: _replaced(getattr(obj, path[0]), path[1:], value)})


def dataclass_from_args(cls, args: argparse.Namespace, prefix: str):
    values = {name: v for dest, v in vars(args).items() for p, _, name in [dest.partition(".")] if p == prefix}
    return cls(**values)
