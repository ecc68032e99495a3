"""Model routes: list, load, upload, delete. Files are handled by inference_pkg.model_package (the
same code the inference node trusts); loading goes through the robot bridge.

An upload is streamed to a file in the console folder as it arrives (same disk as the models, not a RAM
/tmp on a 4 GB car; `uploads.UploadRequest`), then installed on the one installer thread: the package
module checks the archive before extracting and swaps the model in only once it is valid, so a bad
upload leaves every installed model as it was. A taken name is replaced only when asked (`on_conflict`),
never while that model drives the car; the same graph under other names is pointed out in the answer.

The lists answer as the original console did (aws-deepracer-webserver-pkg, models.py and constants.py): in
`/api/models`, `model_name` is the graph file's name without its extension (the original listed `<name>.pb`: it is
what its UI puts in `PUT /api/models/<folder>/<model_name>`), and algorithm, action space and sensors are the
words the original showed; `/api/uploaded_model_list` gives the same words, its sensors joined into one text.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from deepracer_common_pkg.drive_rules import model_change_refusal, model_load_refusal, model_readiness
from deepracer_common_pkg.vocabulary import (
    FRONT_FACING_CAMERA,
    LEFT_CAMERA,
    LIDAR,
    OBSERVATION,
    SECTOR_LIDAR,
    SENSOR_WORDS,
    STEREO_CAMERAS,
)
from inference_pkg.graph_files import find_graph
from inference_pkg.metadata import METADATA_FILE, ModelMetadata
from inference_pkg.model_package import (
    InstalledModel,
    ModelPackageError,
    delete,
    install,
    list_installed,
    sanitise_name,
    scan,
)
from webserver_pkg.context import console
from webserver_pkg.robot.bridge import ModelStateView, NavigationView, RobotBridge
from webserver_pkg.services import device_info, uploads
from webserver_pkg.views.api_input import ApiError, choice, json_body, ok
from webserver_pkg.views.car_in_use import refuse_while_started

blueprint = Blueprint("models", __name__, url_prefix="/api")
log = logging.getLogger(__name__)

MB = 1024 * 1024
# A package unpacks to little more than its upload (graphs barely compress); checkpoints can double it.
UNPACKED_PER_UPLOADED = 2
MAX_PACKAGE_FILES = 200
# Which camera/lidar status each sensor of a model needs.
SENSOR_NEEDS = {FRONT_FACING_CAMERA: "camera_status", LEFT_CAMERA: "camera_status", OBSERVATION: "camera_status",
                STEREO_CAMERAS: "stereo_status", LIDAR: "lidar_status", SECTOR_LIDAR: "lidar_status"}
# The words the original console showed (its constants.py name mappings; sensors: vocabulary.SENSOR_WORDS).
ALGORITHM_WORDS = {"clipped_ppo": "Clipped PPO", "sac": "Soft actor critic"}
ACTION_SPACE_WORDS = {"discrete": "Discrete", "continuous": "Continuous"}
CHANGED_SINCE_LOADED = ("its files changed on disk after it was loaded: the car still drives the graph it loaded "
                        "then; load it again to drive these files")


def _models_root() -> Path:
    return console().config.models_path


def _status(model: InstalledModel, state: ModelStateView | None) -> tuple[str, str]:
    """The list's status word for `model`, and a note when the word needs one."""
    if state is None or Path(state.model_dir) != model.path:
        return "Ready", ""
    if state.state == "loaded" and _changed_since(model.path, state.heard_ns):
        return "Changed", CHANGED_SINCE_LOADED
    return {"loading": "Loading", "loaded": "Loaded", "error": "Error"}.get(state.state, "Ready"), ""


def _changed_since(folder: Path, heard_ns: int) -> bool:
    """Whether the graph or metadata files were replaced (DREM untars over the folder, an upload replaces it) at or
    after the moment the console heard the load: a load reads its files before it is reported, so those written
    in the same clock tick as that report were written after the load."""
    try:
        files = (*find_graph(folder).files, folder / METADATA_FILE)
        return any(path.stat().st_ctime_ns >= heard_ns for path in files)
    except (ModelPackageError, OSError):
        return True


