"""Fixtures of the system tests: the fake nmcli on PATH (a machine's real network must never be touched)."""

from __future__ import annotations

import pytest
from system.nmcli_stub import NmcliStub


@pytest.fixture
def nmcli(tmp_path, monkeypatch) -> NmcliStub:
    stub = NmcliStub(tmp_path / "nmcli-bin")
    monkeypatch.setenv("PATH", stub.path_env)
    return stub
