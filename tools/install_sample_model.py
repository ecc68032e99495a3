"""Install the real trained DeepRacer sample model (deepracer-utils' model_48.pb with its metadata) beside the
demo model, for `make run`: with the simulator, a newcomer can load it and watch a real model lap a real track.

Fetched once with tools/fetch_sample_models.py (the deepracer-utils 1.5.6 source package from PyPI, MIT-0);
when it cannot be fetched (offline) the run goes on without it. Installed through inference_pkg's own
installer, so the package is checked exactly as an upload is; an installed copy is left as it is.
Usage: install_sample_model.py [--data-dir DIR] [any other launcher options, ignored]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from deepracer_common_pkg.graph import DEFAULT_DATA_DIR
from inference_pkg.demo_model import install_if_empty
from inference_pkg.model_package import install

NAME = "deepracer-sample-model-48"
FETCH = Path(__file__).resolve().with_name("fetch_sample_models.py")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("DEEPRACER_DATA_DIR", DEFAULT_DATA_DIR))
    args, _ = parser.parse_known_args(argv)
    models = Path(args.data_dir).expanduser() / "models"
    if (models / NAME).is_dir():
        return 0
    print("fetching the real sample model once (deepracer-utils 1.5.6 source package from PyPI, ~75 MB) ...",
          flush=True)
    fetched = subprocess.run([sys.executable, str(FETCH)], capture_output=True, text=True)
    if fetched.returncode != 0:
        print(f"sample model not installed: it could not be fetched ({fetched.stderr.strip()[-300:]})",
              file=sys.stderr)
        return 0
    source = Path(fetched.stdout.strip().splitlines()[-1])
    install_if_empty(models)  # the inference node adds the demo model only to an empty models folder
    with tempfile.TemporaryDirectory(prefix="sample-model-") as staging:
        package = Path(staging) / NAME
        package.mkdir()
        shutil.copyfile(source / "model_48.pb", package / "model.pb")
        shutil.copyfile(source / "model_metadata.json", package / "model_metadata.json")
        install(package, models, NAME)
    print(f"installed the real sample model as {models / NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
