"""Fixtures shared by the common package's tests."""

from __future__ import annotations

import pytest
import rclpy


@pytest.fixture
def context():
    """An rclpy context of the test's own, as a process host's nodes share one."""
    made = rclpy.Context()
    rclpy.init(context=made)
    yield made
    rclpy.try_shutdown(context=made)
