"""Event mode: the car's name and tail light in every header and tab title, and the organiser's racer queue.

"Next racer" sets the car up for the head of the queue in one tap: loads their model, sets their tail light and
max speed 0 (the racer raises it), and is refused while the car is started (views.car_in_use: the racer on the
track stops first). The queue's rules are services.event_queue's; this is the HTTP layer over them.
"""

from __future__ import annotations

import logging
import socket

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from inference_pkg.model_package import scan
from webserver_pkg.context import console
from webserver_pkg.robot.bridge import BridgeError
from webserver_pkg.services.event_queue import TAIL_LIGHTS, new_racer, tail_light_name
from webserver_pkg.views.api_input import ApiError, json_body, ok
from webserver_pkg.views.car_in_use import refuse_while_started
from webserver_pkg.views.models import installed_model

blueprint = Blueprint("event", __name__, url_prefix="/api/event")
log = logging.getLogger(__name__)


@blueprint.app_context_processor
def car_name_for_pages() -> dict[str, object]:
    """Every page's header and <title> name the car (layout.html), so eight cars' tabs differ; with the event
    setting on, every page says its device is still there (layout.js, services.run_owner)."""
    store = console().event
    return {"car_name": store.car_name(socket.gethostname()), "presence_ping": store.stop_when_starter_leaves}


@blueprint.route("/identity")
def identity() -> ResponseReturnValue:
    """The car's name and tail light, for the header (layout.js); the colour is "" when the servo node does not
    answer, and the header then shows the name alone."""
    try:
        rgb = console().bridge.get_led_color()
    except BridgeError:
        return ok(car_name=console().event.car_name(socket.gethostname()), tail_light="", tail_light_rgb=[])
    return ok(car_name=console().event.car_name(socket.gethostname()), tail_light=tail_light_name(rgb),
              tail_light_rgb=list(rgb))


@blueprint.route("/car_name", methods=["POST"])
def set_car_name() -> ResponseReturnValue:
    try:
        console().event.set_car_name(json_body().get("name", ""))
    except ValueError as error:
        raise ApiError(str(error)) from None
    return ok(car_name=console().event.car_name(socket.gethostname()))


@blueprint.route("")
def event_state() -> ResponseReturnValue:
    store = console().event
    queue, current = store.queue()
    installed, _ = scan(console().config.models_path)
    return ok(car_name=store.car_name(socket.gethostname()), hostname=socket.gethostname(),
              queue=[vars(racer) for racer in queue], current=vars(current) if current else None,
              models=sorted(model.name for model in installed),
              tail_lights={name: list(rgb) for name, rgb in TAIL_LIGHTS.items()}, problem=store.problem,
              stop_when_starter_leaves=store.stop_when_starter_leaves)


@blueprint.route("/settings", methods=["POST"])
def settings() -> ResponseReturnValue:
    """The event's setting: stop a run when the device that started it goes away (services.run_owner)."""
    on = json_body().get("stop_when_starter_leaves")
    if not isinstance(on, bool):
        raise ApiError("stop_when_starter_leaves must be true or false")
    console().event.set_stop_when_starter_leaves(on)
    log.info("event setting: a run %s when the device that started it goes away (from %s)",
             "stops" if on else "keeps driving", request.remote_addr)
    return ok(stop_when_starter_leaves=on)


@blueprint.route("/racers", methods=["POST"])
def add_racer() -> ResponseReturnValue:
    body = json_body()
    try:
        console().event.add(new_racer(body.get("name"), body.get("model"), body.get("tail_light")))
    except ValueError as error:
        raise ApiError(str(error)) from None
    return ok()


@blueprint.route("/racers/<int:index>", methods=["DELETE"])
def remove_racer(index: int) -> ResponseReturnValue:
    try:
        console().event.remove(index)
    except ValueError as error:
        raise ApiError(str(error), 404) from None
    return ok()


@blueprint.route("/next", methods=["POST"])
def next_racer() -> ResponseReturnValue:
    """The queue's head is taken only once the model load was accepted: a refusal leaves them next."""
    state = console()
    racer = state.event.next_racer()
    if racer is None:
        raise ApiError("the racer queue is empty: add the next racer first", 409)
    refuse_while_started(f"tap Next racer for {racer.name}")
    try:
        model = installed_model(racer.model)
    except ApiError as error:
        raise ApiError(f"{racer.name}'s model: {error.reason}; or remove the racer from the queue", 409) from None
    state.bridge.set_max_speed(0.0)  # before the load: the old model never drives at the old speed meanwhile
    state.bridge.load_model(str(model.path))
    state.bridge.set_led_color(*TAIL_LIGHTS[racer.tail_light])
    state.event.advance(racer)
    log.info("next racer %s: model %s, tail light %s (from %s)", racer.name, racer.model, racer.tail_light,
             request.remote_addr)
    return ok(current=vars(racer))
