"""The course as a student installs it: wheel -> clean venv -> ``mssedu course`` -> notebooks.

One session builds the sdist and, from it, the wheel (``tests/cleanenv.py``), installs the
wheel with ``--only-binary=:all:`` into a clean venv (no checkout, no PYTHONPATH; the
dependencies are the test venv's own, reused offline through a ``.pth`` view without mssedu
and without the optional pyworld, see ``cleanenv``'s docstring), and from then on runs
everything with a PATH on which no ffmpeg, ffprobe, fluidsynth, espeak-ng or C/C++ compiler
can be found (``cleanenv.SYSTEM_PROGRAMS``), from folders outside the checkout: ``mssedu
--help``, ``mssedu course DIR``, ``mssedu separate`` of the example ``.stem.mp4`` and of an
``.mp3`` made here with PyAV, and every notebook top to bottom in fast mode with a kernel of
that venv -- once each: the notebooks that render synthetic songs must finish on the numpy
instruments and say, once, what is missing. The Colab setup cell
is run in a venv that has no mssedu, pointed at the wheel; ``binder/postBuild`` runs in
another; and the lab is started as root on a loopback port through ``mssedu course``.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from browsing import free_port

from cleanenv import (ROOT, SYSTEM_PROGRAMS, build_dists, clean_env, install, make_venv,
                      path_without)
from conftest import NOTEBOOK_TIMES
from test_notebooks import error_outputs, kernel_env

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]
LIMIT_S = float(os.environ.get("MSSEDU_NOTEBOOK_TIMEOUT", "180"))
#: Notebooks that render synthetic songs (fluidsynth, else numpy): found by what they call.
SYNTH_CALL = re.compile(r"\bsynth\.|make_dataset|render_song|render_midi")
USES_SYNTH = [p for p in NOTEBOOKS if SYNTH_CALL.search(p.read_text(encoding="utf-8"))]


@pytest.fixture(scope="session")
def dists(tmp_path_factory):
    return build_dists(tmp_path_factory.mktemp("build"))


@pytest.fixture(scope="session")
def wheel(dists):
    return dists[1]


@pytest.fixture(scope="session")
def student(tmp_path_factory, wheel):
    """A clean venv with the wheel installed; returns its python."""
    python = make_venv(tmp_path_factory.mktemp("student") / "venv")
    out = install(python, wheel)
    assert out.returncode == 0, f"pip install of the wheel failed:\n{out.stdout[-3000:]}{out.stderr[-3000:]}"
    return python


def mssedu_exe(python: Path) -> Path:
    return python.parent / ("mssedu.exe" if os.name == "nt" else "mssedu")


@pytest.fixture(scope="session")
def bare_path(tmp_path_factory) -> list:
    """PATH folders without any of ``cleanenv.SYSTEM_PROGRAMS`` (ffmpeg, fluidsynth, espeak-ng,
    compilers): a student's laptop."""
    dirs = path_without(SYSTEM_PROGRAMS, tmp_path_factory.mktemp("bare-path"))
    for program in SYSTEM_PROGRAMS:
        assert shutil.which(program, path=os.pathsep.join(map(str, dirs))) is None, program
    return dirs


@pytest.fixture(scope="session")
def bare_env(bare_path) -> dict:
    """:func:`cleanenv.clean_env` with :func:`bare_path` as PATH."""
    return {**clean_env(), "PATH": os.pathsep.join(map(str, bare_path))}


@pytest.fixture(scope="session")
def course_dir(tmp_path_factory, student, bare_env):
    """``mssedu course DIR --no-lab`` run by the clean venv's console script."""
    folder = tmp_path_factory.mktemp("students-home") / "my course"
    out = subprocess.run([str(mssedu_exe(student)), "course", str(folder), "--no-lab"],
                         capture_output=True, text=True, env=bare_env, cwd=folder.parent)
    assert out.returncode == 0, out.stdout + out.stderr
    return folder


