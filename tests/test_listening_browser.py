"""The workshop app's listening test in a real browser: two listeners, one pooled CSV.

``mssedu app`` (Voila, ``MSSEDU_FAST=1``) on a free loopback port; headless Chromium
(Playwright) opens the page in two browser contexts: two listeners, two kernels, as two
laptops in the room. Every context refuses (and records) any request beyond 127.0.0.1.

``test_two_listeners_pool_their_ratings``:

- listener 1 ("ana") times the page's answers: a slider moved (a key press until its MUSHRA
  label shows the new word, a round trip through the kernel), play and stop (``play()`` /
  ``pause()`` until the ``playing`` / ``pause`` event), and switching from one sound to
  another at the same position (pause one, play the next: until ``playing``). Before
  switching, every player of the trial must have its whole sound loaded (``readyState`` 4),
  and switching must make no request and change no player's ``src``: no reload per switch.
  The figures are printed and written to ``artifacts/listening_latency.json``; speed targets
  live in ``benchmarks/``, not here.
- both rate the trial and save; the CSV in the app's folder holds both listeners' 7 ratings,
  and both pages' pooled plot says "14 ratings by 2 listeners", each name in it, listener 1's
  page updated live (it saved first), with a plot image.

Skipped with the reason when Chromium, Playwright or Voila is missing. Screenshots go to
``artifacts/listening_*.png``.
"""
from __future__ import annotations

import json
import socket
import sys
import time

import numpy as np
import psutil
import pytest
from browsing import (CHROMIUM, CHROMIUM_ARGS, free_port, jupyter_env, offline_context, require_chromium,
                      serving, timed_update)

from mssedu.app.listen import RATINGS_FILE
from mssedu.listening import load_ratings

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

#: Play without a click first (the test starts players from script).
AUTOPLAY = ["--autoplay-policy=no-user-gesture-required"]
#: The trial's rows (player, slider, label), in the page's order.
ROWS = ".mssedu-app-listening .widget-hbox:has(> .widget-slider)"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """``mssedu app`` on 127.0.0.1:<free port>; yields (url, working folder)."""
    require_chromium()
    pytest.importorskip("voila", reason="voila is not installed")
    base = tmp_path_factory.mktemp("listening-app")
    port, folder = free_port(), base / "workshop"
    cmd = [sys.executable, "-m", "mssedu", "app", "--dir", str(folder), f"--port={port}", "--no-browser",
           "--Voila.port_retries=0", "--ip=127.0.0.1"]
    with serving(cmd, base, jupyter_env(base), base / "voila.log", what="mssedu app",
                 ready=lambda: socket.create_connection(("127.0.0.1", port), timeout=2).close() or True):
        yield f"http://127.0.0.1:{port}/", folder
    print((base / "voila.log").read_text()[-2000:])


def _open(context, url):
    """A page of the app, once its listening test and pooled plot are there."""
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_selector(".mssedu-app-listening .mssedu-pooled", timeout=300_000)
    page.wait_for_function(f"() => document.querySelectorAll('{ROWS}').length === 7", timeout=60_000)
    return page


def _label(page, i: int) -> str:
    return page.evaluate(f"i => document.querySelectorAll('{ROWS}')[i].lastElementChild.textContent.trim()", i)


def _press(page, i: int, key: str):
    handle = page.locator(ROWS).nth(i).locator(".noUi-handle").first
    handle.focus()
    handle.press(key)


def _slider_times(page, n: int = 10) -> list:
    """Key press (End / Home) -> the new MUSHRA label, ``n`` times, through the kernel."""
    times = []
    for k in range(n):
        key, word = ("End", "Excellent") if k % 2 == 0 else ("Home", "Bad")
        times.append(timed_update(page, lambda key=key: _press(page, 0, key),
                                  f"() => document.querySelectorAll('{ROWS}')[0].lastElementChild"
                                  f".textContent.trim() === '{word}'", None))
    return times


#: Every player of the trial loaded whole (HAVE_ENOUGH_DATA), and their sources.
LOADED = f"() => [...document.querySelectorAll('{ROWS} audio')].every(a => a.readyState === 4)"
SOURCES = f"() => [...document.querySelectorAll('{ROWS} audio')].map(a => a.src.length + ':' + a.src.slice(-40))"
#: JS: ms from play() to 'playing', from pause() to 'pause', and from switching sound i -> j
#: at the same position (pause i, seek j, play j) to j's 'playing'.
PLAYER_TIMES = """async ([rows, n]) => {
  const players = [...document.querySelectorAll(rows + ' audio')];
  const wait = (a, ev) => new Promise(r => a.addEventListener(ev, r, {once: true}));
  const out = {play: [], stop: [], switch: []};
  for (let k = 0; k < n; k++) {
    const a = players[k % players.length];
    let t0 = performance.now(); const playing = wait(a, 'playing'); await a.play(); await playing;
    out.play.push(performance.now() - t0);
    await new Promise(r => setTimeout(r, 150));
    t0 = performance.now(); const paused = wait(a, 'pause'); a.pause(); await paused;
    out.stop.push(performance.now() - t0);
  }
  let cur = players[0]; await cur.play(); await new Promise(r => setTimeout(r, 200));
  for (let k = 1; k <= n; k++) {
    const next = players[k % players.length];
    const t0 = performance.now(); const playing = wait(next, 'playing');
    cur.pause(); next.currentTime = cur.currentTime; await next.play(); await playing;
    out.switch.push(performance.now() - t0);
    cur = next; await new Promise(r => setTimeout(r, 100));
  }
  cur.pause();
  return out;
}"""


