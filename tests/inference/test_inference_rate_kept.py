"""Issue 26, item 4: an action rate chosen at run time is in force again after the inference node restarts with the
same launch value (the real node process, its parameter services over real DDS); a launch with another value wins.
A node name of its own, so no other test's inference node answers."""

from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import GetParameters, SetParameters

from support.rosgraph import NodeProcess, wait_for

NODE = "rate_memory_node"


def rate_in_force(ros_probe) -> float:
    request = GetParameters.Request(names=["max_rate_hz"])
    return ros_probe.call(GetParameters, f"/{NODE}/get_parameters", request).values[0].double_value


def test_a_rate_chosen_at_run_time_is_in_force_again_after_a_restart(ros_probe, tmp_path):
    kept = tmp_path / "action_rate.json"
    parameters = {"models_root": str(tmp_path / "models"), "action_rate_file": str(kept)}
    with NodeProcess("inference_pkg", "inference_node", parameters, name=NODE):
        assert rate_in_force(ros_probe) == 0.0
        request = SetParameters.Request(parameters=[Parameter(name="max_rate_hz", value=ParameterValue(
            type=ParameterType.PARAMETER_DOUBLE, double_value=15.0))])
        assert ros_probe.call(SetParameters, f"/{NODE}/set_parameters", request).results[0].successful
    assert kept.exists()
    with NodeProcess("inference_pkg", "inference_node", parameters, name=NODE) as node:
        wait_for(lambda: rate_in_force(ros_probe) == 15.0, what="the kept rate back in force")
        assert "max_rate_hz 15 in force, as chosen at run time before a restart" in node.output()
    with NodeProcess("inference_pkg", "inference_node", {**parameters, "max_rate_hz": 10.0}, name=NODE):
        assert rate_in_force(ros_probe) == 10.0  # the launch configuration changed: it wins
    assert not kept.exists()