def test_installed_command_starts_without_system_programs(student, bare_env, tmp_path):
    for args in (["--help"], ["--version"], ["separate", "--help"], ["course", "--help"]):
        out = subprocess.run([str(mssedu_exe(student)), *args], capture_output=True, text=True,
                             env=bare_env, cwd=tmp_path)
        assert out.returncode == 0 and "mssedu" in out.stdout and not out.stderr, (args, out.stderr)
    code = ("import sys, mssedu.data, mssedu.metrics, mssedu.separation; "
            "t = mssedu.data.example_track(); "
            "print(t.mixture.shape, sorted(m for m in ('stempeg', 'musdb', 'pyworld') if m in sys.modules))")
    out = subprocess.run([str(student), "-c", code], capture_output=True, text=True, env=bare_env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "(2, 262552) []", out.stdout


def test_installed_app_without_its_extra_says_how_to_get_it(student, bare_env, tmp_path):
    """The student install has no Voila (the extra mssedu[app]): ``mssedu app`` says so, with
    the install line, writes nothing and shows no traceback."""
    out = subprocess.run([str(mssedu_exe(student)), "app", "--dir", str(tmp_path / "app"), "--no-browser"],
                         capture_output=True, text=True, env=bare_env, cwd=tmp_path, timeout=120)
    assert out.returncode == 1, out.stderr
    assert "mssedu[app]" in out.stderr and 'python -m pip install "voila>=0.5"' in out.stderr, out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "app").exists()