def _rate_and_save(page, name: str, ratings: list):
    """Type the listener's name, set every slider (Home / End / left at 50), save."""
    box = page.locator(".mssedu-app-listening").first
    field = box.locator("input[type=text]").first
    field.fill(name)
    field.press("Tab")
    for i, key in enumerate(ratings):
        if key:
            _press(page, i, key)
    page.wait_for_function(f"() => [...document.querySelectorAll('{ROWS}')].every((r, i) => "
                           f"r.lastElementChild.textContent.trim() === {json.dumps(_words(ratings))}[i])")
    box.locator("button", has_text="Save ratings").first.click()
    page.wait_for_function("() => /Saved 7 ratings/.test(document.querySelector('.mssedu-app-listening').textContent)",
                           timeout=60_000)


def _words(keys):
    return [{"Home": "Bad", "End": "Excellent", None: "Fair"}[k] for k in keys]


def _summary(page) -> str:
    return page.locator(".mssedu-pooled").first.inner_text()


def test_two_listeners_pool_their_ratings(app, artifacts_dir):
    from playwright.sync_api import sync_playwright
    url, folder = app
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + AUTOPLAY)
        (ctx_a, ext_a), (ctx_b, ext_b) = offline_context(browser), offline_context(browser)
        try:
            page_a, page_b = _open(ctx_a, url), _open(ctx_b, url)
            assert page_a.locator(".mssedu-app-error").count() == 0, page_a.locator(".mssedu-app-error").first.inner_text()
            page_a.wait_for_function(LOADED, timeout=60_000)       # every sound loaded with the page
            sliders = _slider_times(page_a)
            requests, sources = [], page_a.evaluate(SOURCES)
            page_a.on("request", lambda r: requests.append(r.url))
            players = page_a.evaluate(PLAYER_TIMES, [ROWS, 6])
            assert page_a.evaluate(SOURCES) == sources and requests == [], ("a switch reloaded audio", requests)
            _rate_and_save(page_a, "ana", ["Home", "End", None, "Home", "End", None, "End"])
            t0 = time.perf_counter()
            _rate_and_save(page_b, "bo", ["End", None, "Home", "End", None, "Home", None])
            for page in (page_b, page_a):   # page a saved first: its plot must catch up by itself
                page.wait_for_function("() => /14 ratings by 2 listeners/.test("
                                       "document.querySelector('.mssedu-pooled').textContent)", timeout=30_000)
                page.wait_for_selector(".mssedu-pooled img", timeout=10_000)   # sent before the line
            live_s = time.perf_counter() - t0
            texts = [_summary(page_a), _summary(page_b)]
            images = [pg.locator(".mssedu-pooled img").count() for pg in (page_a, page_b)]
            page_a.locator(".mssedu-pooled").first.scroll_into_view_if_needed()
            page_a.screenshot(path=str(artifacts_dir / "listening_pooled.png"), full_page=True)
        except Exception:
            for name, ctx in (("a", ctx_a), ("b", ctx_b)):
                for pg in ctx.pages:
                    pg.screenshot(path=str(artifacts_dir / f"listening_failure_{name}.png"))
            raise
        finally:
            ctx_a.close()
            ctx_b.close()
            browser.close()
    ms = lambda xs: {"p50_ms": round(float(np.percentile(xs, 50)), 1),   # noqa: E731
                     "max_ms": round(float(np.max(xs)), 1), "n": len(xs)}
    report = {"slider_to_label": ms([1000 * t for t in sliders]), "play": ms(players["play"]),
              "stop": ms(players["stop"]), "switch": ms(players["switch"]),
              "save_to_other_page_s": round(live_s, 2), "requests_while_switching": len(requests),
              "load": list(psutil.getloadavg()), "cpus": psutil.cpu_count()}
    (artifacts_dir / "listening_latency.json").write_text(json.dumps(report, indent=1))
    print("listening test, page answers:", json.dumps(report))
    assert ext_a == [] and ext_b == [], (ext_a, ext_b)
    table = load_ratings(folder / RATINGS_FILE)
    assert table.groupby("listener").size().to_dict() == {"ana": 7, "bo": 7}, table
    assert sorted(table[table.listener == "ana"]["rating"]) == [0, 0, 50, 50, 100, 100, 100]
    assert set(table["trial"]) == {"example song, vocals"} and table["condition"].nunique() == 7
    for text in texts:
        assert "14 ratings by 2 listeners" in text and "ana" in text and "bo" in text and "SI-SAR" in text, text
    assert images == [1, 1], images
