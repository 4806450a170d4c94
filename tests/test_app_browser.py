"""The workshop app in a real browser: ``mssedu app`` (Voila) + headless Chromium (Playwright).

The server is ``mssedu app`` on a free loopback port in a temporary folder (``MSSEDU_FAST=1``),
started with the user's options a room would give (``--ip=127.0.0.1``, and kernel culling
after 4 s idle so that the test need not wait 5 minutes): they must win over the app's own.
Every page runs in a browser context that refuses any request beyond 127.0.0.1 and records
it; each test asserts that list empty.

- ``test_workshop_app_in_a_browser``: no code on the page, the title once, the page's full
  width, large text and long sliders; the mask explorer's controls moved one by one, each
  timed from the key press or click to the new figure and readout (p50/p95 printed and written
  to ``artifacts/app_latency.json``; speed targets live in ``benchmarks/``, not here); an
  uploaded WAV in the mask explorer says its "target" is a model's estimate and shows no
  SDR; the example song and an uploaded WAV separated, each result row titled with the song's
  name, one download link per stem, each a WAV when fetched.
- ``test_closed_pages_leave_no_kernels``: an open page's kernel outlives the idle timeout;
  5 pages opened and closed (without Voila's unload hook, as when a laptop is shut) leave no
  kernel behind, and the server's memory returns to what it was after the first.
- ``test_app_opens_to_the_room``: ``mssedu app --port=P --Voila.ip=0.0.0.0`` (the README's
  command) starts and listens on every interface; the test connects via 127.0.0.1 only.

Chromium is Debian's (as in ``tests/test_browser.py``); the tests are skipped with the reason
when Chromium, Playwright or Voila is missing. Screenshots go to ``artifacts/app_*.png``.
"""
from __future__ import annotations

import json
import re
import socket
import sys
import time
import urllib.request

import numpy as np
import psutil
import pytest
from browsing import (ANSWERS_WITHIN_S, CHROMIUM, CHROMIUM_ARGS, free_port, jupyter_env, kernel_count, move_slider_to_end,
                      offline_context, process_tree, require_chromium, serving, timed_update, tree_rss_mb)

from mssedu import audio
from mssedu.app.style import TITLE
from mssedu.data import example_track

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

#: Kernel culling for the test: idle 4 s, checked every 2 s (the app's own: 300 s and 60 s).
CULL_IDLE_S, CULL_INTERVAL_S = 4, 2
#: A projector's screen.
PROJECTOR = {"width": 1920, "height": 1080}


def _start_app(base, port, *options):
    """``mssedu app`` on ``port`` with ``options``, ready on a TCP connection only (any page
    request would start a kernel)."""
    folder = base / "workshop"
    cmd = [sys.executable, "-m", "mssedu", "app", "--dir", str(folder), f"--port={port}", "--no-browser",
           "--Voila.port_retries=0", *options]
    return serving(cmd, base, jupyter_env(base), base / "voila.log", what="mssedu app",
                   ready=lambda: socket.create_connection(("127.0.0.1", port), timeout=2).close() or True)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """``mssedu app`` on 127.0.0.1:<free port>; yields (url, working folder, server pid)."""
    require_chromium()
    pytest.importorskip("voila", reason="voila is not installed")
    base = tmp_path_factory.mktemp("app")
    port = free_port()
    with _start_app(base, port, "--ip=127.0.0.1",
                    f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_S}",
                    f"--MappingKernelManager.cull_interval={CULL_INTERVAL_S}") as proc:
        yield f"http://127.0.0.1:{port}/", base / "workshop", proc.pid
    print((base / "voila.log").read_text()[-2000:])


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open(context, url):
    """A new page of the app, once its mask explorer shows an SDR readout."""
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_selector(".mssedu-app", timeout=240_000)
    page.wait_for_function("() => /SDR/.test((document.querySelector('.mssedu-metrics') || {}).textContent)",
                           timeout=120_000)
    return page


#: True once the explorer's figure and player are new, and its readout too (or, for a control
#: whose readout happens to round to the same numbers, once the readout has been redrawn).
CHANGED = """([box, before]) => {
  const img = box.querySelector('.widget-output img, .jp-OutputArea-output img');
  const now = [img ? img.src : '', box.querySelector('.mssedu-audio').innerHTML,
               box.querySelector('.mssedu-metrics').textContent];
  return now[0] !== before[0] && now[1] !== before[1] && now[2] !== before[2];
}"""
SNAPSHOT = """box => {
  const img = box.querySelector('.widget-output img, .jp-OutputArea-output img');
  return [img ? img.src : '', box.querySelector('.mssedu-audio').innerHTML,
          box.querySelector('.mssedu-metrics').textContent];
}"""


