"""The run folder contract: what `twinpages mine -o OUT` owns and how a rerun treats it.

- ``OUT/.twinpages-run`` (the marker) names the run's signature (config.PipelineConfig.signature). A
  folder with the marker is a run folder: it is never read as input (readers skip it).
- A rerun with the same signature resumes: every phase whose output shard exists is skipped.
- A rerun with another signature is refused with a message, unless ``clean`` (``--clean``), which
  removes the old run first: the marker, ``shards/``, the manifest and the files the manifest lists,
  nothing else (a user's notes or report folder there stay). A folder that exists, is not empty and has
  no marker is refused. An input inside the run folder is refused before the folder is touched.
- One run at a time: a run holds a lock on ``OUT/.twinpages-lock``; a second run into the folder is
  refused with a message while the first is alive (the lock goes with its process, even after kill -9).
- ``OUT/manifest.json`` lists what the run wrote (shards per phase, output files, with sizes); files
  under ``OUT/shards/`` that the finished run did not write (left by an edited input) are removed.

Where each file lives: layout.py (every file is written atomically: a file that exists is finished). A run
folder in object storage keeps this contract through a local mirror (remote.py; ``open_folder``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .. import __version__
from .layout import LOCK, MANIFEST, MARKER, Layout


class RunFolderError(ValueError):
    """The output folder cannot be used for this run (the message says why and what to do)."""


def is_run_folder(path: Path) -> bool:
    return (Path(path) / MARKER).is_file()


class RunFolder:
    remote = False  # True for a run in object storage (remote.py): ``root`` is then this machine's mirror

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.layout = Layout(root)
        self.shards = self.layout.shards

    def __str__(self) -> str:
        return str(self.root)

    def sync(self) -> None:
        """After each phase: nothing to do on a disk every worker sees (remote.py publishes there)."""

    def refresh(self) -> None:
        """Before reading a finished run (`add`, `query`...): a folder on disk is always up to date."""

    def worker(self, phase):
        """The phase as the runner's workers call it (remote.py wraps it to fetch and publish files)."""
        return phase

    def open(self, signature: str, clean: bool = False, growing: bool = False) -> bool:
        """Claim the folder for a run with this signature; True when it resumes an earlier one. The
        folder stays locked until ``close``: a second run into it is refused, not left to collide.
        ``growing``: `add` continues the run in the folder, which must have this signature."""
        root = self.root
        if not is_run_folder(root) and root.exists() and (
                not root.is_dir() or any(p.name != LOCK for p in root.iterdir())):
            raise RunFolderError(f"{root} exists and is not a twinpages run folder (no {MARKER}); "
                                 "choose a new or empty output folder")
        root.mkdir(parents=True, exist_ok=True)
        self._lock()
        if is_run_folder(root):
            found = self.signature()
            if found == signature:
                return True
            if growing:
                raise RunFolderError(
                    f"{root} holds a run made with other settings than its run.json gives now (signature "
                    f"{found}; run.json's is {signature}: another twinpages version, or an edited run.json). "
                    "`add` continues a run with the settings it was made with: mine the run's inputs and the "
                    f"new ones into a new folder, or into this one with `twinpages mine ... -o {root} --clean`")
            if not clean:
                raise RunFolderError(
                    f"{root} holds a twinpages run with other settings (signature {found}, this run's is "
                    f"{signature}); rerun with --clean to remove it and start again, or choose another -o folder")
            self.remove_run()
        (root / MARKER).write_text(json.dumps({"twinpages": __version__, "signature": signature}) + "\n",
                                   encoding="utf-8")
        return False

    def remove_run(self) -> list[Path]:
        """Remove what twinpages wrote here (the manifest's files, the manifest, ``shards/``, the marker),
        and nothing else; returns what was removed."""
        root = self.root.resolve()
        listed = [entry["path"] for entry in (self.manifest() or {}).get("outputs", [])]
        removed = []
        for rel in listed:
            path = (root / rel).resolve()
            if path.parent == root or root in path.parents:  # a manifest that names a file elsewhere: not ours
                if path.is_file() or path.is_symlink():
                    path.unlink()
                    removed.append(path)
        for folder in sorted({(root / rel).parent for rel in listed}, reverse=True):
            if folder != root and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()  # bitext/ once its files are gone, unless the user keeps something there
        if self.shards.is_dir():
            shutil.rmtree(self.shards)
            removed.append(self.shards)
        for name in (MANIFEST, MARKER):
            if (root / name).exists():
                (root / name).unlink()
                removed.append(root / name)
        return removed

    def _lock(self) -> None:
        import fcntl
        import os

        f = open(self.root / LOCK, "a+")  # noqa: SIM115 (held open for the run: the lock lives with it)
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            f.close()
            raise RunFolderError(f"{self.root} is in use by another twinpages run ({holder}); wait for it to "
                                 "finish, or choose another -o folder") from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}\n")
        f.flush()
        self._lock_file = f

    def close(self) -> None:
        """Release the folder (the lock file stays: removing it could let two runs lock two files)."""
        f = getattr(self, "_lock_file", None)
        if f is not None:
            f.close()
            self._lock_file = None

    def signature(self) -> str | None:
        try:
            return json.loads((self.root / MARKER).read_text(encoding="utf-8")).get("signature")
        except (OSError, ValueError):
            return None

    def path(self, *parts: str) -> Path:
        return self.shards.joinpath(*parts)

    def write_manifest(self, signature: str, phases: dict[str, list[Path]], outputs: list[Path],
                       output_settings: dict) -> None:
        """Record what the run wrote, then remove shard files it did not write (stale ones)."""
        from ..io import write_json

        def entry(p: Path) -> dict:
            return {"path": p.relative_to(self.root).as_posix(), "bytes": self.size(p)}

        written = {p.resolve() for files in phases.values() for p in files}
        write_json(self.root / MANIFEST, {
            "twinpages": __version__, "signature": signature, "output_settings": output_settings,
            "phases": {name: [entry(p) for p in files] for name, files in phases.items()},
            "outputs": [entry(p) for p in outputs if p.exists()]})
        for p in sorted(self.shards.rglob("*"), reverse=True):
            if p.is_file() and p.resolve() not in written:
                p.unlink()
            elif p.is_dir() and not any(p.iterdir()):
                p.rmdir()

    def size(self, path: Path) -> int:
        """A file's size (remote.py: also of a file the run holds in the store but not on this machine)."""
        return path.stat().st_size

    def manifest(self) -> dict | None:
        try:
            return json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None


def readable(where: str | Path) -> Path:
    """The folder to read a finished run from (`query`, `serve`, `report`): a path as given; a run in object
    storage: this machine's mirror of it, brought up to date first."""
    folder = open_folder(where)
    folder.refresh()
    return folder.root


def open_folder(where: str | Path) -> RunFolder:
    """The run folder at a path, or in object storage at a URL (``s3://bucket/run``: remote.py)."""
    from ..stages.readers.remote import is_url

    if is_url(where) and not str(where).startswith("file://"):
        from .remote import RemoteRunFolder

        return RemoteRunFolder(str(where))
    return RunFolder(str(where).removeprefix("file://"))
