"""`deepracer-launch` finds its node graph from any working folder, not only from the checkout's root."""

from __future__ import annotations

from pathlib import Path

from deepracer_common_pkg.launcher import default_graph_path, main

REPO = Path(__file__).resolve().parents[2]


def test_the_launcher_loads_its_graph_when_started_from_another_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    # --only with an unknown name: the graph is read, then the launcher refuses before starting anything.
    assert main(["--only", "no_such_node"]) == 2
    error = capsys.readouterr().err
    assert "unknown node(s) ['no_such_node']" in error, error


def test_the_default_graph_is_the_checkouts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert default_graph_path() == REPO / "launch" / "graph.yaml"
