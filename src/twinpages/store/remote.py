"""A run folder in object storage: ``mine -o s3://bucket/run`` (any fsspec URL that can be written: ``gs://``,
``az://``...), with the same contract as a folder on disk (folder.py).

Phases read and write files (memory-mapped vectors, Parquet, atomic renames), so each process that works on
the run keeps a **mirror**: a local folder at ``$TWINPAGES_CACHE_DIR/NAME-HASH`` (default: the system's temp
folder) that holds the part of the run it needs. The store, not the mirror, is the truth:

- **Publishing** is an upload. An object store has no rename, but a PUT (or a completed multipart upload) is
  atomic: an object that exists is whole. A task uploads its files when it has finished them, in the order
  its phase lists them (``Phase.outputs``: the file that marks it done last), and the driver its own files
  data first, ``.json`` marks after, the manifest last (``publish_order``), so a mark in the store still
  means "done". A process killed mid-upload leaves data without its mark: redone on resume.
- **Resume**: opening the run makes the driver's mirror equal to the store (local files the store does not
  hold were never published: removed; the rest downloaded), then the phases skip what is done, as on disk.
- **Workers** (``Mirrored``): before a task, download what the task reads (``Phase.reads``) and the mirror
  lacks; after it, upload what the task wrote (``Phase.outputs``). Files under ``shards/`` are named by what
  made them (shard digests), so a file the mirror holds is the file the store holds. A worker whose mirror
  lies elsewhere than the driver's (another ``TWINPAGES_CACHE_DIR``) gets the phase with its paths rebased.
- **The driver** syncs after every phase (``RemoteRunFolder.sync``): three-way against what it last knew
  the store to hold, so it downloads the workers' files, uploads its own, and deletes in the store only what
  it deleted itself (``--clean``, the finished run's stale shards).
- **One run at a time**: the lock is an object, ``OUT/.twinpages-lock``, created only if absent (S3's
  ``If-None-Match: *``; fsspec's ``mode="create"``), holding the run's host, process and a heartbeat the
  run rewrites every HEARTBEAT seconds. A second run is refused while the heartbeat is fresh. A dead run's
  lock is taken over at once when it was held on this host by a process that is gone (kill -9, then rerun),
  and by anyone once its heartbeat is older than the lease (TWINPAGES_LOCK_LEASE seconds, default
  LEASE): the taker deletes it and creates its own, again only if absent, so of two takers one wins.

Credentials come from each backend's own environment and configuration (for S3: ``AWS_*`` variables,
``~/.aws``, fsspec's ``FSSPEC_S3_ENDPOINT_URL``); nothing of them is written to the store, run.json,
the manifest or the logs, which name the run by its URL only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import re
import socket
import tempfile
import threading
import time
import uuid
from pathlib import Path, PurePath, PurePosixPath

from .folder import RunFolder, RunFolderError
from .layout import LOCK, MANIFEST, MARKER

CACHE_ENV = "TWINPAGES_CACHE_DIR"
LEASE_ENV = "TWINPAGES_LOCK_LEASE"
HEARTBEAT = 30.0  # seconds between two rewrites of the lock object
LEASE = 300.0  # a heartbeat older than this is a dead run's


def mirror_root(url: str) -> Path:
    """This process's mirror of the run at ``url``: the same URL gives the same folder on one machine, so the
    workers of a node share one copy (their files are written atomically, and named by what made them)."""
    base = Path(os.environ.get(CACHE_ENV) or Path(tempfile.gettempdir()) / "twinpages-cache")
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in PurePosixPath(url.rstrip("/")).name)[:40]
    return base / f"{name or 'run'}-{hashlib.blake2b(url.encode(), digest_size=8).hexdigest()}"


def publish_order(files) -> list[Path]:
    """Data first, then ``.json`` completion marks, then the task stats and the manifest: whatever a reader
    takes as "done" arrives after what it marks."""
    def rank(p: Path) -> int:
        posix = Path(p).as_posix()
        if Path(p).name in (MANIFEST, MARKER):
            return 3
        if "/shards/stats/" in posix:
            return 2
        return 1 if posix.endswith(".json") else 0
    return sorted(map(Path, files), key=lambda p: (rank(p), str(p)))


def worker_only(rel: str) -> bool:
    """Files no step of the driver reads: the sentence vectors (the run's largest files, read by decide
    tasks and `query`) and the embed stage's working vectors. The driver of a run in object storage leaves
    them in the store."""
    if rel.startswith("shards/sentences/"):
        return rel.endswith(".vectors.npy")
    return rel.startswith("shards/vectors/") and rel.endswith(".npy") and not rel.endswith((".offsets.npy",
                                                                                           ".docs.npy"))


def _local_only(rel: str) -> bool:
    """Files of a mirror that are never synced: the local lock, and atomic writes in progress."""
    return rel == LOCK or rel.endswith(".tmp") or ".part-" in rel


class Store:
    """The run's objects, by path relative to the run (POSIX)."""

    def __init__(self, url: str):
        from ..stages.readers.remote import filesystem

        self.url = url.rstrip("/")
        self.fs, path = filesystem(self.url)
        self.path = path.rstrip("/")

    def key(self, rel: str) -> str:
        return f"{self.path}/{rel}"

    def listing(self, prefix: str = "") -> dict[str, int]:
        """Every object under the run (or under ``prefix`` in it), relative path -> size."""
        base = self.key(prefix).rstrip("/") if prefix else self.path
        self.fs.invalidate_cache(self.path)  # another process may have written since this one last looked
        try:
            found = self.fs.find(base, detail=True)
        except FileNotFoundError:
            return {}
        out = {}
        for path, info in found.items():
            rel = PurePosixPath(path).relative_to(PurePosixPath(self.path)).as_posix()
            if prefix and not rel.startswith(prefix):
                continue  # a sibling of a file asked for
            if info.get("type", "file") == "file" and not _local_only(rel):
                out[rel] = int(info.get("size") or 0)
        return out

    def get(self, rel: str, local: Path) -> None:
        """Download into ``local``, atomically (a concurrent reader of the mirror sees the whole file or none)."""
        local.parent.mkdir(parents=True, exist_ok=True)
        tmp = local.with_name(f"{local.name}.part-{uuid.uuid4().hex[:8]}")
        try:
            self.fs.get_file(self.key(rel), str(tmp))
            os.replace(tmp, local)
        finally:
            tmp.unlink(missing_ok=True)

    def put(self, local: Path, rel: str) -> None:
        self.fs.put_file(str(local), self.key(rel))

    def delete(self, rels: list[str]) -> None:
        if rels:
            self.fs.rm([self.key(r) for r in rels])

    def read(self, rel: str) -> bytes | None:
        try:
            return self.fs.cat_file(self.key(rel))
        except FileNotFoundError:
            return None

    def create(self, rel: str, data: bytes) -> bool:
        """Write ``rel`` only if no object has that name; False if one has."""
        try:
            self.fs.pipe_file(self.key(rel), data, mode="create")
        except FileExistsError:
            return False
        return True

    def write(self, rel: str, data: bytes) -> None:
        self.fs.pipe_file(self.key(rel), data)


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _local_files(root: Path) -> dict[str, Path]:
    out = {}
    for p in root.rglob("*"):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not _local_only(rel):
            out[rel] = p
    return out


