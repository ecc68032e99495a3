"""Drive-mode and sensor names: one module per language, and the two agree (the browser cannot import Python)."""

from __future__ import annotations

import re
from importlib import resources

from deepracer_common_pkg import vocabulary


def _javascript() -> str:
    return resources.files("webserver_pkg").joinpath("static/js/vocabulary.js").read_text()


def _object_keys(source: str, name: str) -> list[str]:
    body = re.search(rf"export const {name} = \{{(.*?)\}};", source, re.S)
    assert body, f"vocabulary.js has no object {name}"
    keys = re.findall(r"^\s*(\[?\w+\]?):", body.group(1), re.M)
    constants = dict(re.findall(r'^export const (\w+) = "([^"]*)";', source, re.M))
    return [constants[key[1:-1]] if key.startswith("[") else key for key in keys]


def test_the_browser_knows_the_same_drive_modes() -> None:
    source = _javascript()
    constants = dict(re.findall(r'^export const (\w+) = "([^"]*)";', source, re.M))
    assert constants == {"MANUAL": vocabulary.MANUAL, "AUTONOMOUS": vocabulary.AUTONOMOUS,
                         "CALIBRATION": vocabulary.CALIBRATION, "EXTERNAL": vocabulary.EXTERNAL}
    assert _object_keys(source, "MODE_LABELS") == list(vocabulary.DRIVE_MODES)


def test_every_sensor_has_the_original_consoles_word_and_no_other() -> None:
    assert list(vocabulary.SENSOR_WORDS) == list(vocabulary.SENSORS)


def test_no_other_page_module_spells_a_mode_or_sensor_name() -> None:
    folder = resources.files("webserver_pkg").joinpath("static/js")
    names = [*vocabulary.SENSORS, vocabulary.AUTONOMOUS, vocabulary.CALIBRATION]
    for module in folder.iterdir():
        if module.name.endswith(".js") and module.name != "vocabulary.js":
            text = module.read_text()
            assert not [n for n in names if f'"{n}"' in text], f"{module.name} spells a name of vocabulary.js"
