"""What the real-browser tests share: Debian's Chromium, its flags, a free loopback port, a
server started and stopped around a test, moving a slider, a browser context that refuses
(and records) every request beyond 127.0.0.1, a server's kernels and memory, and the time a
page takes to show the effect of a control."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil   # ipykernel's dependency: there wherever a Jupyter server runs
import pytest

CHROMIUM = os.environ.get("MSSEDU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


#: A widget "answers" when the 95th percentile of its move-to-update times in the browser is
#: below this (seconds; generous, for a loaded CI machine: the target, 0.3 s, is benchmarked
#: in ``benchmarks/bench_widgets.py``, not asserted in tests).
ANSWERS_WITHIN_S = 3.0


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


#: The only host a test page may reach.
LOCAL_HOSTS = ("127.0.0.1",)


def offline_context(browser, viewport=None):
    """A browser context in which every request to another host than 127.0.0.1 is refused
    (as offline) and recorded; returns ``(context, external)``, ``external`` the list of the
    refused URLs, for the test to assert empty."""
    context = browser.new_context(viewport=viewport or {"width": 1400, "height": 1000})
    external = []

    def guard(route):
        url = route.request.url
        host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
        if url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            external.append(url)
            route.abort()

    context.route("**/*", guard)
    return context, external


def process_tree(pid: int) -> list:
    """The process ``pid`` and all its descendants (psutil processes) that are alive."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants (a server and its kernels), in MiB."""
    total = 0
    for p in process_tree(pid):
        try:
            total += p.memory_info().rss
        except Exception:   # a process that ended while counted
            pass
    return total / 2**20


def kernel_count(pid: int) -> int:
    """How many Jupyter kernels (``ipykernel_launcher`` processes) run below ``pid``."""
    n = 0
    for p in process_tree(pid):
        try:
            n += any("ipykernel_launcher" in part for part in p.cmdline())
        except Exception:   # a process that ended while counted
            pass
    return n


def timed_update(page, act, changed: str, arg, timeout_ms: float = 60_000) -> float:
    """Seconds from ``act()`` (a key press, a click) until the JavaScript predicate ``changed``
    (called with ``arg``) is true in the page, polled on every animation frame."""
    t0 = time.perf_counter()
    act()
    page.wait_for_function(changed, arg=arg, timeout=timeout_ms, polling="raf")
    return time.perf_counter() - t0