def pull(store: Store, root: Path, prefixes: tuple[str, ...] = ("",), listed: set | None = None) -> int:
    """Download what the mirror lacks of ``prefixes``: a folder (ending in ``/``) is listed, and its objects
    that the mirror lacks or holds at another size are fetched; a file is fetched if the mirror lacks it (a
    request, not a listing: shard files never change once published). A folder in ``listed`` was fetched
    whole already and is not listed again (the caller knows it has not changed since). Returns the bytes
    fetched."""
    fetched = 0
    for prefix in prefixes:
        if listed is not None and prefix in listed:
            continue
        if prefix and not prefix.endswith("/"):
            local = root / prefix
            if not local.is_file():
                try:
                    store.get(prefix, local)
                except FileNotFoundError:
                    continue  # not made (yet): the task says what it lacks
                fetched += local.stat().st_size
            continue
        fetched += fetch_missing(store, root, store.listing(prefix))
        if listed is not None:
            listed.add(prefix)
    return fetched


def fetch_missing(store: Store, root: Path, objects: dict[str, int]) -> int:
    """Download the objects (relative path -> size) the mirror lacks or holds at another size; bytes fetched."""
    fetched = 0
    for rel, size in objects.items():
        local = root / rel
        if not local.is_file() or local.stat().st_size != size:
            store.get(rel, local)
            fetched += size
    return fetched


def push(store: Store, root: Path, files) -> None:
    """Upload the files that exist, in the order given."""
    for p in map(Path, files):
        if p.is_file():
            store.put(p, p.relative_to(root).as_posix())


