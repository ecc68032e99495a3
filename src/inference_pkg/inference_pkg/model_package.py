"""Model packages on the car: install an upload (tar.gz, tar or folder), list, delete.

Installed layout, one folder per model under the models root:
    <models_root>/<name>/model_metadata.json
                         model.pb            (or model.xml + model.bin for IR-only packages)
                         checksum.txt        md5 of model.pb (of model.xml then model.bin for IR)
                         .ir-cache/          converted IR of model.pb, written by the install's check (else by
                                             the first load); not part of the package's size or md5
An upload is checked before anything is written (archive members: no absolute paths, no "..", regular
files and folders only, no sparse files, bounded count, and a declared size bounded both by `max_bytes` and
by what an upload of that size can hold: a 388-byte archive declaring a 390 MiB member wrote 390 MB before
it was refused), unpacked into a hidden staging folder inside the models root, validated completely
(metadata, graph present, readable and matching the metadata), and only then swapped in under its name.
A failure at any step leaves every installed model as it was. Staging, retired and deleted folders are
held with an advisory lock while in use, so the leftovers of a process that died mid-install are told
apart from live ones and removed (`remove_leftovers`).
Pure Python, no ROS and no OpenVINO: the graph is read by a short-lived child (inference_pkg.package_check), so
the console, the fleet link and the USB stick watcher can install without carrying OpenVINO.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import stat
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from inference_pkg.graph_files import (
    AGENT_PB,
    CACHE_DIR,
    CHECKSUM_FILE,
    GRAPH_PB,
    IR_BIN,
    IR_XML,
    GraphFiles,
    checksum,
    find_graph,
)
from inference_pkg.metadata import (
    METADATA_FILE,
    ModelMetadata,
    ModelPackageError,
    load_metadata,
    parse_metadata,
)
from inference_pkg.package_check import validate_package

__all__ = [
    "BrokenModel", "InstalledModel", "ModelMetadata", "ModelPackageError", "check_complete", "delete", "free_name",
    "graph_md5",
    "install", "list_installed", "load_metadata", "parse_metadata", "remove_leftovers", "resolve", "sanitise_name",
    "scan",
]

DEFAULT_MAX_BYTES = 256 * 1024 * 1024  # a trained SHALLOW model is 23 MB; checkpoints make uploads larger
DEFAULT_MAX_FILES = 200
MAX_NAME_LENGTH = 64
MAX_METADATA_BYTES = 1024 * 1024  # real model_metadata.json files are 1-5 KB
# A frozen graph's float weights barely compress (a real model: 23 MB -> 21 MB gzipped); checkpoints neither.
# An archive may unpack to at most this many times its own size, plus the floor for tiny test packages.
MAX_EXPANSION = 8
EXPANSION_FLOOR_BYTES = 16 * 1024 * 1024
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")
_WORK_PREFIXES = (".install-", ".retired-", ".deleted-")
_md5_by_file: dict[tuple[tuple[int, int, int, int], ...], str] = {}
# A folder another tool writes into the models root (DREM untars, moves model.* up, writes checksum.txt last) is
# complete once checksum.txt is there; without one (copied by hand), once nothing in it changed for this long.
SETTLE_S = 5.0


@dataclass(frozen=True)
class InstalledModel:
    name: str
    path: Path
    metadata: ModelMetadata
    size_bytes: int
    installed_at: float
    checksum: str


@dataclass(frozen=True)
class BrokenModel:
    """A folder under the models root that cannot be loaded, and why (shown, never hidden)."""

    name: str
    path: Path
    reason: str


def sanitise_name(raw: str) -> str:
    """A safe folder name: letters, digits, '.', '_' and '-' only, no leading dot, at most 64 characters."""
    base = raw.strip()
    for suffix in _ARCHIVE_SUFFIXES:
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
            break
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._-")[:MAX_NAME_LENGTH].rstrip("._-")
    if not name:
        raise ModelPackageError(f"model name {raw!r} has no usable characters: use letters, digits, '.', '_' or '-'")
    return name


def _check_members(label: str, tar: tarfile.TarFile, max_bytes: int, max_files: int) -> list[tarfile.TarInfo]:
    """Every member, checked by its header before any byte is extracted."""
    members, total = [], 0
    for member in tar:
        where = f"{label}: member {member.name!r}"
        path = PurePosixPath(member.name)
        if path.is_absolute() or member.name.startswith(("/", "\\")) or ".." in path.parts:
            raise ModelPackageError(f"{where} points outside the package (absolute path or '..'): "
                                    "re-create the archive with relative paths")
        if not (member.isfile() or member.isdir()):
            raise ModelPackageError(f"{where} is a link, device or pipe: a model package holds only "
                                    "regular files and folders")
        if member.issparse():
            raise ModelPackageError(f"{where} is a sparse file: a model package holds only plain files; "
                                    "re-create the archive without --sparse")
        total += member.size
        members.append(member)
        if len(members) > max_files:
            raise ModelPackageError(f"{label}: holds more than {max_files} entries: "
                                    "upload only the model package")
        if total > max_bytes:
            raise ModelPackageError(f"{label}: says it unpacks to more than {max_bytes / (1024 * 1024):.0f} MB: "
                                    "upload only the model package (model_metadata.json and model.pb)")
    return members


def _unpacked_limit(source: Path, max_bytes: int) -> int:
    """What an archive of this size may unpack to (see MAX_EXPANSION)."""
    return min(max_bytes, max(EXPANSION_FLOOR_BYTES, MAX_EXPANSION * source.stat().st_size))


def _package_root(names: list[str], source: str) -> str:
    """The folder (relative, '' = top) holding model_metadata.json; one level of wrapping folders is usual."""
    roots = sorted((PurePosixPath(n).parent for n in names if PurePosixPath(n).name == METADATA_FILE),
                   key=lambda p: len(p.parts))
    if not roots:
        raise ModelPackageError(f"{source}: {METADATA_FILE} is missing: a model package holds "
                                f"{METADATA_FILE} and model.pb (or agent/model.pb, or model.xml + model.bin)")
    if len(roots) > 1 and len(roots[0].parts) == len(roots[1].parts):
        raise ModelPackageError(f"{source}: holds {METADATA_FILE} in both {roots[0]} and {roots[1]}: "
                                "upload one model at a time")
    return "" if str(roots[0]) == "." else str(roots[0])


def _wanted(names: list[str], root: str) -> dict[str, str]:
    """{member name: installed name}: the metadata and one graph form, the frozen graph first."""
    prefix = f"{root}/" if root else ""
    relative = {n[len(prefix):]: n for n in names if n.startswith(prefix)}
    chosen = {relative[METADATA_FILE]: METADATA_FILE}
    if GRAPH_PB in relative or AGENT_PB in relative:
        chosen[relative[GRAPH_PB if GRAPH_PB in relative else AGENT_PB]] = GRAPH_PB
    else:  # IR; if half of it is missing, validation names the missing file
        chosen.update({relative[ir]: ir for ir in (IR_XML, IR_BIN) if ir in relative})
    return chosen


def _open_archive(source: Path, label: str) -> tarfile.TarFile:
    try:
        return tarfile.open(source, "r:*")
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        raise ModelPackageError(f"{label}: is not a readable .tar.gz or .tar archive (or it is damaged), so "
                                "this is not a model package: a .tar.gz exported from the DeepRacer console is "
                                "expected") from None


def free_name(models_root: Path, name: str) -> str:
    """`name` if no model folder has it, else the first free `name-2`, `name-3`... (within MAX_NAME_LENGTH):
    how a second upload under a taken name is kept beside the first."""
    if not (models_root / name).exists():
        return name
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = name[: MAX_NAME_LENGTH - len(suffix)].rstrip("._-") + suffix
        if not (models_root / candidate).exists():
            return candidate
        number += 1


def _unpack_archive(source: Path, staging: Path, max_bytes: int, max_files: int, label: str) -> None:
    try:
        with _open_archive(source, label) as tar:
            members = _check_members(label, tar, _unpacked_limit(source, max_bytes), max_files)
            files = {m.name.removeprefix("./"): m for m in members if m.isfile()}
            for name, target in _wanted(list(files), _package_root(list(files), label)).items():
                if target == METADATA_FILE and files[name].size > MAX_METADATA_BYTES:
                    raise ModelPackageError(f"{label}: {name} is {files[name].size} bytes; a {METADATA_FILE} "
                                            f"is at most {MAX_METADATA_BYTES // 1024} KB: it is not a model's "
                                            "metadata")
                handle = tar.extractfile(files[name])
                assert handle is not None  # regular files always have data
                with handle, (staging / target).open("wb") as out:
                    shutil.copyfileobj(handle, out)
    except (tarfile.TarError, EOFError, zlib.error):
        raise ModelPackageError(f"{label}: the archive is damaged (it ends early or its data is corrupt): "
                                "upload the model package again") from None


def _copy_folder(source: Path, staging: Path, max_bytes: int, max_files: int) -> None:
    names, total = [], 0
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source).as_posix()
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise ModelPackageError(f"{source}: {relative} is a link, device or pipe: a model package holds "
                                    "only regular files and folders")
        if stat.S_ISREG(mode):
            names.append(relative)
            total += path.lstat().st_size
        if len(names) > max_files or total > max_bytes:
            raise ModelPackageError(f"{source}: holds more than {max_files} files or "
                                    f"{max_bytes // (1024 * 1024)} MB: point at the model package only")
    for name, target in _wanted(names, _package_root(names, str(source))).items():
        shutil.copyfile(source / name, staging / target, follow_symlinks=False)


def _swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging` with two renames in one folder; the old model is removed only after."""
    if not target.exists():
        os.rename(staging, target)
        return
    with _work_folder(target.parent, f".retired-{target.name}-") as retired:
        os.rename(target, retired / target.name)
        try:
            os.rename(staging, target)
        except OSError:
            os.rename(retired / target.name, target)
            raise


