"""The MUSHRA listening test: the anchor against scipy, the ratings file, the rank
correlations against scipy, and the widget driven programmatically."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.signal
import scipy.stats

from mssedu.errors import DataError, ParameterError
from mssedu.exercises import check
from mssedu.metrics import si_sar
from mssedu.listening import (ANCHOR, HIDDEN_REFERENCE, condition_metrics, load_ratings,
                              lowpass_anchor, rating_correlations, rating_label, save_ratings,
                              trial_order)
from mssedu.plot.evaluation import ratings_figure
from mssedu.widgets.evaluation import listening_test

SR = 22050


@pytest.fixture(scope="module")
def sounds():
    rng = np.random.default_rng(0)
    ref = rng.standard_normal((2, SR)).astype(np.float32) * 0.1
    conds = {"slight noise": ref + 0.01 * rng.standard_normal(ref.shape).astype(np.float32),
             "loud noise": ref + 0.1 * rng.standard_normal(ref.shape).astype(np.float32),
             "half level": 0.5 * ref}
    return ref, conds


def test_anchor_is_scipy_butterworth_and_cuts_above_3_5_khz(sounds):
    ref, _ = sounds
    a = lowpass_anchor(ref, SR)
    sos = scipy.signal.butter(8, 3500, fs=SR, output="sos")
    np.testing.assert_allclose(a, scipy.signal.sosfiltfilt(sos, ref.astype(np.float64), axis=-1), atol=1e-6)
    f, p_ref = scipy.signal.welch(ref, SR, nperseg=1024)
    _, p_a = scipy.signal.welch(a, SR, nperseg=1024)
    gain = 10 * np.log10(p_a.mean(0) / p_ref.mean(0))
    assert np.all(np.abs(gain[f < 2500]) < 0.5)       # passband untouched (zero phase, 0 dB)
    assert np.all(gain[f > 5000] < -60)                # 8th order, twice: ~ -96 dB/octave
    with pytest.raises(ParameterError, match="cutoff"):
        lowpass_anchor(ref, SR, cutoff=20000)


def test_labels_and_order():
    assert [rating_label(v) for v in (0, 19.9, 20, 55, 79, 80, 100)] == \
        ["Bad", "Bad", "Poor", "Fair", "Good", "Excellent", "Excellent"]
    with pytest.raises(ParameterError, match="between 0 and 100"):
        rating_label(101)
    orders = {tuple(trial_order(["a", "b", "c"], seed=s)) for s in range(20)}
    assert len(orders) > 5                               # really shuffled
    assert all(sorted(o) == sorted(["a", "b", "c", HIDDEN_REFERENCE, ANCHOR]) for o in orders)
    with pytest.raises(ParameterError, match="added by the test"):
        trial_order(["a", ANCHOR])


def test_save_appends_atomically_and_never_touches_another_file(tmp_path):
    path = tmp_path / "ratings.csv"
    row = {"listener": "ana", "trial": "1", "condition": "IBM", "rating": 40}
    save_ratings(path, [row])
    save_ratings(path, [dict(row, listener="bo", rating=70)])
    assert load_ratings(path)["rating"].tolist() == [40, 70]            # appended, not replaced
    save_ratings(path, [dict(row, rating=10)], overwrite=True)
    assert load_ratings(path)["rating"].tolist() == [10]
    assert not list(tmp_path.glob(".*.part"))                             # no leftovers
    other = tmp_path / "notes.csv"
    other.write_text("my,own\n1,2\n")
    with pytest.raises(DataError, match="not a ratings file"):
        save_ratings(other, [row])
    assert other.read_text() == "my,own\n1,2\n"
    with pytest.raises(ParameterError, match="between 0 and 100"):
        save_ratings(path, [dict(row, rating=120)])


def test_correlations_equal_scipy(sounds):
    ref, conds = sounds
    metrics = condition_metrics(ref, conds)
    ratings = pd.DataFrame({"listener": ["a"] * 3 + ["b"] * 3, "trial": "1",
                            "condition": list(conds) * 2, "rating": [90, 20, 60, 80, 30, 40]})
    corr = rating_correlations(ratings, metrics)
    joined = ratings.join(metrics, on="condition")
    for col in ("SDR", "SI-SDR"):
        assert corr.loc[col, "rho"] == pytest.approx(scipy.stats.spearmanr(joined[col], joined["rating"]).statistic)
    assert corr.loc["SDR", "n"] == 6
    # the half-level copy: SI-SDR calls it perfect, SDR does not
    assert metrics.loc["half level", "SI-SDR"] > 60 and metrics.loc["half level", "SDR"] < 7
    fig = ratings_figure(ratings, metrics, corr)
    assert len(fig.axes) == 2 and "rho" in fig.axes[0].get_title()


def test_widget_driven_programmatically(sounds, tmp_path):
    ref, conds = sounds
    path = tmp_path / "mine.csv"
    box = listening_test(ref, conds, SR, path, listener="ana", seed=3)
    sliders = box.controls["sliders"]
    assert sorted(box.key.values()) == sorted([*conds, HIDDEN_REFERENCE, ANCHOR])
    players = [row.children[0].value for row in box.children if hasattr(row, "children")
               and row.children and "sound" in getattr(row.children[1], "description", "")]
    assert len(players) == 5 and all(p.count("<audio") == 1 and 'preload="auto"' in p for p in players)
    wanted = {HIDDEN_REFERENCE: 100, ANCHOR: 25, "slight noise": 85, "loud noise": 30, "half level": 60}
    for letter, name in box.key.items():
        sliders[letter].value = wanted[name]
    # moving the sliders re-renders no audio: the players are the same strings
    assert [row.children[0].value for row in box.children if hasattr(row, "children") and row.children
            and "sound" in getattr(row.children[1], "description", "")] == players
    box.controls["save"].click()
    assert "Saved 5 ratings" in box.controls["status"].value
    back = load_ratings(path).set_index("condition")["rating"].to_dict()
    assert back == wanted
    path.write_text("not,ratings\n")                       # a file that is not ours: refused, shown
    box.controls["save"].click()
    assert "Not saved" in box.controls["status"].value and path.read_text() == "not,ratings\n"


def test_rank_correlation_exercise():
    ratings, metric = [90, 20, 60, 80, 30, 45], [12.0, 1.0, 8.0, 9.0, 3.0, 2.0]
    rho = scipy.stats.spearmanr(metric, ratings).statistic
    assert check("evaluation.rank_correlation", rho, ratings=ratings, metric=metric)
    wrong = check("evaluation.rank_correlation", float(np.corrcoef(metric, ratings)[0, 1]),
                  ratings=ratings, metric=metric)
    assert not wrong and "Pearson" in wrong.message


def test_si_sar_against_its_closed_form():
    """Target + leakage + an artefact orthogonal to both: SI-SAR is known exactly."""
    rng = np.random.default_rng(4)
    s, n, art = rng.standard_normal((3, 2, 8000))
    s, n, art = (x - x.mean(-1, keepdims=True) for x in (s, n, art))   # zero-mean channels
    A = np.stack([s.ravel(), n.ravel()])
    art = art.ravel() - A.T @ np.linalg.lstsq(A.T, art.ravel(), rcond=None)[0]   # orthogonal part
    est = 0.8 * s + 0.3 * n + 0.2 * art.reshape(s.shape)
    want = 10 * np.log10(np.sum((0.8 * s + 0.3 * n) ** 2) / np.sum((0.2 * art) ** 2))
    assert si_sar(s, est, [n]) == pytest.approx(want, abs=1e-6)
    assert si_sar(s, 5 * est + 0.1, [n]) == pytest.approx(want, abs=1e-6)    # gain, offset: same
    assert si_sar(s, s + n, [n]) > 100                                        # leakage only
    with pytest.raises(ParameterError, match="shape"):
        si_sar(s, est, [n[:, :-1]])


def test_condition_metrics_with_si_sar(sounds):
    ref, conds = sounds
    other = np.random.default_rng(9).standard_normal(ref.shape).astype(np.float32)
    table = condition_metrics(ref, conds, others=[other])
    assert list(table.columns) == ["SDR", "SI-SDR", "SI-SAR"]
    assert table.loc["loud noise", "SI-SAR"] == pytest.approx(si_sar(ref, conds["loud noise"], [other]))


def _save_many(args):
    """One process of the concurrent-save test: ``n`` saves of one rating each."""
    path, who, n = args
    for i in range(n):
        save_ratings(path, [{"listener": who, "trial": "1", "condition": f"c{i}", "rating": i}], lock=True)


def test_locked_saves_from_many_processes_all_land(tmp_path):
    """The app's pooled CSV: 6 processes x 8 saves at once, every rating kept, no leftovers."""
    import multiprocessing
    path = tmp_path / "room" / "ratings.csv"                 # the folder is made by the first save
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        pool.map(_save_many, [(path, f"listener-{k}", 8) for k in range(6)])
    table = load_ratings(path)
    assert len(table) == 48 and table.groupby("listener").size().to_dict() == {f"listener-{k}": 8 for k in range(6)}
    assert sorted(p.name for p in path.parent.iterdir()) == ["ratings.csv", "ratings.csv.lock"]