def _measure_controls(page) -> dict:
    """Move each of the mask explorer's controls, timing each change until it shows."""
    box = page.locator(".mssedu-app-explorer").first
    handle = box.element_handle()
    slider = lambda name: box.locator(".widget-slider", has=page.locator(  # noqa: E731
        ".widget-label", has_text=re.compile(rf"^{re.escape(name)}$"))).first.locator(".noUi-handle").first
    toggle = lambda name: box.locator(".widget-toggle-button", has_text=name).first  # noqa: E731
    moves = ([("alpha", lambda: slider("alpha").press("ArrowRight"))] * 4
             + [("mask", lambda: toggle("binary (IBM)").click())]
             + [("threshold", lambda: slider("threshold (dB)").press("ArrowRight"))] * 4
             + [("mask", lambda: toggle("ratio (IRM)").click())]
             + [("target", lambda v=v: box.locator("select").first.select_option(v))
                for v in ("drums", "bass", "vocals")])
    times = {}
    for name, act in moves:
        before = handle.evaluate(SNAPSHOT)
        times.setdefault(name, []).append(timed_update(page, act, CHANGED, [handle, before]))
    return times


def _check_projector_layout(page):
    """One title, the full width, large text, long sliders."""
    titles = page.locator("h1").all_inner_texts()
    assert [t.strip() for t in titles] == [TITLE], f"the title must show once: {titles}"
    width = page.evaluate("() => document.querySelector('.mssedu-app').getBoundingClientRect().width")
    assert width >= 0.9 * PROJECTOR["width"] - 80, f"the page uses {width:.0f} of {PROJECTOR['width']} px"
    size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.mssedu-app p')).fontSize)")
    assert size >= 18, f"intro text is {size} px"
    track = page.locator(".mssedu-app .noUi-target").first.bounding_box()
    assert track["width"] >= 300, f"sliders are {track['width']:.0f} px long"


def _check_estimated_view(page, song):
    """An uploaded WAV in the mask explorer: its target is called an estimate, no SDR shown."""
    box = page.locator(".mssedu-app-explorer").first
    with page.expect_file_chooser() as chooser:
        box.locator(".widget-upload").first.click()
    chooser.value.set_files(str(song))
    page.wait_for_selector(".mssedu-estimate-note", timeout=240_000)
    readout = box.locator(".mssedu-metrics").first.inner_text()
    assert "estimate" in readout and "SDR" in readout and "dB" not in readout, readout
    assert "no SDR" in readout, readout
    assert not box.locator("button", has_text="museval").first.is_visible(), "museval scores a guess"
    assert page.locator(".mssedu-app-error").count() == 0, page.locator(".mssedu-app-error").first.inner_text()


def _separate(page, song):
    """The example song, then an upload: each a result row named after the song."""
    button = page.locator("button", has_text="Separate the example song").first
    t0 = time.perf_counter()
    button.click()
    page.wait_for_selector(".mssedu-working", timeout=60_000)   # at once: it is working
    feedback = time.perf_counter() - t0
    page.wait_for_selector(".mssedu-result", timeout=240_000)
    done = time.perf_counter() - t0
    separator = page.locator(".mssedu-app-separator").first
    separator.scroll_into_view_if_needed()
    with page.expect_file_chooser() as chooser:   # FileUpload opens its hidden input on click
        separator.locator(".widget-upload").first.click()
    chooser.value.set_files(str(song))
    page.wait_for_function("() => document.querySelectorAll('.mssedu-result').length >= 2", timeout=240_000)
    rows = page.locator(".mssedu-result-title").all_inner_texts()
    links = page.locator(".mssedu-download").all()
    return {"rows": rows, "status": separator.inner_text(), "feedback_s": feedback, "done_s": done,
            "players": separator.locator(".mssedu-audio audio").count(),
            "links": [(a.get_attribute("href"), a.get_attribute("download")) for a in links],
            "filelinks": separator.locator("a[target='_blank']").count()}   # JupyterLab's FileLinks