class RemoteRunFolder(RunFolder):
    """A run folder whose truth is in object storage; ``root`` is this process's mirror of it."""

    remote = True

    def __init__(self, url: str):
        self.url = str(url).rstrip("/")
        self.store = Store(self.url)
        super().__init__(mirror_root(self.url))
        self._known: dict[str, tuple[int, int]] = {}  # rel -> local (size, mtime) when last equal to the store
        self._elsewhere: dict[str, int] = {}  # rel -> size: the run's files in the store the driver did not fetch
        self._lock_id: str | None = None
        self._beat: threading.Event | None = None

    def __str__(self) -> str:
        return self.url

    def open(self, signature: str, clean: bool = False, growing: bool = False) -> bool:
        self._take_lock()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._mirror(lazy=True)
            try:
                resumed = super().open(signature, clean, growing)
            except RunFolderError as e:  # its message names the mirror: the user gave the URL
                raise RunFolderError(str(e).replace(str(self.root), self.url)) from None
            self.sync()
            return resumed
        except BaseException:
            self.close()
            raise

    def refresh(self) -> None:
        """Bring the mirror up to date with the store, to read the run (no lock: a reader's view)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._mirror(lazy=False)

    def _mirror(self, lazy: bool) -> None:
        """Make the mirror what the store holds (``lazy``: but the files no driver step reads): what the store
        lacks was never published."""
        remote = self.store.listing()
        if lazy:
            for rel, size in list(remote.items()):
                local = self.root / rel
                if worker_only(rel) and not (local.is_file() and local.stat().st_size == size):
                    self._elsewhere[rel] = remote.pop(rel)
        for rel, path in _local_files(self.root).items():
            if rel not in remote:
                path.unlink()
        for folder in sorted((p for p in self.root.rglob("*") if p.is_dir()), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()
        fetch_missing(self.store, self.root, remote)
        self._known = {rel: _stamp(self.root / rel) for rel in remote}

    def sync(self) -> None:
        """Three-way, against what the store held at the last sync: download what appeared there (the
        workers' files), upload what changed here, delete there what was deleted here."""
        remote = self.store.listing()
        local = _local_files(self.root)
        for rel in sorted(set(remote) - set(self._known) - set(local)):
            if worker_only(rel):
                self._elsewhere[rel] = remote[rel]
                continue
            self.store.get(rel, self.root / rel)
            self._known[rel] = _stamp(self.root / rel)
        for rel in set(remote) & set(local) - set(self._known):  # a worker on this node wrote or fetched it
            self._known[rel] = _stamp(local[rel])
            self._elsewhere.pop(rel, None)
        changed = publish_order(p for rel, p in local.items() if self._known.get(rel) != _stamp(p))
        push(self.store, self.root, changed)
        for p in changed:
            self._known[p.relative_to(self.root).as_posix()] = _stamp(p)
        gone = sorted(rel for rel in self._known if rel not in local and not (self.root / rel).exists())
        self.store.delete([rel for rel in gone if rel in remote])
        for rel in gone:
            del self._known[rel]

    def size(self, path: Path) -> int:
        if path.exists():
            return path.stat().st_size
        return self._elsewhere[Path(path).relative_to(self.root).as_posix()]

    def remove_run(self) -> list[Path]:
        removed = super().remove_run()
        self.store.delete(sorted(self._elsewhere))  # all under shards/, which a removed run loses whole
        self._elsewhere.clear()
        return removed

    def write_manifest(self, signature: str, phases: dict[str, list[Path]], outputs: list[Path],
                       output_settings: dict) -> None:
        super().write_manifest(signature, phases, outputs, output_settings)
        written = {Path(p).relative_to(self.root).as_posix() for files in phases.values() for p in files}
        stale = sorted(rel for rel in self._elsewhere if rel not in written)  # as on disk: not written, removed
        self.store.delete(stale)
        for rel in stale:
            del self._elsewhere[rel]

    def worker(self, phase):
        return Mirrored(phase, self.url, str(self.root), self._lock_id or "")

    # --- the lock object ---------------------------------------------------------------------------------

    def _take_lock(self) -> None:
        lease = float(os.environ.get(LEASE_ENV) or LEASE)
        me = uuid.uuid4().hex
        for _ in range(3):
            if self.store.create(LOCK, self._lock_body(me)):
                self._lock_id = me
                self._start_heartbeat(me)
                return
            held = self._holder()
            if held is None:
                continue  # gone between the two calls: try again
            age = time.time() - float(held.get("heartbeat", 0))
            if self._dead_here(held) or age > lease:
                self.store.delete([LOCK])  # a dead run's: take it over (creating again, only if absent)
                continue
            raise RunFolderError(
                f"{self.url} is in use by another twinpages run (host {held.get('host')}, pid {held.get('pid')}, "
                f"alive {age:.0f} s ago); wait for it to finish, or, if it died on another machine, rerun after "
                f"its lock expires ({lease:.0f} s after its last heartbeat; {LEASE_ENV} sets the lease)")
        raise RunFolderError(f"{self.url}: could not take the run's lock object {LOCK}; try again")

    def _holder(self) -> dict | None:
        data = self.store.read(LOCK)
        try:
            return json.loads(data) if data is not None else None
        except ValueError:
            return {"heartbeat": 0}  # a damaged lock is a dead one

    @staticmethod
    def _dead_here(held: dict) -> bool:
        if held.get("host") != socket.gethostname() or not isinstance(held.get("pid"), int):
            return False
        try:
            os.kill(held["pid"], 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False  # alive

    @staticmethod
    def _lock_body(me: str) -> bytes:
        return json.dumps({"run": me, "host": socket.gethostname(), "pid": os.getpid(),
                           "heartbeat": time.time()}).encode()

    def _start_heartbeat(self, me: str) -> None:
        stop = threading.Event()

        def beat():
            while not stop.wait(HEARTBEAT):
                held = self._holder()
                if held is None or held.get("run") != me:
                    return  # taken over (this run was thought dead): leave the new holder alone
                self.store.write(LOCK, self._lock_body(me))

        threading.Thread(target=beat, name="twinpages-lock", daemon=True).start()
        self._beat = stop

    def close(self) -> None:
        super().close()
        if self._beat is not None:
            self._beat.set()
            self._beat = None
        if self._lock_id is not None:
            held = self._holder()
            if held is not None and held.get("run") == self._lock_id:
                self.store.delete([LOCK])
            self._lock_id = None


# (run, URL, phase) -> the phase as this process runs it (rebased onto its mirror), and the folders it fetched whole
_PHASES: dict[tuple[str, str, str], tuple[object, set[str]]] = {}


@dataclasses.dataclass(frozen=True, slots=True)
class Mirrored:
    """A phase as a worker runs it on a run in object storage: what the task reads is downloaded into this
    process's mirror first, what it wrote is uploaded after, and the result comes back with the driver's
    paths."""

    phase: object
    url: str
    root: str  # the driver's mirror, which the phase's paths name
    run: str  # this opening of the run (its lock's id)

    def __call__(self, task):
        local = str(mirror_root(self.url))
        key = (self.run, self.url, type(self.phase).__name__)
        if key not in _PHASES:  # once per phase and process: a phase holds the run's shard index
            _PHASES[key] = (self.phase if local == self.root else rebase(self.phase, self.root, local), set())
        # what a phase reads was finished before it began: a folder fetched for one of its tasks is
        # not listed again for the next ones this process runs (at crawl scale a listing is 1,000s of requests)
        phase, listed = _PHASES[key]
        if local != self.root:
            task = rebase(task, self.root, local)
        store = Store(self.url)
        pull(store, Path(local), phase.reads(task), listed)
        result = phase(task)
        push(store, Path(local), phase.outputs(task))
        return result if local == self.root else rebase(result, local, self.root)


def rebase(obj, old: str, new: str):
    """``obj`` with every path under ``old`` moved under ``new``: strings and paths in dataclasses, tuples,
    lists and dicts. Refuses an object that still names ``old`` after (a path it cannot reach)."""
    old, new = old.rstrip("/"), new.rstrip("/")
    out = _rebase(obj, old, new)
    # the folder itself or a path in it, not a sibling that starts with its name (run-1 in run-10)
    if re.search(re.escape(old.encode()) + rb"(?![\w.-])", _flat_pickle(out)):
        raise RuntimeError(f"{type(obj).__name__} names its run folder where it cannot be rebased for a worker")
    return out


def _rebase(obj, old: str, new: str):
    if isinstance(obj, str):
        return new + obj[len(old):] if obj == old or obj.startswith(old + "/") else obj
    if isinstance(obj, PurePath):
        return type(obj)(_rebase(str(obj), old, new))
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_rebase(x, old, new) for x in obj))
    if isinstance(obj, list | tuple):
        return type(obj)(_rebase(x, old, new) for x in obj)
    if isinstance(obj, dict):
        return {_rebase(k, old, new): _rebase(v, old, new) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {f.name: _rebase(getattr(obj, f.name), old, new) for f in dataclasses.fields(obj) if f.init}
        return dataclasses.replace(obj, **changes)
    return obj


class _FlatPaths(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, PurePath):  # a path pickles as its parts: as one string, it can be searched
            return str, (str(obj),)
        return NotImplemented


def _flat_pickle(obj) -> bytes:
    import io

    buf = io.BytesIO()
    _FlatPaths(buf).dump(obj)
    return buf.getvalue()
