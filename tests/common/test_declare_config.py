"""declare_config: the config dataclass is the single source of parameters, defaults and validation."""

from dataclasses import dataclass

import pytest
import rclpy
from rclpy.parameter import Parameter

from deepracer_common_pkg.params import declare_config


@dataclass(frozen=True)
class Config:
    rate_hz: float = 15.0
    source: str = "synthetic"

    def __post_init__(self) -> None:
        if self.rate_hz <= 0:
            raise ValueError(f"rate_hz must be > 0, got {self.rate_hz}")


def test_defaults_declared_overrides_taken_invalid_changes_refused(context):
    node = rclpy.create_node("config_test", context=context,
                             parameter_overrides=[Parameter("source", value="file:/a.mp4")])
    seen = []
    config = declare_config(node, Config, on_change=seen.append)
    assert config == Config(15.0, "file:/a.mp4")
    refused = node.set_parameters([Parameter("rate_hz", value=-1.0)])[0]
    assert not refused.successful
    assert "rate_hz must be > 0, got -1.0" in refused.reason
    assert node.set_parameters([Parameter("rate_hz", value=30.0)])[0].successful
    assert seen == [Config(30.0, "file:/a.mp4")]
    node.destroy_node()


def test_invalid_value_at_start_stops_the_node_with_the_reason(context):
    node = rclpy.create_node("config_test_bad", context=context,
                             parameter_overrides=[Parameter("rate_hz", value=0.0)])
    with pytest.raises(ValueError, match=r"rate_hz must be > 0, got 0\.0"):
        declare_config(node, Config)
    node.destroy_node()


def test_whole_numbers_are_taken_for_floats_but_other_types_are_refused(context):
    node = rclpy.create_node("config_test_types", context=context,
                             parameter_overrides=[Parameter("rate_hz", value=30)])
    config = declare_config(node, Config)
    assert config.rate_hz == 30.0 and isinstance(config.rate_hz, float)
    refused = node.set_parameters([Parameter("source", value=5)])[0]
    assert not refused.successful
    assert "source must be a str (like 'synthetic'), got 5" in refused.reason
    node.destroy_node()


def test_a_running_node_may_refuse_a_valid_change_with_its_reason(context):
    """What only the running node can judge (its state; a value checked against another node at start)."""
    node = rclpy.create_node("config_test_refuse", context=context)
    seen = []
    config = declare_config(node, Config, on_change=seen.append,
                            refuse=lambda candidate: "not while driving" if candidate.rate_hz > 20 else "")
    refused = node.set_parameters([Parameter("rate_hz", value=30.0)])[0]
    assert (refused.successful, refused.reason) == (False, "not while driving")
    assert node.get_parameter("rate_hz").value == 15.0 and seen == []
    assert node.set_parameters([Parameter("rate_hz", value=10.0)])[0].successful
    assert seen == [Config(10.0, "synthetic")] and config == Config()
    node.destroy_node()
