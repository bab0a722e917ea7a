"""The provenance recipe's check on Debian's manuals (training/provenance/manuals.py): which pages are twins."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training" / "provenance"))
import manuals  # noqa: E402


def test_the_same_page_in_every_language_has_one_key():
    """A manual names a page's language in its folder, its file name, or both: the key drops both."""
    keys = {manuals.page_key(p) for p in ("debian/debian-faq/en/basic-defs.en.html",
                                          "debian/debian-faq/de/basic-defs.de.html",
                                          "debian/debian-faq/zh-cn/basic-defs.zh-cn.html",
                                          "debian/debian-faq/pt-br/basic-defs.pt_BR.html")}
    assert keys == {("debian-faq", "basic-defs.html")}
    assert manuals.page_key("debian/aptitude/ja/ch02s03.html") == ("aptitude", "ch02s03.html")
    assert manuals.page_key("debian/aptitude/ja/ch02s03.html") != manuals.page_key("debian/aptitude/ja/ch02s04.html")
    # the same file name in two manuals is two pages
    key = manuals.page_key
    assert key("debian/maint-guide/de/first.de.html") != key("debian/harden-doc/de/first.html")
