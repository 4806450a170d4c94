"""Notebooks 06 and 07 take the real-song path when MUSDB18 data is on the machine: the
previews fetched from the stand-in server on 127.0.0.1 (06), or a project-made MUSDB18-HQ
root in ``$MUSDB_PATH`` (07). Offline they run as before (``tests/test_notebooks.py``).
"""
from __future__ import annotations

import time

import pytest

from test_notebooks import KERNEL_NAME, LIMIT_S, NOTEBOOK_DIR, error_outputs, kernel_env, output_text
from test_notebooks import kernel_dir  # noqa: F401  (the same kernelspec fixture: this very interpreter)

from musdb_standin import TEST, TRAIN, VALID, PreviewServer, make_archive, point_at, write_root


def _run(name: str, kernel_dir, env: dict):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    nb = nbformat.read(str(NOTEBOOK_DIR / name), as_version=4)
    km = AsyncKernelManager(kernel_name=KERNEL_NAME,
                            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_dir)]))
    deadline = time.perf_counter() + LIMIT_S
    client = nbclient.NotebookClient(nb, km=km, kernel_name=KERNEL_NAME, startup_timeout=120,
                                     timeout_func=lambda cell: max(1, int(deadline - time.perf_counter())),
                                     resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    try:
        client.execute(env=env)
    finally:
        if km.has_kernel:
            nbclient.util.run_sync(km.shutdown_kernel)(now=True)
    assert not error_outputs(nb)
    return output_text(nb)


@pytest.mark.notebooks
@pytest.mark.slow
def test_notebook_06_trains_and_judges_on_the_previews(tmp_path, monkeypatch, kernel_dir):
    payload, checksum = make_archive(tmp_path / "MUSDB18-7-STEMS.zip", seconds=3.0,
                                     train=TRAIN[:2] + VALID[:1], test=TEST[:2])
    with PreviewServer(payload) as server:   # what an earlier online session left in the cache
        point_at(monkeypatch, server.url, checksum, tmp_path / "cache")
        from mssedu.data.musdb import download_previews

        download_previews(progress=False)
    env = kernel_env()
    env["MSSEDU_CACHE"] = str(tmp_path / "cache")
    env.pop("MUSDB_PATH", None)
    text = _run("06_unet.ipynb", kernel_dir, env)
    assert "training on 2 real songs, early stopping on 1: the MUSDB18 7-second previews cached in" in text
    assert "median SDR over 2 songs (test songs of the MUSDB18 7-second previews" in text
    assert "trained here" in text and "oracle IRM" in text and "constant gain" in text


@pytest.mark.notebooks
@pytest.mark.slow
def test_notebook_07_judges_on_a_musdb_root(tmp_path, kernel_dir):
    root = write_root(tmp_path / "musdb18hq", seconds=3.0, train=TRAIN[:1] + VALID[:1], test=TEST[:3], wav=True)
    env = kernel_env()
    env["MSSEDU_CACHE"] = str(tmp_path / "cache")
    env["MUSDB_PATH"] = str(root)
    text = _run("07_pretrained.ipynb", kernel_dir, env)
    assert f"median SDR over 2 songs (test songs of your MUSDB18 in {root}" in text
    assert "Compared on the real excerpt only" not in text