@pytest.mark.slow
@pytest.mark.timeout(900)   # seconds of CPU; minutes of wall time on a crowded 2-core machine
def test_installed_separate_stem_mp4_and_mp3(student, bare_env, tmp_path):
    """``mssedu separate`` (the mini U-Net checkpoint the wheel ships: quick on any CPU) of the
    shipped ``.stem.mp4`` and of an ``.mp3`` written here with PyAV, with no ffmpeg anywhere."""
    import soundfile as sf
    from encoding import encode
    from mssedu.data import example_path, example_track
    mp3 = encode(tmp_path / "my song.mp3", example_track().mixture[:, :2 * 44100], 44100)
    where = subprocess.run([str(student), "-c", "import mssedu, pathlib; print(pathlib.Path("
                            "mssedu.__file__).parent / 'checkpoints' / 'unet_tiny_vocals.pt')"],
                           capture_output=True, text=True, env=bare_env, cwd=tmp_path).stdout.strip()
    out = subprocess.run([str(mssedu_exe(student)), "separate", example_path(), str(mp3), "--model", where,
                          "--device", "cpu", "-q", "--out", str(tmp_path / "stems")],
                         capture_output=True, text=True, env=bare_env, cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "separated 2 of 2 file(s)." in out.stdout
    for song, seconds in (("The Easton Ellises - Falcon 69", 6.08), ("my song", 2.0)):
        folder = tmp_path / "stems" / "unet_tiny_vocals" / song
        assert "vocals.wav" in [p.name for p in folder.iterdir()], song
        assert abs(sf.info(str(folder / "vocals.wav")).duration - seconds) < 0.06, song


# --- what the dists carry ------------------------------------------------------------------

def test_sdist_and_wheel_carry_the_course(dists):
    sdist, wheel = dists
    names = set(zipfile.ZipFile(wheel).namelist())
    for nb in NOTEBOOKS:
        assert f"mssedu/course_files/notebooks/{nb.name}" in names
    assert not [n for n in names if "instructors/" in n]   # tests/test_distributions.py scans more
    assert "mssedu/app/workshop.ipynb" in names
    assert {"mssedu/app/share/voila/templates/mssedu/conf.json",   # the app page's offline template
            "mssedu/app/share/voila/templates/mssedu/index.html.j2"} <= names
    assert "mssedu/checkpoints/unet_tiny_vocals.pt" in names
    assert not [n for n in names if ".ipynb_checkpoints" in n or n.endswith(".pyc")]
    import tarfile
    in_sdist = {n.split("/", 1)[1] for n in tarfile.open(sdist).getnames() if "/" in n}
    assert {f"notebooks/{nb.name}" for nb in NOTEBOOKS} <= in_sdist
    assert "setup.py" in in_sdist and "MANIFEST.in" in in_sdist


def test_clean_venv_sees_no_checkout(student, tmp_path):
    code = "import json, sys, mssedu; print(json.dumps([mssedu.__file__, sys.path]))"
    out = subprocess.run([str(student), "-c", code], capture_output=True, text=True,
                         env=clean_env(), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    where, path = json.loads(out.stdout)
    venv = student.parent.parent
    assert Path(where).is_relative_to(venv / "lib") or Path(where).is_relative_to(venv / "Lib"), where
    assert not [p for p in path if p and Path(p).resolve().is_relative_to(ROOT)], path


# --- mssedu course: copy, never overwrite, update with backup ------------------------------

def test_course_copies_every_notebook(course_dir):
    assert sorted(p.name for p in course_dir.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    for nb in NOTEBOOKS:
        assert (course_dir / nb.name).read_bytes() == nb.read_bytes()
    assert not (course_dir / "instructors").exists(), "solutions must not reach students unasked"


def test_second_run_keeps_edits_and_update_backs_up(student, tmp_path):
    folder = tmp_path / "c"
    run = lambda *a: subprocess.run([str(mssedu_exe(student)), "course", str(folder), "--no-lab", *a],  # noqa: E731
                                    capture_output=True, text=True, env=clean_env(), cwd=tmp_path)
    assert run().returncode == 0
    edited = folder / NOTEBOOKS[2].name
    mine = edited.read_text(encoding="utf-8").replace("Learning goals", "My own notes, Learning goals", 1)
    edited.write_text(mine, encoding="utf-8")
    (folder / NOTEBOOKS[0].name).unlink()
    out = run()
    assert out.returncode == 0 and "kept your edited" in out.stdout, out.stdout
    assert edited.read_text(encoding="utf-8") == mine
    assert (folder / NOTEBOOKS[0].name).read_bytes() == NOTEBOOKS[0].read_bytes()
    out = run("--update")
    assert out.returncode == 0, out.stderr
    assert edited.read_bytes() == NOTEBOOKS[2].read_bytes()
    backups = list(folder.glob(f"{NOTEBOOKS[2].stem}.backup-*.ipynb"))
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8") == mine


# --- the notebooks run from the installed course -------------------------------------------

def run_notebook(path: Path, python: Path, kernels: Path, env: dict):
    """Execute ``path`` in place with a kernel of ``python``; returns (nb, seconds, error)."""
    import nbclient
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    name = f"clean-{abs(hash(str(python))) % 10**8}"
    spec = kernels / name
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "clean venv", "language": "python"}))
    nb = nbformat.read(str(path), as_version=4)
    km = AsyncKernelManager(kernel_name=name, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
    start = time.perf_counter()
    deadline = start + LIMIT_S
    client = nbclient.NotebookClient(nb, km=km, kernel_name=name, startup_timeout=120, allow_errors=False,
                                     timeout_func=lambda cell: max(1, int(deadline - time.perf_counter())),
                                     resources={"metadata": {"path": str(path.parent)}})
    error = None
    try:
        client.execute(env=env, cwd=str(path.parent))
    except nbclient.exceptions.CellExecutionError as err:
        error = err
    except nbclient.exceptions.CellTimeoutError:
        error = AssertionError(f"{path.name} did not finish within {LIMIT_S:.0f} s in fast mode "
                               "(the course's limit on 2 CPU cores)")
    finally:
        if km.has_kernel:
            nbclient.util.run_sync(km.shutdown_kernel)(now=True)
    return nb, time.perf_counter() - start, error


def student_kernel_env(cache: Path, path_dirs=None) -> dict:
    env = kernel_env()  # fast mode, no network, inline figures (tests/test_notebooks.py)
    for key in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(key, None)
    env["MSSEDU_CACHE"] = str(cache)   # nothing cached from earlier runs helps the notebooks
    if path_dirs is not None:
        env["PATH"] = os.pathsep.join(map(str, path_dirs))
    return env


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.timeout(int(LIMIT_S) + 120)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_installed_notebook_executes(path, student, course_dir, bare_path, tmp_path_factory):
    """Each notebook once, from the installed course, without ffmpeg, fluidsynth, espeak-ng,
    pyworld or a compiler: it runs to the end, and one that renders synthetic songs says once
    that it plays them on numpy instruments and how to install fluidsynth."""
    # a notebook that renders songs gets a cache of its own, so that it renders (and warns)
    cache = tmp_path_factory.mktemp("cache") if path in USES_SYNTH else tmp_path_factory.getbasetemp() / "cache"
    nb, seconds, error = run_notebook(course_dir / path.name, student, tmp_path_factory.mktemp("k"),
                                      student_kernel_env(cache, bare_path))
    NOTEBOOK_TIMES[f"installed/{path.name}"] = ("ok" if error is None else "failed", seconds)
    assert error is None, str(error)[-3000:]
    assert not error_outputs(nb)
    said = [o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
            if "FallbackRendererWarning" in o.get("text", "")]
    if path in USES_SYNTH:
        assert [w for w in said if "fluidsynth program" in w and "install" in w], said
    if "extras.installed(" in path.read_text(encoding="utf-8"):   # a cell that needs an extra
        shown = json.dumps([c.get("outputs", []) for c in nb.cells])   # (none is installed here)
        assert "The optional extra mssedu[" in shown and "python -m pip install" in shown, path.name
    assert len(said) == len(set(said)), f"a warning repeated: {said}"


# --- the lab, as root, through mssedu course -------------------------------------------------

@pytest.mark.slow
@pytest.mark.timeout(240)
def test_course_opens_jupyterlab_as_root(student, course_dir, tmp_path):
    """``mssedu course DIR --port=P ...`` (extra arguments forwarded) starts JupyterLab; as root
    it adds --allow-root, without which JupyterLab refuses to start."""
    port, token = free_port(), "mssedu-lab-test"
    env = clean_env()
    for sub in ("config", "data", "runtime"):
        (tmp_path / sub).mkdir()
    env.update({"JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_DATA_DIR": str(tmp_path / "data"),
                "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_PREFER_ENV_PATH": "1"})
    log = open(tmp_path / "lab.log", "w")
    proc = subprocess.Popen([str(mssedu_exe(student)), "course", str(course_dir), "--no-browser",
                             f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
                             "--ServerApp.port_retries=0", "--LabApp.news_url="],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        page = None
        while page is None:
            assert proc.poll() is None, f"the lab exited ({proc.returncode}):\n{(tmp_path / 'lab.log').read_text()[-3000:]}"
            assert time.monotonic() < deadline, "no answer in 120 s:\n" + (tmp_path / "lab.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{url}/lab/tree/{NOTEBOOKS[0].name}?token={token}", timeout=5) as r:
                    page = r.read().decode()
            except urllib.error.HTTPError as err:
                pytest.fail(f"the lab answered {err.code}:\n{(tmp_path / 'lab.log').read_text()[-3000:]}")
            except OSError:
                time.sleep(0.5)
        with urllib.request.urlopen(f"{url}/api/contents?token={token}", timeout=10) as r:
            listed = {item["name"] for item in json.load(r)["content"]}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    assert "JupyterLab" in page
    assert {p.name for p in NOTEBOOKS} <= listed
    text = (tmp_path / "lab.log").read_text()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        assert "--allow-root" in text, "as root the command must carry --allow-root"


# --- Colab setup cell, Binder postBuild -------------------------------------------------------

@pytest.mark.slow
@pytest.mark.timeout(300)
def test_setup_cell_installs_mssedu_where_it_is_missing(wheel, tmp_path):
    """The first cell of every notebook, on a fresh machine: installs mssedu from
    MSSEDU_SOURCE (here the wheel, offline) and imports it; run again, it installs nothing."""
    from mssedu.colab_setup import SETUP_CELL
    import nbformat
    fresh = make_venv(tmp_path / "fresh")
    probe = subprocess.run([str(fresh), "-c", "import mssedu"], capture_output=True, text=True,
                           env=clean_env(), cwd=tmp_path)
    assert probe.returncode != 0 and "No module named 'mssedu'" in probe.stderr
    work = tmp_path / "colab"
    work.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SETUP_CELL),
                                         nbformat.v4.new_code_cell("print('MSSEDU-AT', mssedu.__file__)")])
    path = work / "first.ipynb"
    env = student_kernel_env(tmp_path / "cache")
    env.update({k: v for k, v in clean_env().items() if k.startswith("PIP_") or k == "PYTHONNOUSERSITE"})
    env["MSSEDU_SOURCE"] = str(tmp_path / "no-such-mssedu.whl")   # a failing install says what to do
    nbformat.write(nb, str(path))
    done, _, error = run_notebook(path, fresh, tmp_path / "k-fail", env)
    said = str(error)
    assert error is not None and "pip could not install mssedu from" in said, said[-2000:]
    assert "no-such-mssedu.whl" in said and "Set MSSEDU_SOURCE" in said, said[-2000:]
    env["MSSEDU_SOURCE"] = str(wheel)
    outputs = []
    for attempt in range(2):
        nbformat.write(nb, str(path))
        done, seconds, error = run_notebook(path, fresh, tmp_path / f"k{attempt}", env)
        assert error is None, str(error)[-3000:]
        text = "".join(o.get("text", "") for c in done.cells for o in c.get("outputs", []))
        outputs.append(text)
    first, second = outputs
    assert "installing mssedu from" in first and str(wheel) in first, first
    assert "installing" not in second, second
    where = re.search(r"MSSEDU-AT (\S+)", second).group(1)
    assert Path(where).is_relative_to(tmp_path / "fresh"), where
    assert re.search(r"computing on: (cpu|cuda|mps)", second), second


