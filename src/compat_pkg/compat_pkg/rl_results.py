"""The original car's /inference_pkg/rl_results, made from our messages: the camera's colour JPEG of a capture as it
came, untouched, with the policy output computed from that capture (both carry the capture's stamp). DREM's video
job decodes images[0] as the colour camera frame and checks len(results) against the model's action space.

One home for both makers of it: compat_node, which publishes it while a tool reads it, and the logger, which
records it into each run's bag from the messages it is handed in-process (no trip through compat_node over DDS).
"""

from __future__ import annotations

from collections import OrderedDict

from sensor_msgs.msg import CompressedImage

from compat_pkg import original_interface as original
from deepracer_common_pkg.message_maker import maker
from deepracer_common_pkg.stamps import to_ns
from deepracer_interfaces_pkg.msg import InferenceResult, InferResults, InferResultsArray

KEPT = 8  # pictures (and outputs) kept, each waiting for the other of its capture


# One of each per picture, a result per action (15 and 180 a second while the logger records): made without the
# generated constructors' defaults (deepracer_common_pkg.message_maker).
_class_result = maker(InferResults, "class_label", "class_prob", "x_min", "y_min", "x_max", "y_max")
_results_array = maker(InferResultsArray, "results", "images")


def rl_results(result: InferenceResult, picture: CompressedImage) -> InferResultsArray:
    results = [_class_result(r.class_label, r.class_prob, 0.0, 0.0, 0.0, 0.0)
               for r in original.class_results(result.action_space_type, result.outputs)]
    return _results_array(results, [picture])


class RlResultsPairing:
    """Pictures and policy outputs by capture stamp, each kept until the other of its capture arrives: either may
    come first (the camera hands a frame to inference before it sends its picture), and a picture is sent for
    every other frame at most (the display rate), so most outputs never get one and are let go."""

    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._pictures: OrderedDict[int, CompressedImage] = OrderedDict()
        self._results: OrderedDict[int, InferenceResult] = OrderedDict()

    def picture(self, picture: CompressedImage) -> InferResultsArray | None:
        """The rl_results message this picture completes, if its output is here."""
        result = self._meet(to_ns(picture.header.stamp), picture, self._pictures, self._results)
        return None if result is None else rl_results(result, picture)

    def result(self, result: InferenceResult) -> InferResultsArray | None:
        """The rl_results message this output completes, if its picture is here."""
        picture = self._meet(to_ns(result.header.stamp), result, self._results, self._pictures)
        return None if picture is None else rl_results(result, picture)

    def _meet(self, stamp: int, item: object, mine: OrderedDict, theirs: OrderedDict):
        """The other half of `item`'s capture, taken; or None, and `item` kept to wait for it."""
        other = theirs.pop(stamp, None)
        if other is None:
            mine[stamp] = item
            while len(mine) > self._kept:
                mine.popitem(last=False)
        return other

    def clear(self) -> None:
        self._pictures.clear()
        self._results.clear()