def test_workshop_app_in_a_browser(app, chromium, artifacts_dir, tmp_path):
    url, folder, _ = app
    song = tmp_path / "my song.wav"
    track = example_track()
    audio.save(song, track.mixture[:, : 4 * track.sr], track.sr)
    context, external = offline_context(chromium, PROJECTOR)
    try:
        page = _open(context, url)
        html = page.content()
        assert "import workshop" not in html and "workshop()" not in html, "the app page shows code"
        assert page.locator(".cm-editor, .CodeMirror").count() == 0, "the app page shows a code editor"
        assert page.locator(".mssedu-app-error").count() == 0, page.locator(".mssedu-app-error").first.inner_text()
        _check_projector_layout(page)
        page.screenshot(path=str(artifacts_dir / "app_projector.png"))
        times = _measure_controls(page)
        page.screenshot(path=str(artifacts_dir / "app_masks.png"))
        result = _separate(page, song)
        page.locator(".mssedu-result").last.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts_dir / "app_separate.png"))
        _check_estimated_view(page, song)
        page.screenshot(path=str(artifacts_dir / "app_estimated.png"))
    except Exception:
        try:
            page.screenshot(path=str(artifacts_dir / "app_failure.png"))
        except Exception:
            pass
        raise
    finally:
        context.close()
    flat = [t for ts in times.values() for t in ts]
    report = {"n": len(flat), "p50_s": float(np.percentile(flat, 50)), "p95_s": float(np.percentile(flat, 95)),
              "by_control_s": {k: [round(t, 3) for t in v] for k, v in times.items()},
              "example_button_s": {"working_shown": round(result["feedback_s"], 3),
                                   "result_shown": round(result["done_s"], 3)},
              "load": list(psutil.getloadavg()), "cpus": psutil.cpu_count()}
    (artifacts_dir / "app_latency.json").write_text(json.dumps(report, indent=1))
    print("app control -> visible update:", json.dumps(report))
    assert external == [], f"the page requested other hosts than 127.0.0.1: {external}"
    assert report["p95_s"] < ANSWERS_WITHIN_S, f"the app's controls answer after {report['p95_s']:.2f} s (p95)"
    assert "Done: 2 stems" in result["status"], result["status"]   # the shipped U-Net: vocals + accompaniment
    assert result["players"] == 2 and result["filelinks"] == 0, result
    assert result["rows"] == ["example song — separated by mini U-Net (vocals)",
                              "my song — separated by mini U-Net (vocals)"], result
    written = sorted(p.relative_to(folder / "my_stems").as_posix() for p in (folder / "my_stems").rglob("*.wav"))
    assert written == ["example song - mini U-Net/accompaniment.wav", "example song - mini U-Net/vocals.wav",
                       "my song/accompaniment.wav", "my song/vocals.wav"], written
    offered = sorted(name for _, name in result["links"])
    assert offered == ["example song - accompaniment.wav", "example song - vocals.wav",
                       "my song - accompaniment.wav", "my song - vocals.wav"], offered
    for href, _ in result["links"]:
        with urllib.request.urlopen(url + href, timeout=30) as r:
            head = r.read(12)
        assert head[:4] == b"RIFF" and head[8:12] == b"WAVE", (href, head)


def _wait_for_kernels(pid, n, timeout_s=90) -> int:
    """Wait until ``n`` kernels run below ``pid`` (or the time is up); returns the count."""
    deadline = time.monotonic() + timeout_s
    while kernel_count(pid) != n and time.monotonic() < deadline:
        time.sleep(0.5)
    return kernel_count(pid)


def test_closed_pages_leave_no_kernels(app, chromium):
    url, folder, pid = app
    assert _wait_for_kernels(pid, 0) == 0, "kernels of earlier tests were not culled"
    context, external = offline_context(chromium)
    rss, peak = [], 0.0
    try:
        for i in range(5):
            page = _open(context, url)
            assert kernel_count(pid) == 1, f"page {i + 1}: {kernel_count(pid)} kernels"
            peak = max(peak, tree_rss_mb(pid))
            if i == 0:   # an open page is never culled, however long it stays idle
                time.sleep(3 * CULL_IDLE_S + CULL_INTERVAL_S)
                assert kernel_count(pid) == 1, "the kernel of an open page was culled"
                move_slider_to_end(page, page.locator(".widget-slider", has=page.locator(
                    ".widget-label", has_text=re.compile(r"^alpha$"))).first)
            page.close()   # no unload hook: as when a laptop is shut or a browser killed
            assert _wait_for_kernels(pid, 0) == 0, f"page {i + 1}'s kernel outlived its page"
            rss.append(tree_rss_mb(pid))
    finally:
        context.close()
    culled = (folder.parent / "voila.log").read_text().count("Culling 'idle' kernel")
    assert culled >= 5, f"{culled} kernels culled: the closed pages' kernels went another way"
    print(f"server + kernels RSS after each closed page (MiB): {[round(r) for r in rss]}; "
          f"peak with a page open {peak:.0f}; processes {len(process_tree(pid))}")
    assert external == [], external
    assert max(rss[1:]) - rss[0] < 150, f"memory grows with closed pages: {rss} MiB"


def test_app_opens_to_the_room(tmp_path):
    """The README's command: ``--port=P --Voila.ip=0.0.0.0`` starts, on every interface."""
    require_chromium()
    pytest.importorskip("voila", reason="voila is not installed")
    port = free_port()
    with _start_app(tmp_path, port, "--Voila.ip=0.0.0.0") as proc:
        listening = set()
        deadline = time.monotonic() + 30
        while not listening and time.monotonic() < deadline:
            for p in process_tree(proc.pid):
                try:
                    listening |= {c.laddr.ip for c in p.net_connections("tcp")
                                  if c.status == psutil.CONN_LISTEN and c.laddr.port == port}
                except psutil.Error:
                    pass
            time.sleep(0.5)
        log = (tmp_path / "voila.log").read_text()
    assert "only accepts one value" not in log, log[-2000:]
    assert listening & {"0.0.0.0", "::"}, f"listening on {listening}, expected every interface:\n{log[-2000:]}"