@contextlib.contextmanager
def _work_folder(models_root: Path, prefix: str) -> Iterator[Path]:
    """A hidden folder for one install, swap or delete, locked while in use and removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=models_root))
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(handle)


def remove_leftovers(models_root: Path) -> list[str]:
    """Remove the work folders of installs, swaps and deletes that died midway; return their names.

    A live one is locked by the process using it (`_work_folder`), so it is left alone.
    """
    removed: list[str] = []
    if not models_root.is_dir():
        return removed
    for folder in models_root.iterdir():
        if not folder.name.startswith(_WORK_PREFIXES) or not folder.is_dir() or folder.is_symlink():
            continue
        try:
            handle = os.open(folder, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # in use
        else:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
        finally:
            os.close(handle)
    return removed


def graph_md5(graph: GraphFiles) -> str:
    """The md5 of the graph as it is on disk (never what checksum.txt claims), hashed once per version of
    the files in this process: a listing of 10 models would otherwise hash 230 MB."""
    key = tuple((s.st_dev, s.st_ino, s.st_size, s.st_mtime_ns) for s in (path.stat() for path in graph.files))
    if key not in _md5_by_file:
        _md5_by_file[key] = checksum(graph)
    return _md5_by_file[key]


def check_complete(folder: Path) -> None:
    """Refuse a folder that is still being written: listed as broken with why, never loaded half-done. What
    checksum.txt says is not trusted for anything else (the listed md5 is the graph's)."""
    if (folder / CHECKSUM_FILE).is_file():
        return
    changed = max((p.stat().st_mtime for p in folder.rglob("*") if CACHE_DIR not in p.relative_to(folder).parts),
                  default=0.0)
    quiet_s = time.time() - changed
    if quiet_s < SETTLE_S:
        raise ModelPackageError(f"{folder.name}: still being written (changed {quiet_s:.1f} s ago, no checksum.txt "
                                "yet): it appears when complete")


def _describe(folder: Path) -> InstalledModel:
    metadata = load_metadata(folder / METADATA_FILE)
    graph = find_graph(folder)
    digest = graph_md5(graph)
    check_complete(folder)
    size = sum(p.stat().st_size for p in folder.rglob("*")
               if p.is_file() and CACHE_DIR not in p.relative_to(folder).parts)
    return InstalledModel(folder.name, folder, metadata, size, (folder / METADATA_FILE).stat().st_mtime, digest)


def install(source: Path, models_root: Path, name: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES,
            max_files: int = DEFAULT_MAX_FILES, label: str | None = None,
            choose_name: Callable[[str], str] | None = None) -> InstalledModel:
    """Install a .tar.gz, .tar or folder as models_root/<name>, replacing a same-named model atomically.

    `label` names the package in messages (the uploaded file's name, not the spool file's).
    `choose_name`, given the name once the package is known to be valid, returns the folder to install into
    or raises to install nothing: the console asks about a taken name only for a package it would install.
    Raises ModelPackageError (naming file, field and fix) and leaves models_root as it was on any failure.
    """
    source = Path(source)
    label = label or source.name
    if not source.exists():
        raise ModelPackageError(f"{source}: does not exist")
    final_name = sanitise_name(name if name is not None else source.name)
    models_root.mkdir(parents=True, exist_ok=True)
    remove_leftovers(models_root)
    with _work_folder(models_root, ".install-") as work:
        staging = work / final_name
        staging.mkdir(mode=0o755)
        staging.chmod(0o755)
        try:
            if source.is_dir():
                _copy_folder(source, staging, max_bytes, max_files)
            else:
                _unpack_archive(source, staging, max_bytes, max_files, label)
            _, graph = validate_package(staging)
        except ModelPackageError as error:  # name the package's own files, never the staging folder
            raise ModelPackageError(str(error).replace(f"{staging}/", f"{label}: ").replace(str(staging), label)
                                    ) from None
        (staging / CHECKSUM_FILE).write_text(graph_md5(graph) + "\n")
        if choose_name is not None:
            final_name = choose_name(final_name)
        _swap_in(staging, models_root / final_name)
    return _describe(models_root / final_name)


def scan(models_root: Path) -> tuple[list[InstalledModel], list[BrokenModel]]:
    """Every model folder under the root, sorted by name: the usable ones and the broken ones with why."""
    installed: list[InstalledModel] = []
    broken: list[BrokenModel] = []
    if not models_root.is_dir():
        return installed, broken
    for folder in sorted(models_root.iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        try:
            installed.append(_describe(folder))
        except (ModelPackageError, OSError) as error:
            broken.append(BrokenModel(folder.name, folder, str(error)))
    return installed, broken


def list_installed(models_root: Path) -> list[InstalledModel]:
    """The usable models (broken folders are left out: `scan` says why they are broken)."""
    return scan(models_root)[0]


def resolve(models_root: Path, name: str) -> Path:
    """The folder of an installed model; refuses names that are not a plain model name."""
    if name != sanitise_name(name):
        raise ModelPackageError(f"{name!r} is not a model name: use letters, digits, '.', '_' or '-'")
    return models_root / name


def delete(models_root: Path, name: str) -> None:
    """Remove an installed model; it disappears from listings at once (renamed away, then removed)."""
    folder = resolve(models_root, name)
    if not folder.is_dir():
        raise ModelPackageError(f"no installed model named {name!r} in {models_root}")
    with _work_folder(models_root, f".deleted-{name}-") as retired:
        os.rename(folder, retired / name)
