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
    """``en-de,en-fr`` -> (("en", "de"), ("en", "fr")); tags normalised (``EN-de_AT`` is en-de)."""
    from .stages.langid import language_tag

    out = []
    for item in comma_list(text):
        parts = item.split("-")
        if len(parts) < 2:
            raise ValueError(f"{item!r} is not a language pair: write L1-L2, such as en-de")
        # region subtags may follow each language with "_" (en_GB-de_AT); "-" separates the two
        a, b = language_tag(parts[0]), language_tag(parts[-1] if len(parts) == 2 else parts[1])
        if a == b:
            raise ValueError(f"{item!r} names one language twice")
        out.append((a, b))
    return tuple(out)