def _words(metadata: ModelMetadata) -> tuple[str, str, list[str]]:
    """Training algorithm, action-space type and sensors in the original's words."""
    return (ALGORITHM_WORDS.get(metadata.training_algorithm, metadata.training_algorithm),
            ACTION_SPACE_WORDS.get(metadata.action_space.type, metadata.action_space.type),
            [SENSOR_WORDS.get(sensor, sensor) for sensor in metadata.sensors])


def _graph_name(model: InstalledModel) -> str:
    try:
        return find_graph(model.path).path.stem
    except ModelPackageError:
        return model.name


def _size_text(size: int) -> str:
    return f"{size / MB:.1f} MB" if size >= MB / 10 else f"{size / 1024:.1f} KB"


@blueprint.route("/models")
def models() -> ResponseReturnValue:
    bridge = console().bridge
    sensors = device_info.sensor_status(bridge.camera_status(), bridge.lidar_connected())
    entries = []
    for model in list_installed(_models_root()):
        algorithm, space, sensor_words = _words(model.metadata)
        entries.append({
            "model_name": _graph_name(model),
            "model_folder_name": model.name,
            "model_training_algorithm": algorithm,
            "model_action_space_type": space,
            "model_sensors": sensor_words,
            "is_select_disabled": any(sensors.get(SENSOR_NEEDS.get(s, ""), "connected") != "connected"
                                      for s in model.metadata.sensors),
        })
    return ok(models=entries, sensor_status=sensors)


@blueprint.route("/uploaded_model_list")
def uploaded_model_list() -> ResponseReturnValue:
    """Installed models, and broken folders with the reason, so a racer can see what is wrong and delete them."""
    state = console().bridge.model_state()
    installed, broken = scan(_models_root())
    listed = []
    for model in installed:
        status, note = _status(model, state)
        algorithm, space, sensor_words = _words(model.metadata)
        listed.append({
            "name": model.name,
            "size": _size_text(model.size_bytes),
            "size_bytes": model.size_bytes,
            "creation_time": model.installed_at,
            "status": status,
            "problem": note,
            "warnings": list(model.metadata.warnings),
            "training_algorithm": algorithm,
            "action_space_type": space,
            "sensors": ", ".join(sensor_words),
            "md5": model.checksum,
        })
    return jsonify(listed + [{
        "name": folder.name, "size": "", "size_bytes": 0, "creation_time": folder.path.stat().st_mtime,
        "status": "Broken", "problem": folder.reason, "warnings": [], "training_algorithm": "",
        "action_space_type": "", "sensors": "", "md5": "",
    } for folder in broken])


@blueprint.route("/isModelLoading")
def is_model_loading() -> ResponseReturnValue:
    state = console().bridge.model_state()
    if state is None:
        return ok(isModelLoading="idle", model_name="", reason="the inference node has not reported yet",
                  load_seconds=0.0)
    return ok(isModelLoading=_loading_word(state, console().bridge.navigation_state()), model_name=state.model_name,
              reason=state.reason, load_seconds=state.load_seconds)


def _loading_word(model: ModelStateView, navigation: NavigationView | None) -> str:
    """The one readiness rule (drive_rules.model_readiness), as compat_node and the fleet link answer it."""
    return model_readiness(model, navigation)


@blueprint.route("/models/<folder>/<model_file>", methods=["PUT", "POST"])
def load_model(folder: str, model_file: str) -> ResponseReturnValue:
    bridge = console().bridge
    target = installed_model(folder)
    navigation = bridge.navigation_state()
    refusal = model_load_refusal(navigation is not None and navigation.started)
    if refusal:
        raise ApiError(refusal, 409)
    bridge.load_model(str(target.path))
    log.info("model %s (%s) requested from %s", folder, model_file, request.remote_addr)
    return ok()


def installed_model(name: str) -> InstalledModel:
    """The installed model `name`, or the ApiError that says why it cannot be loaded (missing, or broken)."""
    installed, broken = scan(_models_root())
    for model in installed:
        if model.name == name:
            return model
    for folder in broken:  # there, but not loadable: say why rather than "not installed"
        if folder.name == name:
            raise ApiError(f"model {name} cannot be loaded: {folder.reason}. Upload it again, or delete it "
                           "on the Models page", 409)
    raise ApiError(f"no installed model named {name!r}: upload it on the Models page first", 404)


