"""The closed-loop simulator's console API: its race state, its track for the map, and Reset.

A real car runs no simulator: every route then answers 404 with that reason (the page hides the map),
rather than a 503 that would say something is broken.
"""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from sim_pkg.tracks import load_track
from webserver_pkg.context import console
from webserver_pkg.robot.bridge import SimStateView
from webserver_pkg.views.api_input import ApiError, ok

blueprint = Blueprint("sim_api", __name__, url_prefix="/api/sim")
NO_SIMULATOR = ("no simulator runs on this car: it drives real hardware (`make run` starts the stack with the "
                "simulator; launch/car.yaml leaves it out)")


def _state() -> SimStateView:
    state = console().bridge.sim_state()
    if state is None:
        raise ApiError(NO_SIMULATOR, 404)
    return state


@blueprint.route("/state")
def state() -> ResponseReturnValue:
    sim = _state()
    return ok(track=sim.track, laps=sim.laps, lap_times_s=[round(t, 3) for t in sim.lap_times_s],
              last_lap_s=round(sim.lap_times_s[-1], 3) if sim.lap_times_s else None,
              best_lap_s=round(min(sim.lap_times_s), 3) if sim.lap_times_s else None,
              off_track=sim.off_track, progress=round(sim.progress, 1), on_track=sim.on_track,
              pose={"x": round(sim.x, 4), "y": round(sim.y, 4), "yaw": round(sim.yaw, 4)},
              speed_m_s=round(sim.speed_m_s, 3))


@blueprint.route("/track")
def track() -> ResponseReturnValue:
    """The simulated track's outline for the map (metres, rows in the driving direction, first = start line)."""
    name = _state().track
    try:
        geometry = load_track(name)
    except ValueError as error:
        raise ApiError(f"the simulator drives a track this console does not know: {error}", 404) from None

    def rows(points) -> list[list[float]]:
        return [[round(float(x), 3), round(float(y), 3)] for x, y in points]

    return ok(name=name, length_m=round(geometry.length, 3), width_m=round(geometry.width, 3),
              centre=rows(geometry.centre), inner=rows(geometry.inner), outer=rows(geometry.outer))


@blueprint.route("/reset", methods=["POST"])
def reset() -> ResponseReturnValue:
    _state()
    console().bridge.sim_reset()
    return ok()