def test_a_held_lock_is_refused_with_what_to_do(tmp_path):
    import filelock
    path = tmp_path / "ratings.csv"
    row = {"listener": "ana", "trial": "1", "condition": "IBM", "rating": 40}
    with filelock.FileLock(f"{path}.lock"):   # another kernel in the middle of its save
        import mssedu.listening as listening
        old, listening.LOCK_TIMEOUT_S = listening.LOCK_TIMEOUT_S, 0.2
        try:
            with pytest.raises(DataError, match="locked by another save.*save again"):
                save_ratings(path, [row], lock=True)
        finally:
            listening.LOCK_TIMEOUT_S = old
    assert not path.exists()
    save_ratings(path, [row], lock=True)
    assert load_ratings(path)["listener"].tolist() == ["ana"]


def test_two_pages_pool_their_ratings(tmp_path):
    """Two app pages (two kernels in the room; here two sections in one process) share one CSV:
    each page's pooled plot shows both listeners once either reads the file again."""
    from mssedu.app.listen import RATINGS_FILE, listening_section
    from mssedu.data import example_track
    track = example_track()
    pages = [listening_section(track, 1.0, tmp_path) for _ in range(2)]
    ids = [p.trial.controls["listener"].value for p in pages]
    assert all(i.startswith("listener-") for i in ids) and ids[0] != ids[1]   # anonymous, distinct
    pages[1].trial.controls["listener"].value = "bo"
    for page, rating in zip(pages, (30, 70)):
        for slider in page.trial.controls["sliders"].values():
            slider.value = rating
        page.trial.controls["save"].click()
        assert "Saved 7 ratings" in page.trial.controls["status"].value
    table = load_ratings(tmp_path / RATINGS_FILE)
    assert table.groupby("listener")["rating"].unique().map(list).to_dict() == {ids[0]: [30], "bo": [70]}
    assert "2 listeners" not in pages[0].pooled.summary.value      # saved before bo: not read again yet
    assert pages[0].pooled.refresh() and not pages[0].pooled.refresh()   # redrawn once, then unchanged
    for page in pages:
        text = page.pooled.summary.value
        assert "14 ratings by 2 listeners" in text and "bo" in text and ids[0] in text and "SI-SAR" in text
        assert page.pooled.children[1].outputs[0]["output_type"] == "display_data"   # the plot
