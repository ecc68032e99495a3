"""The device console node: serves the Flask app with cheroot in a thread beside the rclpy executor.

Parameters: the fields of `webserver_pkg.config.ConsoleConfig` (read at start; changing them needs a
restart, since they decide the socket, the certificate and the secrets folder). The console's own
Python logging goes to this node's ROS log, so it also reaches /rosout and the Logs page.
"""

from __future__ import annotations

import logging
import os

from rclpy.node import Node

from deepracer_common_pkg.node_main import run_node
from deepracer_common_pkg.params import declare_config
from webserver_pkg.app import create_app
from webserver_pkg.config import ConsoleConfig
from webserver_pkg.context import EXTENSION
from webserver_pkg.robot.ros_bridge import RosBridge
from webserver_pkg.robot.system_bridge import RosSystemBridge
from webserver_pkg.server import ConsoleServer
from webserver_pkg.services.credentials import password_hint
from webserver_pkg.services.tls import ensure_certificate


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
        self._bridge = RosBridge(self, self.config.service_timeout_s)
        app = create_app(self.config, self._bridge, system=RosSystemBridge(self, self.config.service_timeout_s))
        self._console = app.extensions[EXTENSION]
        certificate = ensure_certificate(self.config.console_path) if self.config.https else None
        self._server = ConsoleServer(app, self.config.host, self.config.port, certificate)
        self._server.start()
        shown_host = "127.0.0.1" if self.config.host in ("0.0.0.0", "::") else self.config.host
        url = f"{self._server.scheme}://{shown_host}:{self._server.port}"
        # Where the password is, never the password: the launcher relays this terminal into logs.
        hint = password_hint(self._console.first_password, self.config.console_path)
        self.get_logger().info(f"console listening on {self.config.host}: {url}")
        print(f"Console: {url}  password: {hint}", flush=True)

    def on_shutdown(self) -> None:
        self._console.close()
        self._server.stop()
        self._bridge.close()
        logging.getLogger("webserver_pkg").removeHandler(self._log_handler)


def main(args: list[str] | None = None) -> None:
    # Before rclpy creates this process's ROS log file: whatever a log line may hold stays the owner's.
    os.umask(0o077)
    run_node(WebserverNode, args)


if __name__ == "__main__":
    main()