def test_add_setup_cell_script_is_idempotent(tmp_path):
    from mssedu.colab_setup import CELL_MARKER, SETUP_CELL
    for nb in NOTEBOOKS[:3]:   # the committed notebooks carry the cell: take it out first
        doc = json.loads(nb.read_text(encoding="utf-8"))
        doc["cells"] = [c for c in doc["cells"] if not "".join(c["source"]).startswith(CELL_MARKER)]
        (tmp_path / nb.name).write_text(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    paths = sorted(map(str, tmp_path.glob("*.ipynb")))
    script = [sys.executable, str(ROOT / "scripts" / "add_setup_cell.py")]
    assert subprocess.run(script + ["--check", *paths]).returncode == 1
    assert subprocess.run(script + paths).returncode == 0
    once = {p: Path(p).read_bytes() for p in paths}
    assert subprocess.run(script + paths).returncode == 0
    assert {p: Path(p).read_bytes() for p in paths} == once, "a second run changed the notebooks"
    assert subprocess.run(script + ["--check", *paths]).returncode == 0
    for p in paths:
        cells = json.loads(Path(p).read_text(encoding="utf-8"))["cells"]
        assert "".join(cells[0]["source"]) == SETUP_CELL.rstrip("\n")
        assert sum("".join(c["source"]).startswith(CELL_MARKER) for c in cells) == 1
        assert len(cells) == len(json.loads((ROOT / "notebooks" / Path(p).name).read_text())["cells"])
    strip = subprocess.run([sys.executable, str(ROOT / "scripts" / "strip_notebooks.py"), "--check", *paths])
    assert strip.returncode == 0, "the inserted cell must pass the outputs-cleared check"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_binder_postbuild_runs_in_a_clean_venv(tmp_path):
    """repo2docker runs binder/postBuild in the repository; here in a copy, with a clean venv's
    python, offline (torch and the dependencies are already there, so nothing is fetched;
    the optional nussl step fails offline and must not stop the build)."""
    from cleanenv import source_tree
    src = source_tree(tmp_path / "repo")
    python = make_venv(tmp_path / "binder-venv")
    env = clean_env()
    env.update({"PYTHON": str(python), "PIP_NO_BUILD_ISOLATION": "0"})
    out = subprocess.run(["bash", "binder/postBuild"], cwd=src, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "mssedu course installed:" in out.stdout
    check = subprocess.run([str(python), "-c", "import mssedu.course as c; print(c.course_folder())"],
                           capture_output=True, text=True, env=clean_env(), cwd=tmp_path)
    assert Path(check.stdout.strip()).is_relative_to(tmp_path / "binder-venv"), check.stdout + check.stderr
    apt = [l for l in (ROOT / "binder" / "apt.txt").read_text().splitlines() if not l.startswith("#")]
    assert "fluidsynth" in apt and "ffmpeg" not in apt   # optional instruments; decoding needs no ffmpeg


def test_dockerfile_and_binder_files_parse():
    text = (ROOT / "Dockerfile").read_text()
    instructions = [l.split()[0] for l in text.replace("\\\n", " ").splitlines() if l.strip() and not l.startswith("#")]
    assert instructions[0] == "FROM" and set(instructions) <= {"FROM", "USER", "RUN", "COPY", "ARG", "ENV", "WORKDIR"}
    for src in re.findall(r"^COPY (?:--\S+ )*(\S+) ", text, flags=re.M):
        assert (ROOT / src).exists(), f"Dockerfile copies {src}, which does not exist"
    for script in ("binder/postBuild", "docker/before-notebook.sh"):
        assert os.access(ROOT / script, os.X_OK), f"{script} must be executable"
        assert subprocess.run(["bash", "-n", str(ROOT / script)]).returncode == 0


def test_readme_documents_every_way_in():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.index("./course test") < readme.index("## Colab / Binder / JupyterHub / Windows") \
        < readme.index("## Workshop app") < readme.index("## The course")
    assert "python -m pip install" in readme and "\nmssedu course\n" in readme and "mssedu app" in readme
    from mssedu.colab_setup import PROJECT_URL
    assert PROJECT_URL.removeprefix("git+") in readme
    for nb in NOTEBOOKS:   # one Open-in-Colab link per notebook
        assert f"colab.research.google.com/github/" in readme and f"/notebooks/{nb.name})" in readme, nb.name


def test_project_url_is_one_constant():
    """README's install command and badges, pyproject's [project.urls] and every notebook's
    setup cell name the repository of ``mssedu.colab_setup.REPOSITORY`` and no other."""
    import tomllib

    from mssedu.colab_setup import PROJECT_URL, REPOSITORY
    owner_name = REPOSITORY.removeprefix("https://github.com/")
    assert PROJECT_URL == f"git+{REPOSITORY}.git" and owner_name.count("/") == 1
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = (re.findall(r"(?<![\w.])github\.com/([\w.-]+/[\w-]+)", readme)
             + re.findall(r"colab\.research\.google\.com/github/([\w.-]+/[\w-]+)/", readme)
             + re.findall(r"mybinder\.org/v2/gh/([\w.-]+/[\w-]+)/", readme))
    assert f'pip install "{PROJECT_URL}"' in readme
    assert len(named) >= len(NOTEBOOKS) + 2 and set(named) == {owner_name}, sorted(set(named))
    assert f"mssedu @ {PROJECT_URL}" in (ROOT / "environment.yml").read_text(encoding="utf-8")
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert urls["Homepage"] == REPOSITORY and all(u.startswith(REPOSITORY) for u in urls.values()), urls
    for nb in NOTEBOOKS:
        first = "".join(json.loads(nb.read_text(encoding="utf-8"))["cells"][0]["source"])
        assert f'"{PROJECT_URL}"' in first, f"{nb.name}: run scripts/add_setup_cell.py"


def test_lab_and_app_commands(monkeypatch, tmp_path):
    from mssedu import course
    from mssedu.app import voila_command
    from mssedu.errors import ParameterError
    monkeypatch.setattr(course.os, "geteuid", lambda: 0, raising=False)
    cmd = course.lab_command(tmp_path, ["--port=9999"], no_browser=True, python="py")
    assert cmd == ["py", "-m", "jupyterlab", f"--ServerApp.root_dir={tmp_path}", "--no-browser",
                   "--allow-root", "--port=9999"]
    monkeypatch.setattr(course.os, "geteuid", lambda: 1000, raising=False)
    assert "--allow-root" not in course.lab_command(tmp_path, python="py")
    monkeypatch.delattr(course.os, "geteuid", raising=False)   # Windows has no uid
    assert course.is_root() is False
    v = voila_command(tmp_path / "w.ipynb", port=8900, extra=["--Voila.ip=0.0.0.0"], python="py")
    assert v[:4] == ["py", "-m", "mssedu.app.launch", str(tmp_path / "w.ipynb")] and v[-1] == "--Voila.ip=0.0.0.0"
    assert "--VoilaConfiguration.strip_sources=True" in v and "--Voila.port=8900" in v
    with pytest.raises(ParameterError):
        voila_command("w.ipynb", port=0)
