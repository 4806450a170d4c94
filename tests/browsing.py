"""What the real-browser tests share: Debian's Chromium, its flags, a free loopback port, a
server started and stopped around a test, and moving a slider."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MSSEDU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_chromium() -> None:
    """Skip the calling test when Chromium or Playwright for Python is missing."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set MSSEDU_CHROMIUM)")
    pytest.importorskip("playwright.sync_api", reason="playwright for Python is not installed")


def jupyter_env(base: Path, **extra) -> dict:
    """This process's environment for a Jupyter server kept inside ``base`` (its own config
    and runtime folders, made here), in fast mode, with ``extra`` variables added."""
    for sub in ("config", "runtime"):
        (base / sub).mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update({"MSSEDU_FAST": "1", "JUPYTER_CONFIG_DIR": str(base / "config"),
                "JUPYTER_RUNTIME_DIR": str(base / "runtime"), "JUPYTER_PREFER_ENV_PATH": "1"}, **extra)
    env.pop("MPLBACKEND", None)
    return env


@contextlib.contextmanager
def serving(cmd: list, cwd: Path, env: dict, log_path: Path, ready, what: str, timeout_s: float = 90):
    """Run ``cmd`` (a server) in its own process group with its output in ``log_path``, wait
    until ``ready()`` is true (an ``OSError`` counts as not yet), and yield the process; stop
    the whole group (server and kernels) afterwards. The test fails, with the log's tail, if
    the server exits or does not answer within ``timeout_s``."""
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{what} exited ({proc.returncode}):\n{Path(log_path).read_text()[-3000:]}")
            try:
                if ready():
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{what} did not answer within {timeout_s:g} s:\n" + Path(log_path).read_text()[-3000:])
            time.sleep(0.5)
        yield proc
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
        log.close()


def move_slider_to_end(page, slider) -> None:
    """Move an ipywidgets slider (noUiSlider) to its maximum: the End key, else arrow keys
    (older noUiSlider), else a drag; the test fails if its readout did not change."""
    handle = slider.locator(".noUi-handle").first
    readout = slider.locator(".widget-readout").first
    before = readout.inner_text()
    handle.focus()
    handle.press("End")
    if readout.inner_text() == before:
        for _ in range(4):
            handle.press("ArrowRight")
    if readout.inner_text() == before:   # last resort: drag the handle
        box = handle.bounding_box()
        track = slider.locator(".noUi-target, .noUi-base").first.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(track["x"] + track["width"] - 2, box["y"] + box["height"] / 2, steps=8)
        page.mouse.up()
    assert readout.inner_text() != before, "the slider did not move"
