"""The workshop app in a real browser: ``mssedu app`` (Voila) + headless Chromium (Playwright).

The test starts ``mssedu app`` on a free loopback port in a temporary folder
(``MSSEDU_FAST=1``), opens the page, checks that no code is shown, moves the mask explorer's
``alpha`` slider and waits for the SDR readout to change, then uploads a short WAV (the
example song's first seconds) to "separate your song" with the mini U-Net and waits for the
stems' players and download links: one link per stem written, each a WAV when fetched. Screenshots go to
``artifacts/app_*.png``.

Chromium is Debian's (as in ``tests/test_browser.py``); the test is skipped with the reason
when Chromium, Playwright or Voila is missing.
"""
from __future__ import annotations

import re
import socket
import sys
import urllib.request

import pytest
from browsing import CHROMIUM, CHROMIUM_ARGS, free_port, jupyter_env, move_slider_to_end, require_chromium, serving

from mssedu import audio
from mssedu.data import example_track


pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(420)]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """``mssedu app`` on 127.0.0.1:<free port>; yields (url, working folder)."""
    require_chromium()
    pytest.importorskip("voila", reason="voila is not installed")
    base = tmp_path_factory.mktemp("app")
    port = free_port()
    folder = base / "workshop"
    cmd = [sys.executable, "-m", "mssedu", "app", "--dir", str(folder), f"--port={port}", "--no-browser",
           "--Voila.port_retries=0"]
    # ready on a TCP connection only: any page request would run the app's kernel
    with serving(cmd, base, jupyter_env(base), base / "voila.log", what="mssedu app",
                 ready=lambda: socket.create_connection(("127.0.0.1", port), timeout=2).close() or True):
        yield f"http://127.0.0.1:{port}/", folder
    print((base / "voila.log").read_text()[-2000:])


def test_workshop_app_in_a_browser(app, artifacts_dir, tmp_path):
    from playwright.sync_api import sync_playwright

    url, folder = app
    song = tmp_path / "my song.wav"
    track = example_track()
    audio.save(song, track.mixture[:, : 4 * track.sr], track.sr)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(url)
            page.wait_for_selector(".mssedu-app", timeout=180_000)
            html = page.content()
            assert "import workshop" not in html and "workshop()" not in html, "the app page shows code"
            assert page.locator(".cm-editor, .CodeMirror").count() == 0, "the app page shows a code editor" 
            assert page.locator(".mssedu-app-error").count() == 0, page.locator(".mssedu-app-error").first.inner_text()

            # (a) the mask explorer: alpha to its maximum, the SDR readout changes
            slider = page.locator(".widget-slider", has=page.locator(".widget-label", has_text=re.compile(r"^alpha$"))).first
            metrics = page.locator(".mssedu-metrics").first
            page.wait_for_function("el => /SDR/.test(el.textContent)", arg=metrics.element_handle(), timeout=120_000)
            sdr_before = metrics.evaluate("e => e.textContent")
            slider.scroll_into_view_if_needed()
            move_slider_to_end(page, slider)
            page.wait_for_function("([el, before]) => /SDR/.test(el.textContent) && el.textContent !== before",
                                   arg=[metrics.element_handle(), sdr_before], timeout=120_000)
            sdr_after = metrics.evaluate("e => e.textContent")
            page.screenshot(path=str(artifacts_dir / "app_masks.png"))

            # (b) separate your song: upload a WAV, the stems' players and downloads appear
            separator = page.locator(".mssedu-app-separator").first
            separator.scroll_into_view_if_needed()
            # ipywidgets' FileUpload opens its file input on click (it is not in the page)
            with page.expect_file_chooser() as chooser:
                separator.locator(".widget-upload").first.click()
            chooser.value.set_files(str(song))
            players = separator.locator(".mssedu-audio audio")
            players.first.wait_for(state="attached", timeout=240_000)
            page.wait_for_function("() => document.querySelectorAll('.mssedu-download').length >= 2",
                                   timeout=60_000)
            n_players = players.count()
            links = page.locator(".mssedu-download").all()
            hrefs = [a.get_attribute("href") for a in links]
            offered = sorted(a.get_attribute("download") for a in links)
            filelinks = separator.locator("a[target='_blank']").count()   # JupyterLab's FileLinks
            status = separator.inner_text()
            page.locator(".mssedu-download").first.scroll_into_view_if_needed()
            page.screenshot(path=str(artifacts_dir / "app_separate.png"))
        except Exception:
            try:
                page.screenshot(path=str(artifacts_dir / "app_failure.png"))
            except Exception:
                pass
            raise
        finally:
            browser.close()
    numbers = lambda text: re.findall(r"-?\d+\.\d+", text)  # noqa: E731
    assert numbers(sdr_after) != numbers(sdr_before), f"SDR did not change:\n{sdr_before}\n{sdr_after}"
    assert "Done: 2 stems" in status, status   # the shipped U-Net: vocals + accompaniment
    assert n_players == 2
    written = sorted(p.name for p in (folder / "my_stems").rglob("*.wav"))
    assert written == ["accompaniment.wav", "vocals.wav"], written
    assert offered == written, f"one download link per stem expected, got {offered}"
    assert filelinks == 0, "the app must not show JupyterLab's FileLinks (they do not work in Voila)"
    for href in hrefs:
        with urllib.request.urlopen(url + href, timeout=30) as r:
            head = r.read(12)
        assert head[:4] == b"RIFF" and head[8:12] == b"WAVE", (href, head)
