"""The device console node: serves the Flask app with cheroot in a thread beside the rclpy executor.

Parameters: the fields of `webserver_pkg.config.ConsoleConfig` (read at start; changing them needs a
restart, since they decide the socket, the certificate and the secrets folder). The console's own
Python logging goes to this node's ROS log, so it also reaches /rosout and the Logs page.
"""

from __future__ import annotations

import logging

from rclpy.node import Node

from deepracer_common_pkg.node_main import run_node
from deepracer_common_pkg.params import declare_config
from webserver_pkg.app import create_app
from webserver_pkg.config import ConsoleConfig
from webserver_pkg.context import EXTENSION
from webserver_pkg.ros_bridge import RosBridge
from webserver_pkg.server import ConsoleServer
from webserver_pkg.tls import ensure_certificate


class RosLogHandler(logging.Handler):
    """Python logging of the `webserver_pkg` package -> this node's ROS logger."""

    def __init__(self, node: Node) -> None:
        super().__init__(logging.INFO)
        self._logger = node.get_logger()

    def emit(self, record: logging.LogRecord) -> None:
        message = self.format(record)
        if record.levelno >= logging.ERROR:
            self._logger.error(message)
        elif record.levelno >= logging.WARNING:
            self._logger.warning(message)
        else:
            self._logger.info(message)


class WebserverNode(Node):
    def __init__(self) -> None:
        super().__init__("webserver_node")
        self.config = declare_config(self, ConsoleConfig)
        self._log_handler = RosLogHandler(self)
        logging.getLogger("webserver_pkg").addHandler(self._log_handler)
        app = create_app(self.config, RosBridge(self, self.config.service_timeout_s))
        self._console = app.extensions[EXTENSION]
        certificate = ensure_certificate(self.config.console_path) if self.config.https else None
        self._server = ConsoleServer(app, self.config.host, self.config.port, certificate)
        self._server.start()
        shown_host = "127.0.0.1" if self.config.host in ("0.0.0.0", "::") else self.config.host
        first = self._console.first_password
        if first is None:
            password = "changed by a user (the one you set on the Settings page)"
        elif first.source == "asset_tag":
            password = f"{first.password} (the chassis asset tag printed under the car)"
        else:
            password = first.password
        self.get_logger().info(f"Console: {self._server.scheme}://{shown_host}:{self._server.port}  "
                               f"password: {password}  (listening on {self.config.host})")

    def on_shutdown(self) -> None:
        self._console.frames.close()
        self._server.stop()
        logging.getLogger("webserver_pkg").removeHandler(self._log_handler)


def main(args: list[str] | None = None) -> None:
    run_node(WebserverNode, args)


if __name__ == "__main__":
    main()
