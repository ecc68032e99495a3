"""model_metadata.json parsing: every real variant, the defaults, the contradictory case, and bad files."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from inference_pkg.lidar import LidarSettings
from inference_pkg.model_package import ModelPackageError, load_metadata, parse_metadata

REAL_METADATA = Path(__file__).parent / "data" / "model-metadata"
REAL_FILES = sorted(REAL_METADATA.glob("*/model_metadata.json"))
DISCRETE = {"action_space": [{"steering_angle": -30, "speed": 1.0}, {"steering_angle": 30, "speed": 2.0}]}


def real(name: str) -> dict:
    return json.loads((REAL_METADATA / name / "model_metadata.json").read_text())


def test_the_real_files_are_all_here():
    assert len(REAL_FILES) == 14


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.parent.name)
def test_every_real_file_parses_consistently(path: Path):
    metadata = load_metadata(path)
    space = metadata.action_space
    assert metadata.training_algorithm in ("clipped_ppo", "sac")
    assert len(metadata.sensors) >= 1
    if space.type == "discrete":
        assert len(space.steering_angle) == len(space.speed) == space.policy_output_count > 0
        assert space.steering_low == min(space.steering_angle) and space.speed_high == max(space.speed)
    else:
        assert space.steering_angle == () and space.policy_output_count == 2
        assert space.steering_low < space.steering_high and space.speed_low < space.speed_high


def test_stereo_lidar_ppo_continuous_file():
    metadata = parse_metadata(real("btech-8e4c1bcd"))
    assert metadata.sensors == ("STEREO_CAMERAS", "LIDAR")
    assert metadata.camera_sensor == "STEREO_CAMERAS" and metadata.lidar_sensor == "LIDAR"
    assert metadata.training_algorithm == "clipped_ppo"
    assert (metadata.action_space.type, metadata.action_space.speed_low, metadata.action_space.speed_high) == (
        "continuous", 0.5, 2.5)
    assert metadata.lidar_settings() == LidarSettings()
    assert metadata.warnings == ()


def test_old_console_sample_relies_on_every_default():
    """console-Sample_single_cam has no sensor, algorithm, type or version; its actions carry "index"."""
    metadata = parse_metadata(real("console-Sample_single_cam"))
    assert metadata.sensors == ("observation",)
    assert metadata.training_algorithm == "clipped_ppo"
    assert metadata.action_space.type == "discrete"
    assert len(metadata.action_space.steering_angle) == 15
    assert metadata.action_space.speed[2] == 2.0
    assert metadata.version == "" and metadata.lidar_config is None and metadata.lidar_settings() is None


def test_discrete_type_over_a_continuous_range_is_continuous_with_a_warning():
    """The real btech-bbfb858a (SAC) says "discrete" over a {low, high} range: the range decides."""
    metadata = parse_metadata(real("btech-bbfb858a"))
    assert metadata.training_algorithm == "sac"
    assert metadata.action_space.type == "continuous"
    assert (metadata.action_space.steering_low, metadata.action_space.steering_high) == (-30.0, 30.0)
    assert metadata.action_space.policy_output_count == 2
    assert len(metadata.warnings) == 1 and "'discrete'" in metadata.warnings[0]


def test_continuous_type_over_a_list_is_discrete_with_a_warning():
    data = real("drfc-sample-1")
    data["action_space_type"] = "continuous"
    metadata = parse_metadata(data)
    assert metadata.action_space.type == "discrete" and metadata.action_space.policy_output_count == 14
    assert "treated as discrete" in metadata.warnings[0]


def test_action_index_is_the_most_probable_action_or_minus_one():
    discrete = parse_metadata(DISCRETE).action_space
    continuous = parse_metadata(real("btech-fb4a1a7a")).action_space
    assert discrete.action_index([0.2, 0.8]) == 1
    assert discrete.action_index([0.7, 0.3]) == 0
    assert continuous.action_index([0.9, -0.5]) == -1


def test_lidar_config_overrides_defaults():
    data = {**DISCRETE, "sensor": ["FRONT_FACING_CAMERA", "SECTOR_LIDAR"],
            "lidar_config": {"num_sectors": 4, "max_distance": 0.5, "preprocess_type": "SECTOR"}}
    settings = parse_metadata(data).lidar_settings()
    assert settings is not None
    assert (settings.sectors, settings.num_sectors, settings.far_limit, settings.vector_length) == (True, 4, 0.5, 4)


def _bad(change) -> dict:
    data = copy.deepcopy(real("btech-660ea65b"))
    change(data)
    return data


BAD = {
    "not an object": (lambda d: None, ["x"], "JSON object"),
    "missing action_space": (lambda d: d.pop("action_space"), None, "action_space is missing"),
    "empty action_space": (lambda d: d.update(action_space=[]), None, "action_space is an empty list"),
    "action without speed": (lambda d: d["action_space"][3].pop("speed"), None, "action_space[3]"),
    "text speed": (lambda d: d["action_space"][0].update(speed="fast"), None, "action_space[0].speed"),
    "NaN steering": (lambda d: d["action_space"][1].update(steering_angle=float("nan")), None,
                     "action_space[1].steering_angle"),
    "range low above high": (lambda d: d.update(action_space={"steering_angle": {"low": 30, "high": -30},
                                                              "speed": {"low": 1, "high": 2}}),
                             None, "action_space.steering_angle.low"),
    "range without speed": (lambda d: d.update(action_space={"steering_angle": {"low": -30, "high": 30}}),
                            None, "action_space.speed"),
    "action_space a number": (lambda d: d.update(action_space=5), None, "action_space must be"),
    # issue 12: accepted here once, then refused by navigation; one validator now decides for both
    "steering range below 0": (lambda d: d.update(action_space={"steering_angle": {"low": -30, "high": -10},
                                                                "speed": {"low": 1, "high": 2}}),
                               None, "action_space.steering_angle.high is -10: it must be above 0"),
    # issue 19 finding 3: reverse speeds installed, loaded and drove the car backwards
    "every speed negative": (lambda d: [a.update(speed=-a["speed"]) for a in d["action_space"]], None,
                             "action_space[0].speed is -1 m/s: speeds below 0 (reverse) are refused"),
    "one speed negative": (lambda d: d["action_space"][4].update(speed=-0.5), None,
                           "action_space[4].speed is -0.5 m/s: speeds below 0"),
    "speed range below 0": (lambda d: d.update(action_space={"steering_angle": {"low": -30, "high": 30},
                                                             "speed": {"low": -1, "high": 2}}),
                            None, "action_space.speed.low is -1 m/s: speeds below 0 (reverse) are refused"),
    "every speed 0": (lambda d: [a.update(speed=0) for a in d["action_space"]], None, "could never move"),
    "unknown sensor": (lambda d: d.update(sensor=["FRONT_FACING_CAMERA", "RADAR"]), None, "'RADAR' is unknown"),
    "empty sensor list": (lambda d: d.update(sensor=[]), None, "sensor must be a non-empty list"),
    "two cameras": (lambda d: d.update(sensor=["FRONT_FACING_CAMERA", "STEREO_CAMERAS"]), None,
                    "exactly one camera"),
    "lidar only": (lambda d: d.update(sensor=["LIDAR"]), None, "exactly one camera"),
    "two lidars": (lambda d: d.update(sensor=["FRONT_FACING_CAMERA", "LIDAR", "SECTOR_LIDAR"]), None,
                   "at most one LiDAR"),
    "unknown algorithm": (lambda d: d.update(training_algorithm="dqn"), None, "training_algorithm must be"),
    "unknown type": (lambda d: d.update(action_space_type="hybrid"), None, "action_space_type must be"),
    "lidar_config text": (lambda d: d.update(sensor=["FRONT_FACING_CAMERA", "LIDAR"], lidar_config="far"), None,
                          "lidar_config must be an object"),
    "lidar_config bad value": (lambda d: d.update(sensor=["FRONT_FACING_CAMERA", "LIDAR"],
                                                  lidar_config={"num_values": "many"}),
                               None, "lidar_config.num_values"),
    "lidar_config bad angles": (lambda d: d.update(sensor=["FRONT_FACING_CAMERA", "LIDAR"],
                                                   lidar_config={"min_angle": 10, "max_angle": -10}),
                                None, "min_angle"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_metadata_names_file_and_field(case: str):
    change, replacement, expected = BAD[case]
    data = replacement if replacement is not None else _bad(change)
    with pytest.raises(ModelPackageError) as caught:
        parse_metadata(data, "upload/model_metadata.json")
    message = str(caught.value)
    assert message.startswith("upload/model_metadata.json: ")
    assert expected in message


def test_load_metadata_reports_bad_json_with_position(tmp_path: Path):
    path = tmp_path / "model_metadata.json"
    path.write_text('{"action_space": [\n  {"speed": 1,}\n]}')
    with pytest.raises(ModelPackageError, match=r"model_metadata.json: is not valid JSON \(line 2"):
        load_metadata(path)


def test_load_metadata_reports_a_missing_file(tmp_path: Path):
    with pytest.raises(ModelPackageError, match="file is missing"):
        load_metadata(tmp_path / "model_metadata.json")


def test_load_metadata_reports_binary_garbage(tmp_path: Path):
    path = tmp_path / "model_metadata.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ModelPackageError, match="UTF-8"):
        load_metadata(path)
