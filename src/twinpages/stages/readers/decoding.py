"""Bytes to text, as browsers read a page: a byte-order mark first, then a declared charset mapped by the
WHATWG labels, then UTF-8, then a detected encoding; UTF-8 with a few stray bytes keeps its UTF-8."""

from __future__ import annotations

import codecs
import re

from .errors import ReadError

_SURROGATE = re.compile("[\ud800-\udfff]")


# Byte-order marks, longest first (UTF-32-LE's starts with UTF-16-LE's): a BOM decides the encoding
# before anything else, as in browsers.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def html5_charset(declared: str | None, in_meta: bool = False) -> str | None:
    """A declared charset as the WHATWG encoding standard maps it (``latin1`` -> cp1252, ...); None for
    a label it does not know (``undefined``, ``rot13``: Python codecs no page means). A page's own meta
    cannot declare UTF-16 (its bytes would not be readable as ASCII to declare it): browsers read UTF-8."""
    if not declared:
        return None
    from resiliparse.parse.encoding import map_encoding_to_html5

    name = map_encoding_to_html5(declared.strip(), fallback_utf8=False)
    if name and name.startswith("utf-16") and in_meta:
        return "utf-8"
    return name


def decode(data: bytes, declared: str | None = None, strict_utf8: bool = False) -> tuple[str, str | None]:
    """Bytes to text, and a note when the text had to be repaired (else None).

    Order: a byte-order mark; the declared charset (WHATWG labels only) when the bytes decode with it;
    UTF-8; then, if some lines are good UTF-8 and others not (one stray byte, one Latin-1 line pasted
    in), each line on its own: good UTF-8 lines stay as they are, the others are decoded with the
    encoding detected for them, and the note says how many; else one encoding detected for the whole.
    Binary content (NUL bytes outside UTF-16/32) is refused; with ``strict_utf8``, non-UTF-8 is refused."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(name, "replace"), None
    name = html5_charset(declared)
    nul = b"\x00" in data[:8192]
    if name and name.startswith("utf-16"):
        if nul:  # declared by an HTTP header, and the bytes look the part
            return data.decode(name, "replace"), None
        name = None  # UTF-16 without a BOM and without NUL bytes: the declaration is wrong
    if nul:
        raise ReadError("binary", "binary content (NUL bytes), not text")
    if name and name != "utf-8":
        try:
            return data.decode(name), None
        except UnicodeError:
            pass
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as e:
        if strict_utf8:
            raise ReadError("decode", f"not valid UTF-8 ({e.reason} at byte {e.start})") from None
    return _decode_mixed(data)


# A well-formed UTF-8 sequence of two to four bytes (RFC 3629): how many a line holds tells a UTF-8 line with
# a stray byte (many, and a few bytes that fit nowhere) from a line in a legacy encoding (none, or the odd
# accidental one).
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
                             rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}"
                             rb"|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}")


def _stray_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    """A codec error handler: the bytes that are not UTF-8, read as Windows-1252 (where stray bytes
    mostly come from: a Latin-1 or Windows editor), U+FFFD for the five it leaves undefined."""
    bad = error.object[error.start:error.end]
    return bad.decode("cp1252", "replace"), error.end


codecs.register_error("twinpages-stray-bytes", _stray_bytes)


def _decode_mixed(data: bytes) -> tuple[str, str | None]:
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    lines = data.splitlines(keepends=True)
    good, bad = [], []
    for k, line in enumerate(lines):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good.append(k)
        except UnicodeDecodeError:
            bad.append(k)
    if not good and not any(_mostly_utf8(lines[k]) for k in bad):
        return bytes_to_str(data, detect_encoding(data)), None  # one legacy encoding: nothing to repair
    out, stray = [], 0
    for line in lines:
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            if _mostly_utf8(line):  # UTF-8 with a few stray bytes: only those are decoded otherwise
                text = line.decode("utf-8", "twinpages-stray-bytes")
                stray += 1
            else:  # a line in a legacy encoding, pasted into UTF-8
                text = bytes_to_str(line, detect_encoding(line))
            out.append(text)
    where = ", ".join(str(k + 1) for k in bad[:5]) + (", ..." if len(bad) > 5 else "")
    how = [f"{stray} held stray bytes, read as Windows-1252 (the rest of the line as UTF-8)"] if stray else []
    how += [f"{len(bad) - stray} were decoded with a detected encoding"] if len(bad) > stray else []
    return "".join(out), (f"{len(bad)} of {len(lines)} lines were not UTF-8 (line {where}): {'; '.join(how)}; "
                          "the other lines as UTF-8")


def _mostly_utf8(line: bytes) -> bool:
    """Whether a line that is not valid UTF-8 is UTF-8 with stray bytes: it holds at least as many
    well-formed multi-byte sequences as bytes that belong to none."""
    sequences = _UTF8_MULTIBYTE.findall(line)
    non_ascii = sum(b >= 0x80 for b in line)
    covered = sum(len(s) for s in sequences)
    return bool(sequences) and len(sequences) >= non_ascii - covered


def replace_surrogates(text: str) -> tuple[str, int]:
    """Lone surrogates (from JSON ``\\udc00`` escapes) replaced by U+FFFD, and how many there were: no
    UTF-8 writer accepts them, so one would otherwise fail every stage that writes the document."""
    n = len(_SURROGATE.findall(text))
    return (_SURROGATE.sub("\ufffd", text), n) if n else (text, 0)
