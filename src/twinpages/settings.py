"""``setting(...)``: a config field that declares its command-line flag and whether it changes results.

Kept apart from config.py (which imports every stage's config) so that the stages can use it.
"""

from __future__ import annotations

from dataclasses import MISSING, field


def setting(default=MISSING, *, flag: str | tuple[str, ...] | None = None, help: str = "", choices=None,
            parse=None, signed: bool = True, low=None, high=None, default_factory=MISSING):
    """A config field. ``flag``: its command-line option(s); ``signed=False``: it does not change results
    (threads, cache paths), so it stays out of the run signature; ``parse``: str -> value for the flag;
    ``low``/``high``: the range a value must lie in (``check_ranges``)."""
    meta = {"flag": flag, "help": help, "choices": choices, "parse": parse, "signed": signed, "low": low,
            "high": high}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


def comma_list(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def out_of_range(value, low, high) -> str | None:
    """What is wrong with ``value`` for the range [low, high] (either may be None), or None. A float
    must be finite (NaN compares false with everything and would slip through any range)."""
    import math

    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, not {value}"
    if value is None or ((low is None or value >= low) and (high is None or value <= high)):
        return None
    bounds = (f"from {low} to {high}" if low is not None and high is not None
              else f"at least {low}" if low is not None else f"at most {high}")
    return f"must be {bounds}, not {value}"


def check_ranges(config) -> None:
    """Raise ValueError naming the flag (else the setting) when a field of ``config`` (a dataclass, and
    the dataclasses in it) is out of its range."""
    from dataclasses import fields, is_dataclass

    for f in fields(config):
        value = getattr(config, f.name)
        if is_dataclass(value):
            check_ranges(value)
            continue
        problem = out_of_range(value, f.metadata.get("low"), f.metadata.get("high"))
        if problem:
            flag = f.metadata.get("flag") or f.name
            raise ValueError(f"{flag[-1] if isinstance(flag, tuple) else flag} {problem}")


def language_pairs(text: str) -> tuple[tuple[str, str], ...]:
    """``en-de,en-fr`` -> (("en", "de"), ("en", "fr")); tags normalised (``EN-de_AT`` is en-de). Refused:
    no pair at all, a pair of more or fewer than two languages, one language twice, a language no encoder
    covers, and a pair given twice in either order (its order is the bitext's column order: one only)."""
    from .backends.encoders import LANGUAGES
    from .stages.langid import language_tag

    items = comma_list(text)
    if not items:
        raise ValueError(f"{text!r} names no language pair: write L1-L2, such as en-de")
    out: list[tuple[str, str]] = []
    for item in items:
        # region and script subtags follow a language with "_" (en_GB-de_AT); "-" separates the two
        parts = item.split("-")
        if len(parts) != 2 or not all(p.strip() for p in parts):
            raise ValueError(f"{item!r} is not a language pair: write two languages with one hyphen, such as "
                             "en-de (a region or script goes after an underscore: en_GB-de_AT)")
        a, b = language_tag(parts[0]), language_tag(parts[1])
        for code, given in ((a, parts[0]), (b, parts[1])):
            if code not in LANGUAGES:
                raise ValueError(f"{item!r}: {given!r} is not a language any encoder covers (ISO 639-1 codes such "
                                 "as en, de, zh; `twinpages mine --help` lists the encoders)")
        if a == b:
            raise ValueError(f"{item!r} names one language twice")
        if (a, b) in out or (b, a) in out:
            raise ValueError(f"{item!r} repeats a pair given before: each pair is mined once, and its order "
                             "(L1-L2) is the column order of its bitext, so give it once")
        out.append((a, b))
    return tuple(out)
