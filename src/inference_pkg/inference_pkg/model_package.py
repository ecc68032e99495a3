"""Model packages on the car: install an upload (tar.gz, tar or folder), list, delete.

Installed layout, one folder per model under the models root:
    <models_root>/<name>/model_metadata.json
                         model.pb            (or model.xml + model.bin for IR-only packages)
                         checksum.txt        md5 of model.pb (of model.xml then model.bin for IR)
                         .ir-cache/          converted IR, written by the first load
An upload is checked before anything is written (archive members: no absolute paths, no "..", regular
files and folders only, bounded count and size), unpacked into a hidden staging folder inside the models
root, validated completely (metadata, graph present, readable and matching the metadata), and only then
swapped in under its name. A failure at any step leaves every installed model as it was.
Pure Python plus OpenVINO (for the graph check), no ROS: the console uses it too.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from inference_pkg.metadata import (
    METADATA_FILE,
    ModelMetadata,
    ModelPackageError,
    load_metadata,
    parse_metadata,
)
from inference_pkg.policy_network import (
    AGENT_PB,
    CACHE_DIR,
    CHECKSUM_FILE,
    GRAPH_PB,
    IR_BIN,
    IR_XML,
    checksum,
    find_graph,
    recorded_checksum,
    validate_package,
)

__all__ = [
    "BrokenModel", "InstalledModel", "ModelMetadata", "ModelPackageError", "delete", "install",
    "list_installed", "load_metadata", "parse_metadata", "resolve", "sanitise_name", "scan",
]

DEFAULT_MAX_BYTES = 256 * 1024 * 1024  # a trained SHALLOW model is 23 MB; checkpoints make uploads larger
DEFAULT_MAX_FILES = 200
MAX_NAME_LENGTH = 64
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")


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


def _check_members(archive: Path, tar: tarfile.TarFile, max_bytes: int, max_files: int) -> list[tarfile.TarInfo]:
    """Every member, checked before any byte is extracted."""
    members, total = [], 0
    for member in tar:
        where = f"{archive.name}: member {member.name!r}"
        path = PurePosixPath(member.name)
        if path.is_absolute() or member.name.startswith(("/", "\\")) or ".." in path.parts:
            raise ModelPackageError(f"{where} points outside the package (absolute path or '..'): "
                                    "re-create the archive with relative paths")
        if not (member.isfile() or member.isdir()):
            raise ModelPackageError(f"{where} is a link, device or pipe: a model package holds only "
                                    "regular files and folders")
        total += member.size
        members.append(member)
        if len(members) > max_files:
            raise ModelPackageError(f"{archive.name}: holds more than {max_files} entries: "
                                    "upload only the model package")
        if total > max_bytes:
            raise ModelPackageError(f"{archive.name}: unpacks to more than {max_bytes // (1024 * 1024)} MB: "
                                    "upload only the model package")
    return members


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


def _unpack_archive(source: Path, staging: Path, max_bytes: int, max_files: int) -> None:
    try:
        with tarfile.open(source, "r:*") as tar:
            members = _check_members(source, tar, max_bytes, max_files)
            files = {m.name.removeprefix("./"): m for m in members if m.isfile()}
            for name, target in _wanted(list(files), _package_root(list(files), source.name)).items():
                handle = tar.extractfile(files[name])
                assert handle is not None  # regular files always have data
                with handle, (staging / target).open("wb") as out:
                    shutil.copyfileobj(handle, out)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise ModelPackageError(f"{source.name}: is not a readable .tar.gz or .tar archive, or it is damaged "
                                f"({error}): upload it again") from None


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
    retired = Path(tempfile.mkdtemp(prefix=f".retired-{target.name}-", dir=target.parent))
    os.rename(target, retired / target.name)
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(retired / target.name, target)
        raise
    finally:
        if target.exists():
            shutil.rmtree(retired, ignore_errors=True)


def _describe(folder: Path) -> InstalledModel:
    metadata = load_metadata(folder / METADATA_FILE)
    graph = find_graph(folder)
    digest = recorded_checksum(folder, graph)
    size = sum(p.stat().st_size for p in folder.rglob("*")
               if p.is_file() and CACHE_DIR not in p.relative_to(folder).parts)
    return InstalledModel(folder.name, folder, metadata, size, (folder / METADATA_FILE).stat().st_mtime, digest)


def install(source: Path, models_root: Path, name: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES,
            max_files: int = DEFAULT_MAX_FILES) -> InstalledModel:
    """Install a .tar.gz, .tar or folder as models_root/<name>, replacing a same-named model atomically.

    Raises ModelPackageError (naming file, field and fix) and leaves models_root as it was on any failure.
    """
    source = Path(source)
    if not source.exists():
        raise ModelPackageError(f"{source}: does not exist")
    final_name = sanitise_name(name if name is not None else source.name)
    models_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".install-", dir=models_root))
    try:
        staging.chmod(0o755)
        if source.is_dir():
            _copy_folder(source, staging, max_bytes, max_files)
        else:
            _unpack_archive(source, staging, max_bytes, max_files)
        _, graph = validate_package(staging)
        (staging / CHECKSUM_FILE).write_text(checksum(graph) + "\n")
        _swap_in(staging, models_root / final_name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
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
    retired = Path(tempfile.mkdtemp(prefix=f".deleted-{name}-", dir=models_root))
    os.rename(folder, retired / name)
    shutil.rmtree(retired, ignore_errors=True)
