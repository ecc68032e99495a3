"""The Runs page and its API: the runs the logging node recorded, replayed frame by frame, downloaded, deleted.

Bags are read on the server with `rosbags` through logging_pkg's catalog and replay modules, a page of frames
or one picture at a time, never a whole bag into memory; downloads stream as .tar.gz. The folder is the
console's `runs_root`, which the graph sets to the logging node's `output_path`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue

from logging_pkg.run_archive import stream_tar_gz
from logging_pkg.run_catalog import RunNotFound, delete_run, list_runs, run_folder
from webserver_pkg.context import console
from webserver_pkg.views.api_input import ApiError, ok, whole_number_text
from webserver_pkg.views.pages import _page

if TYPE_CHECKING:
    from logging_pkg.run_replay import ReplayCache, RunReplay

blueprint = Blueprint("runs", __name__)
CACHE = "deepracer_run_replays"
MAX_PAGE = 1000


def _root() -> Path:
    return console().config.runs_path


def _cache() -> ReplayCache:
    """The open replays; the replay module is imported at the first one: it loads OpenCV (about 15 MB), which a
    console nobody replays a run on never needs."""
    from logging_pkg.run_replay import ReplayCache

    return current_app.extensions.setdefault(CACHE, ReplayCache())


def _folder(name: str) -> Path:
    try:
        return run_folder(_root(), name)
    except RunNotFound as error:
        raise ApiError(str(error), 404) from None


def _replay(name: str) -> RunReplay:
    """The run opened for replay (kept open for the next requests); 409 with the reason when it cannot be."""
    from logging_pkg.run_replay import ReplayError

    try:
        return _cache().get(_folder(name))
    except ReplayError as error:
        raise ApiError(f"run {name} cannot be replayed: {error}", 409) from None


@blueprint.route("/runs")
def page() -> ResponseReturnValue:
    return _page("runs.html", "runs")


@blueprint.route("/api/runs")
def runs() -> ResponseReturnValue:
    return ok(folder=str(_root()), runs=[run.as_dict() for run in list_runs(_root())])


@blueprint.route("/api/runs/<name>/timeline")
def timeline(name: str) -> ResponseReturnValue:
    """A page of frames: time, sequence, chosen action and outputs, steering and throttle."""
    start = whole_number_text(request.args.get("start", "0"), "start", 0, 10**9)
    count = whole_number_text(request.args.get("count", "500"), "count", 1, MAX_PAGE)
    data = _replay(name).timeline
    rows = data.frames[start:start + count]
    return ok(total=len(data.frames), start=start, action_space_type=data.action_space_type,
              model_name=data.model_name,
              frames=[{"i": r.index, "t": r.t_s, "seq": r.sequence, "action": r.action_index,
                       "outputs": list(r.outputs), "steering": r.steering, "throttle": r.throttle} for r in rows])


@blueprint.route("/api/runs/<name>/frame/<index>")
def frame(name: str, index: str) -> ResponseReturnValue:
    """Frame `index`'s picture as PNG (stereo: left and right side by side)."""
    from logging_pkg.run_replay import ReplayError

    replay = _replay(name)
    frames = replay.timeline.frames
    number = whole_number_text(index, "index", 0, 10**9)
    if number >= len(frames):
        raise ApiError(f"run {name} has {len(frames)} frames; frame {number} does not exist", 404)
    try:
        png = replay.picture_png(frames[number])
    except ReplayError as error:
        raise ApiError(f"frame {number} of run {name} cannot be read: {error}", 409) from None
    return Response(png, mimetype="image/png", headers={"Cache-Control": "private, max-age=3600"})


@blueprint.route("/api/runs/<name>/download")
def download(name: str) -> ResponseReturnValue:
    folder = _folder(name)
    return Response(stream_tar_gz(folder), mimetype="application/gzip",
                    headers={"Content-Disposition": f'attachment; filename="{folder.name}.tar.gz"'})


@blueprint.route("/api/runs/<name>", methods=["DELETE"])
def delete(name: str) -> ResponseReturnValue:
    _folder(name)
    try:
        delete_run(_root(), name)
    except PermissionError as error:
        raise ApiError(str(error), 409) from None
    except OSError as error:
        raise ApiError(f"run {name} could not be deleted: {error.strerror}", 409) from None
    return ok()