def _refuse_if_driving(folder: Path, action: str, bridge: RobotBridge | None = None) -> None:
    """The one rule (drive_rules.model_change_refusal), answered in the console's words (views.car_in_use)."""
    bridge = bridge or console().bridge
    if model_change_refusal(folder, bridge.model_state(), bridge.navigation_state()):
        refuse_while_started(action, bridge)


@blueprint.route("/uploadModels", methods=["PUT", "POST"])
def upload_models() -> ResponseReturnValue:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError("no file chosen: choose a model package (the .tar.gz exported from the DeepRacer console) "
                       "and send it as the multipart field 'file'")
    # Unsaid, a same-name upload replaces, as on the original console: DREM and scripts upload a racer's model
    # again under its name and expect it in place. The Models page always says which it wants (it asks first).
    on_conflict = choice({"on_conflict": request.args.get("on_conflict", uploads.REPLACE)}, "on_conflict",
                         uploads.ON_CONFLICT)
    state, root = console(), _models_root()
    try:
        name = sanitise_name(upload.filename)
    except ModelPackageError as error:
        raise ApiError(f"{upload.filename}: {error}") from None
    upload.stream.flush()  # the multipart parser wrote the part into the spool folder (uploads.UploadRequest)
    spooled = Path(upload.stream.name)
    max_bytes = state.config.max_upload_mb * MB * UNPACKED_PER_UPLOADED

    def install_upload() -> tuple[InstalledModel, bool]:
        replaced = False

        def choose(valid_name: str) -> str:  # on the installer thread, once the package is valid
            nonlocal replaced
            target = uploads.target_name(root, valid_name, on_conflict)
            replaced = (root / target).exists()
            if replaced:  # asked now, just before the swap: the car may have been started since the request
                _refuse_if_driving(root / target, f"replace {target} (it is the model driving the car), or keep "
                                   "both", state.bridge)
            return target

        installed = install(spooled, root, name, max_bytes=max_bytes, max_files=MAX_PACKAGE_FILES,
                            label=upload.filename, choose_name=choose)
        return installed, replaced

    try:
        installed, replaced = state.installer.run(install_upload)
    except uploads.NameTaken as taken:
        raise ApiError(str(taken), 409, conflict="name_taken", model_name=taken.name, free_name=taken.free) from None
    except ModelPackageError as error:  # its words name the uploaded file and what is wrong with it
        log.warning("upload of %s refused: %s", upload.filename, error)
        raise ApiError(str(error)) from None
    except OSError as error:
        raise ApiError(f"{upload.filename}: could not be stored ({error.strerror}): free some disk space "
                       "or delete models", 507) from None
    same = [m.name for m in list_installed(root) if m.checksum == installed.checksum and m.name != installed.name]
    log.info("model %s installed from %s (%d bytes)", installed.name, request.remote_addr, installed.size_bytes)
    return ok(model_name=installed.name, replaced=replaced, same_as=same, warning=uploads.same_file_warning(same))


@blueprint.route("/deleteModels", methods=["PUT", "POST"])
def delete_models() -> ResponseReturnValue:
    names = json_body().get("filenames")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ApiError("filenames must be a non-empty list of model names")
    installed, broken = scan(_models_root())
    folders = {m.name: m.path for m in installed} | {b.name: b.path for b in broken}  # broken ones can go too
    for name in names:  # every name checked before anything is deleted
        if name not in folders:
            raise ApiError(f"no installed model named {name!r}: upload it on the Models page first", 404)
        _refuse_if_driving(folders[name], f"delete {name} (it is the model driving the car); nothing was deleted")
    for name in names:
        try:
            delete(_models_root(), name)
        except ModelPackageError as error:
            raise ApiError(str(error), 404) from None
        log.info("model %s deleted from %s", name, request.remote_addr)
    return ok()


@blueprint.route("/is_model_installed")
def is_model_installed() -> ResponseReturnValue:
    """As the original: `success` says whether a model folder of that name is there (its UI reads it as "installed"
    and asks before replacing), 200 either way, with the original's message."""
    raw = request.args.get("filename", "")
    try:
        name = sanitise_name(raw)
    except ModelPackageError as error:
        raise ApiError(str(error)) from None
    there = (_models_root() / name).is_dir()
    return jsonify(success=there, message="Model is installed" if there else "Model is not installed",
                   is_installed=there, model_name=name)
