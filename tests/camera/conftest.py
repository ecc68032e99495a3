"""Fixtures writing video files (OpenCV) and image folders: the camera stand-ins of these tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import pytest
from camera.camera_media import marked_frame


@pytest.fixture
def write_video(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, *, frames: int, width: int = 320, height: int = 240, fps: float = 30.0,
              colour: bool = True, mark: str = "") -> Path:
        path = tmp_path / name
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height), colour)
        assert writer.isOpened(), f"OpenCV cannot write {path}"
        for index in range(frames):
            writer.write(marked_frame(index, width, height, colour=colour, mark=mark))
        writer.release()
        return path
    return write


@pytest.fixture
def write_folder(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, *, images: int, width: int = 320, height: int = 240, suffix: str = ".png",
              colour: bool = True) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for index in range(images):
            assert cv2.imwrite(str(folder / f"frame_{index:04d}{suffix}"),
                               marked_frame(index, width, height, colour=colour))
        return folder
    return write
