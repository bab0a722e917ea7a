"""The worst single document: time and memory of one document's analysis (read, extract, language ID,
sentences) under the default limits, for each case of the hostile corpus (tests/hostile.py) and for
documents built to sit just under each limit.

Each document is analysed in a fresh process whose models are loaded first (a warm-up document), so
the figures are the document's own: wall seconds, and the peak RSS while it was analysed above the
warm process's RSS (the peak is reset first, through /proc/self/clear_refs: Linux only).

    python benchmarks/hostile_worst.py [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

CHILD = r"""
import json, sys, time
from pathlib import Path
from twinpages.config import PipelineConfig
from twinpages.data import DocError, Document
from twinpages.phases.base import Models
from twinpages.stages.readers import ReadConfig, read_path

pipe = Models.of(PipelineConfig())
warm = Document(id="warm", raw="The federal government adopted new measures on Wednesday. " * 3, source="warm")
pipe.analyser.analyse_one(warm)

def status_kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])

with open("/proc/self/clear_refs", "w") as f:  # resets the peak (VmHWM) to the current RSS
    f.write("5")
base = status_kb("VmRSS:")
t0 = time.monotonic()
results = []
for item in read_path(Path(sys.argv[1]), Path(sys.argv[1]).name, ReadConfig()):
    r = pipe.analyser.analyse_one(item)
    results.append(r.error if isinstance(r, DocError) else "kept")
seconds = time.monotonic() - t0
peak = status_kb("VmHWM:")
print(json.dumps({"seconds": seconds, "extra_mb": (peak - base) / 1024, "outcome": results}))
"""


def at_the_limits(folder: Path) -> dict[str, Path]:
    """Documents that pass every limit by a hair: what the defaults let through at most."""
    from twinpages.backends.html import MAX_DEPTH, MAX_ELEMENTS

    made = {}

    def write(name: str, data: bytes) -> None:
        (folder / name).write_bytes(data)
        made[name] = folder / name

    sentence = "The committee met again on Thursday to discuss the new budget and its consequences. "
    write("prose_19MB.txt", ((sentence * 20 + "\n") * 11_000).encode()[:19_000_000])
    write("words_19MB_one_line.txt", (" ".join(["wort", "und", "noch"] * 1_600_000)).encode()[:19_000_000])
    n = MAX_ELEMENTS - 100
    spans = b"<p><span>a</span></p>" * (n // 2)
    write(f"spans_{n}.html", b"<html><body><article>" + spans + b"</article></body></html>")
    write(f"nested_{MAX_DEPTH - 10}.html", b"<html><body>" + b"<div>" * (MAX_DEPTH - 10) + (sentence * 5).encode()
          + b"</div>" * (MAX_DEPTH - 10) + b"</body></html>")
    rows = "".join(f"<tr><td>{k}</td><td>{sentence}</td></tr>" for k in range(20_000))
    write("table_20k_rows.html", f"<html><body><table>{rows}</table></body></html>".encode())
    return made


def main() -> None:
    from hostile import make_corpus

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = make_corpus(folder / "hostile")
        paths = {c.name: folder / "hostile" / c.name for c in cases
                 if (folder / "hostile" / c.name).is_file()}
        limits = folder / "limits"
        limits.mkdir()
        paths |= at_the_limits(limits)
        rows = []
        for name, path in paths.items():
            done = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                                  timeout=900)
            if done.returncode:
                rows.append({"document": name, "bytes": path.stat().st_size, "error": done.stderr[-300:]})
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append({"document": name, "bytes": path.stat().st_size, **result})
            print(f"{name:>34} {path.stat().st_size:>12,} B {result['seconds']:>7.2f} s "
                  f"{result['extra_mb']:>7.0f} MB  {','.join(result['outcome'])}", file=sys.stderr)
    worst_time = max((r for r in rows if "seconds" in r), key=lambda r: r["seconds"])
    worst_mem = max((r for r in rows if "extra_mb" in r), key=lambda r: r["extra_mb"])
    summary = {"documents": len(rows), "crashed": sum("error" in r for r in rows),
               "worst_seconds": round(worst_time["seconds"], 2), "worst_seconds_document": worst_time["document"],
               "worst_extra_mb": round(worst_mem["extra_mb"]), "worst_extra_mb_document": worst_mem["document"]}
    if args.json:
        print(json.dumps({"rows": rows, **summary}))
    else:
        print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
