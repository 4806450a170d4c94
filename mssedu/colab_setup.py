"""The setup cell that opens every course notebook, so that it runs on Google Colab as is.

On a machine where ``import mssedu`` works (``./course lab``, ``mssedu course``, Binder,
a JupyterHub image) the cell does nothing but print what it found. On a fresh machine
(Colab) it installs mssedu with ``%pip`` from ``MSSEDU_SOURCE`` -- the project's git URL by
default; a wheel's path or URL, or another branch, also works (set the variable in the cell,
or the environment variable of the same name) -- and, on Colab, the OS packages Colab lacks
(fluidsynth and a General-MIDI SoundFont, for the synthetic songs). When the install fails
it stops with pip's own last words and what to do: set ``MSSEDU_SOURCE`` to a wheel's path
or URL, or a git URL. Then it says which device the course will use: Colab's GPU when the
runtime has one.

``scripts/add_setup_cell.py`` puts :data:`SETUP_CELL` first in every notebook, and updates
it in place when this text changes (the cell is found by :data:`CELL_MARKER`).
"""
from __future__ import annotations

__all__ = ["REPOSITORY", "PROJECT_URL", "CELL_MARKER", "CELL_ID", "COLAB_OS_PACKAGES", "SETUP_CELL"]

#: The project's repository: the one place its address is written. When the repository moves,
#: change it here, in the README's links (install command, Open-in-Colab and Binder badges) and
#: in pyproject.toml's ``[project.urls]``, then run ``scripts/add_setup_cell.py``;
#: ``tests/test_course_package.py::test_project_url_is_one_constant`` checks that they agree.
REPOSITORY = "https://github.com/mssedu/mssedu"
#: Where ``pip`` gets mssedu on a fresh machine.
PROJECT_URL = f"git+{REPOSITORY}.git"
#: The setup cell's first line: how the script recognises the cell it manages.
CELL_MARKER = "# mssedu setup (Colab, fresh machines): does nothing where mssedu is installed"
#: The cell's id in the notebooks (stable, so updates do not churn the JSON).
CELL_ID = "mssedu-setup"
#: Debian packages Colab lacks (optional: recorded instruments for the synthetic songs).
COLAB_OS_PACKAGES = ("fluidsynth", "fluid-soundfont-gm")

SETUP_CELL = f'''{CELL_MARKER}
import importlib.util, os, shutil, subprocess, sys
MSSEDU_SOURCE = os.environ.get("MSSEDU_SOURCE", "{PROJECT_URL}")  # or a wheel: path or URL
on_colab = "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ
if importlib.util.find_spec("mssedu") is None:
    print(f"installing mssedu from {{MSSEDU_SOURCE}} (about a minute) ...")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", MSSEDU_SOURCE],
                         capture_output=True, text=True)  # = %pip install, with pip's words kept
    importlib.invalidate_caches()
    if pip.returncode != 0 or importlib.util.find_spec("mssedu") is None:
        raise RuntimeError(f"pip could not install mssedu from {{MSSEDU_SOURCE}}:\\n"
                           f"{{(pip.stderr or pip.stdout)[-1500:]}}\\nSet MSSEDU_SOURCE (first "
                           "lines of this cell, or an environment variable) to a wheel's path or "
                           "URL, or a git URL (git+https://...), then run this cell again.")
    if on_colab and shutil.which("fluidsynth") is None and shutil.which("apt-get"):
        print("installing fluidsynth and a General-MIDI SoundFont (synthetic songs) ...")
        subprocess.run("apt-get -qq update && apt-get -qq install -y --no-install-recommends "
                       "{" ".join(COLAB_OS_PACKAGES)}", shell=True, check=False)
import mssedu
from mssedu.config import torch_device
print(f"mssedu {{mssedu.__version__}} from {{os.path.dirname(mssedu.__file__)}}; "
      f"computing on: {{torch_device('auto')}}")
if on_colab and "cuda" not in str(torch_device("auto")):
    print("No GPU: Runtime > Change runtime type > a GPU makes notebook 7 much faster.")
'''
