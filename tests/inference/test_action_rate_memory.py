"""The kept action rate (inference_pkg.action_rate_memory): back in force after a restart with the same launch
configuration, given up for a launch that sets another value, harmless when damaged."""

from inference_pkg import action_rate_memory


def test_a_choice_is_back_in_force_when_the_node_starts_with_the_same_launch_value(tmp_path):
    path = tmp_path / "action_rate.json"
    assert action_rate_memory.at_start(path, 0.0) is None  # nothing chosen yet: the launch value stands
    action_rate_memory.keep(path, 15.0, 0.0)
    assert action_rate_memory.at_start(path, 0.0) == 15.0
    assert action_rate_memory.at_start(path, 0.0) == 15.0  # every restart, not once


def test_a_launch_with_another_value_wins_and_the_choice_is_forgotten(tmp_path):
    path = tmp_path / "action_rate.json"
    action_rate_memory.keep(path, 15.0, 0.0)
    assert action_rate_memory.at_start(path, 10.0) is None
    assert not path.exists()
    assert action_rate_memory.at_start(path, 0.0) is None


def test_choosing_the_launch_value_again_changes_nothing_at_start(tmp_path):
    path = tmp_path / "action_rate.json"
    action_rate_memory.keep(path, 15.0, 0.0)
    action_rate_memory.keep(path, 0.0, 0.0)
    assert action_rate_memory.at_start(path, 0.0) is None


def test_a_damaged_file_keeps_nothing(tmp_path):
    path = tmp_path / "action_rate.json"
    for text in ("{", "[]", '{"chosen_hz": "fast", "launched_hz": 0}', '{"chosen_hz": -1, "launched_hz": 0}',
                 '{"chosen_hz": NaN, "launched_hz": 0}'):
        path.write_text(text)
        assert action_rate_memory.read(path) is None, text
        assert action_rate_memory.at_start(path, 0.0) is None


def test_nothing_is_written_when_nothing_changes(tmp_path):
    path = tmp_path / "action_rate.json"
    action_rate_memory.keep(path, 0.0, 0.0)  # the launch value, nothing kept: no file
    assert not path.exists()
    action_rate_memory.keep(path, 15.0, 0.0)
    written = path.stat().st_mtime_ns
    action_rate_memory.keep(path, 15.0, 0.0)
    assert path.stat().st_mtime_ns == written
