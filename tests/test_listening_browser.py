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
- the slider's MUSHRA word is written by the browser: also timed inside the page (a key
  event on the handle until the word shows), without Playwright's own round trip.
- listener 1 picks a loop region (1.0 to 1.6 s) on the strip: the "from" input's key presses
  are timed until the strip's readout follows; sound 0 plays and its position, read on every
  animation frame for 1.6 s, stays in the region and wraps at least twice; playing sound 3
  pauses sound 0 and starts 3 where 0 was (timed); the stop button stops all at the start.
  The page's sounds (FLAC data URIs) are weighed: ``page_mb``.
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


#: JS: ms inside the page from a key on sound 0's slider (End / Home, as noUiSlider reads it)
#: to its new MUSHRA word, without Playwright's own round trip: the word is the browser's.
SLIDER_IN_PAGE = """async ([rows, n]) => {
  const row = document.querySelectorAll(rows)[0], handle = row.querySelector('.noUi-handle');
  const out = [];
  for (let k = 0; k < n; k++) {
    const [key, word] = k % 2 === 0 ? ['End', 'Excellent'] : ['Home', 'Bad'];
    const t0 = performance.now();
    handle.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
    while (row.lastElementChild.textContent.trim() !== word) await new Promise(r => setTimeout(r, 0));
    out.push(performance.now() - t0);
    await new Promise(r => setTimeout(r, 50));
  }
  return out;
}"""
#: Every player of the trial loaded whole (HAVE_ENOUGH_DATA), and their sources.
LOADED = f"() => [...document.querySelectorAll('{ROWS} audio')].every(a => a.readyState === 4)"
#: Bytes of the trial's sounds in the page (their data URIs; reference included).
WEIGHT = "() => [...document.querySelectorAll('.mssedu-app-listening audio')].reduce((n, a) => n + a.src.length, 0)"
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


#: JS: loop the region [a, b] (set on the strip's two range inputs), play sound 0 and read
#: its position on every animation frame for ``watch`` s; then play sound 3 alone (the page
#: must pause 0 and start 3 where 0 was), time it, and press the strip's stop button.
REGION_LOOP = """async ([rows, a, b, watch]) => {
  const strip = document.querySelector('.mssedu-app-listening .mssedu-loop');
  const [lo, hi] = strip.querySelectorAll('input[type=range]');
  lo.value = a; lo.dispatchEvent(new Event('input')); hi.value = b; hi.dispatchEvent(new Event('input'));
  const players = [...document.querySelectorAll(rows + ' audio')];
  const wait = (p, ev) => new Promise(r => p.addEventListener(ev, r, {once: true}));
  const p0 = players[0], p3 = players[3], seen = [];
  let playing = wait(p0, 'playing'); await p0.play(); await playing;
  const t0 = performance.now();
  while (performance.now() - t0 < watch * 1000) {
    seen.push(p0.currentTime); await new Promise(r => requestAnimationFrame(r)); }
  const before = p0.currentTime, s0 = performance.now();
  playing = wait(p3, 'playing'); await p3.play(); await playing;
  const sw = {ms: performance.now() - s0, from: before, to: p3.currentTime, paused0: p0.paused};
  await new Promise(r => setTimeout(r, 300));
  const later = p3.currentTime;
  strip.querySelector('button').click();
  return {seen, sw, later, readout: strip.querySelector('.mssedu-loop-readout').textContent,
          stopped: players.every(p => p.paused), at: players.map(p => p.currentTime)};
}"""
#: The strip's readout says the region "loop A - B s".
READOUT = "() => document.querySelector('.mssedu-app-listening .mssedu-loop-readout').textContent"


def _region_times(page, n: int = 10) -> list:
    """Key press on the region's "from" input (ArrowRight / ArrowLeft) -> the strip's readout."""
    handle = page.locator(".mssedu-app-listening .mssedu-loop input[type=range]").first
    handle.focus()
    times = []
    for k in range(n):
        before = page.evaluate(READOUT)
        times.append(timed_update(page, lambda k=k: handle.press("ArrowRight" if k % 2 == 0 else "ArrowLeft"),
                                  f"t => ({READOUT[6:]}) !== t", before))
    return times


def _check_loop(result, a: float, b: float) -> int:
    """The positions stayed in [a, b] (a frame's slack at b), wrapped at least twice, and the
    switch went on where the last sound was; returns the number of wraps."""
    seen = result["seen"]
    wraps = sum(1 for x, y in zip(seen, seen[1:]) if y < x - 0.2)
    assert wraps >= 2, ("the region never wrapped", seen[:5], seen[-5:])
    assert min(seen) >= a - 0.01 and max(seen) <= b + 0.1, (min(seen), max(seen))
    sw = result["sw"]
    assert sw["paused0"] and a - 0.01 <= sw["to"] <= b + 0.1 and abs(sw["to"] - sw["from"]) < 0.1, sw
    assert a - 0.01 <= result["later"] <= b + 0.1, result["later"]
    assert result["stopped"] and all(abs(t - a) < 0.01 for t in result["at"]), result["at"]
    assert result["readout"] == f"loop {a:.2f} - {b:.2f} s", result["readout"]
    return wraps


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
            weight = page_a.evaluate(WEIGHT)
            sliders = _slider_times(page_a)
            in_page = page_a.evaluate(SLIDER_IN_PAGE, [ROWS, 10])
            requests, sources = [], page_a.evaluate(SOURCES)
            page_a.on("request", lambda r: requests.append(r.url))
            players = page_a.evaluate(PLAYER_TIMES, [ROWS, 6])
            region = _region_times(page_a)
            looped = page_a.evaluate(REGION_LOOP, [ROWS, 1.0, 1.6, 1.6])
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
    report = {"slider_to_label": ms([1000 * t for t in sliders]), "slider_to_label_in_page": ms(in_page), "play": ms(players["play"]),
              "stop": ms(players["stop"]), "switch": ms(players["switch"]),
              "region_to_readout": ms([1000 * t for t in region]),
              "switch_in_region": round(looped["sw"]["ms"], 1), "page_mb": round(weight / 1e6, 2),
              "save_to_other_page_s": round(live_s, 2), "requests_while_switching": len(requests),
              "load": list(psutil.getloadavg()), "cpus": psutil.cpu_count()}
    (artifacts_dir / "listening_latency.json").write_text(json.dumps(report, indent=1))
    print("listening test, page answers:", json.dumps(report))
    assert ext_a == [] and ext_b == [], (ext_a, ext_b)
    report["region_wraps"] = _check_loop(looped, 1.0, 1.6)
    (artifacts_dir / "listening_latency.json").write_text(json.dumps(report, indent=1))
    assert weight < 8e6, weight                              # FLAC: 6 s x 8 sounds was 11.2 MB as WAV
    table = load_ratings(folder / RATINGS_FILE)
    assert table.groupby("listener").size().to_dict() == {"ana": 7, "bo": 7}, table
    assert sorted(table[table.listener == "ana"]["rating"]) == [0, 0, 50, 50, 100, 100, 100]
    assert set(table["trial"]) == {"example song, vocals"} and table["condition"].nunique() == 7
    for text in texts:
        assert "14 ratings by 2 listeners" in text and "ana" in text and "bo" in text and "SI-SAR" in text, text
    assert images == [1, 1], images
