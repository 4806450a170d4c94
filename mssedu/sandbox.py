"""A sandbox for student code on the instructor's machine.

:func:`choose` picks the isolation ``mssedu grade`` runs each submission in:

* **bubblewrap** (Linux; Debian/Ubuntu package ``bubblewrap``): new PID, network, IPC and UTS
  namespaces (no network at all: 127.0.0.1 inside is the sandbox's own), a root made of
  read-only system and Python folders plus the mssedu package, the submission's own folder
  the only writable one (the tests, the grades and other submissions are not there at all),
  run as ``nobody`` when the grader is root, under ``prlimit`` limits on CPU time, address
  space, processes, open files and file size (:class:`Limits`);
* **docker** or **podman** where a daemon answers (macOS, Windows, or Linux without
  bubblewrap): the same runner in a container image with mssedu installed (Otter's way of
  grading in containers), ``--network none``, a read-only root, the same limits as
  ``--memory``, ``--pids-limit``, ``--cpus`` and ``--ulimit``;
* **none**, only when asked (``--no-sandbox``): the grade sheet then carries a warning.

:func:`command` wraps a command line (run in the submission's folder) in the chosen
isolation.

>>> argv = command(Isolation("docker", "docker"), "/tmp/s", ["python", "-V"], image="img")
>>> argv[:4], "--network" in argv and "none" in argv
(['docker', 'run', '--rm', '-i'], True)
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import psutil

import mssedu

from .errors import ParameterError

__all__ = ["Limits", "Isolation", "choose", "command", "bubblewrap_command",
           "container_command", "missing_message", "sandbox_user", "KINDS", "DEFAULT_IMAGE", "NOBODY",
           "SANDBOX_UIDS"]

#: The isolations :func:`choose` knows, in order of preference.
KINDS = ("bubblewrap", "docker", "podman", "none")
#: The container image for docker/podman: an image with mssedu[grading] installed (build it
#: from the repository's ``Dockerfile``: ``docker build -t mssedu-grade .``).
DEFAULT_IMAGE = os.environ.get("MSSEDU_GRADE_IMAGE", "mssedu-grade")
#: The user id a root grader drops to inside bubblewrap (unless the submission's folder
#: belongs to another unprivileged user: each submission its own, see :func:`sandbox_user`).
NOBODY = 65534
#: The unprivileged user ids :func:`sandbox_user` hands out, in turn.
SANDBOX_UIDS = range(61000, 63000)
_next_uid = iter(range(10 ** 9))
_INNER_ROOT = "/opt/mssedu"   # where the mssedu package is mounted inside bubblewrap


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed process.

    Attributes
    ----------
    cpu_s : int
        CPU seconds.
    memory_bytes : int
        Address space (``RLIMIT_AS``): a larger allocation raises ``MemoryError``.
    processes : int
        Processes and threads of the sandbox's user (``RLIMIT_NPROC``, pids limit).
    open_files : int
        Open file descriptors.
    file_bytes : int
        Largest file it may write (``RLIMIT_FSIZE``).
    """

    cpu_s: int = 600
    memory_bytes: int = 4 * 1024 ** 3
    processes: int = 256
    open_files: int = 256
    file_bytes: int = 256 * 1024 ** 2


@dataclass(frozen=True)
class Isolation:
    """How a submission is isolated.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    program : str or None
        The program that isolates (``bwrap``, ``docker``, ``podman``), or None.
    """

    kind: str
    program: str | None = None

    def describe(self) -> str:
        """How submissions are isolated, in words.

        Returns
        -------
        str
            One line for the grade sheet and the terminal.
        """
        return {"bubblewrap": "bubblewrap sandbox (no network, read-only system, own folder only, "
                              "resource limits)",
                "docker": "docker container (--network none, read-only, resource limits)",
                "podman": "podman container (--network none, read-only, resource limits)",
                "none": "NO SANDBOX: submissions ran as your user, with your files and network "
                        "(--no-sandbox)"}[self.kind]


@lru_cache(maxsize=None)
def _bwrap_works(program: str) -> bool:
    """Whether bubblewrap can make its namespaces here (containers may forbid it)."""
    try:
        done = subprocess.run([program, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
                               "--proc", "/proc", "--dev", "/dev", "true"],
                              capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@lru_cache(maxsize=None)
def _daemon_answers(program: str) -> bool:
    try:
        return subprocess.run([program, "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def missing_message(platform: str | None = None) -> str:
    """What to install for a sandbox on this (or the given) platform.

    Parameters
    ----------
    platform : str, optional
        ``sys.platform`` (default: this one).

    Returns
    -------
    str
        The message, ending with the ``--no-sandbox`` escape hatch.
    """
    platform = platform or sys.platform
    if platform.startswith("linux"):
        how = ("install bubblewrap (`sudo apt install bubblewrap` on Debian/Ubuntu, `sudo dnf "
               "install bubblewrap` on Fedora) or Docker/Podman")
    elif platform == "darwin":
        how = "install Docker Desktop (https://docs.docker.com/desktop/) or Podman and start it"
    else:
        how = "install Docker Desktop (https://docs.docker.com/desktop/) or Podman and start it"
    return (f"No sandbox for student code on this machine ({platform}): {how}, then grade again. "
            "To grade without isolation (the submissions then run as you, with your files and "
            "network), pass --no-sandbox.")


def choose(kind: str = "auto", allow_none: bool = False) -> Isolation:
    """The isolation to grade with.

    Parameters
    ----------
    kind : {"auto", "bubblewrap", "docker", "podman", "none"}
        ``auto``: bubblewrap where it works, else docker or podman where a daemon answers.
    allow_none : bool
        Accept no isolation (``--no-sandbox``) when none is found or ``kind`` is ``"none"``.

    Returns
    -------
    Isolation

    Raises
    ------
    ParameterError
        An unknown ``kind``, the asked one is not usable here, or none is and ``allow_none``
        is false (the message says what to install).
    """
    if kind not in ("auto", *KINDS):
        raise ParameterError(f"isolation must be one of auto, {', '.join(KINDS)}; got {kind!r}.")
    if kind == "none":
        if not allow_none:
            raise ParameterError("Grading without a sandbox needs --no-sandbox.")
        return Isolation("none")
    wanted = KINDS[:-1] if kind == "auto" else (kind,)
    for name in wanted:
        program = shutil.which("bwrap" if name == "bubblewrap" else name)
        if program and sys.platform.startswith("linux") and name == "bubblewrap" and _bwrap_works(program):
            return Isolation(name, program)
        if program and name != "bubblewrap" and _daemon_answers(program):
            return Isolation(name, program)
    if kind != "auto":
        raise ParameterError(f"The {kind} isolation is not usable here. " + missing_message())
    if allow_none:
        return Isolation("none")
    raise ParameterError(missing_message())


def sandbox_user() -> int:
    """A user id for the next submission's sandbox (a root grader gives it the folder),
    so that one submission's processes never count against another's limit.

    Returns
    -------
    int
        One of :data:`SANDBOX_UIDS`, in turn.
    """
    return SANDBOX_UIDS[next(_next_uid) % len(SANDBOX_UIDS)]


def _python_folders() -> list:
    """The folders Python needs, read-only: the interpreter's, the environment's, and
    mssedu's package folder (mounted alone, so the checkout around it is not visible)."""
    folders = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
               Path(sys.executable).resolve().parent.parent}
    return sorted(str(p) for p in folders if p.is_dir())


def _parents(path: str) -> list:
    parts = Path(path).parts
    return ["/" + "/".join(parts[1:i]) for i in range(2, len(parts))]


def _prlimit(limits: Limits) -> list:
    return ["prlimit", f"--cpu={limits.cpu_s}", f"--as={limits.memory_bytes}",
            f"--nproc={limits.processes}", f"--nofile={limits.open_files}",
            f"--fsize={limits.file_bytes}", "--"]


def bubblewrap_command(program: str, folder, argv: list, limits: Limits = Limits(),
                       env: dict | None = None) -> list:
    """``argv`` run by bubblewrap in ``folder`` (see the module's description).

    Parameters
    ----------
    program : str
        The ``bwrap`` executable.
    folder : path-like
        The submission's folder: the only one writable, and the working folder.
    argv : list of str
        The command (``python`` is this interpreter).
    limits : Limits
        Resource limits.
    env : dict, optional
        Extra environment variables (the environment is otherwise cleared).

    Returns
    -------
    list of str
    """
    folder = str(Path(folder).resolve())
    package = str(Path(mssedu.__file__).resolve().parent)
    mounts = [*_python_folders()]
    dirs = sorted({p for m in mounts + [folder, _INNER_ROOT + "/mssedu"] for p in _parents(m)})
    cmd = [program, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
           "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--tmpfs", "/"]
    for d in dirs:   # parents bwrap would make private (0700): readable by the sandbox's user
        cmd += ["--perms", "0755", "--dir", d]
    for system in ("/usr", "/bin", "/lib", "/lib64", "/etc"):
        cmd += ["--ro-bind-try", system, system]
    for m in mounts:
        cmd += ["--ro-bind", m, m]
    cmd += ["--ro-bind", package, _INNER_ROOT + "/mssedu", "--proc", "/proc", "--dev", "/dev",
            "--bind", folder, folder, "--chdir", folder, "--clearenv"]
    for key, value in _inner_env(folder, env).items():
        cmd += ["--setenv", key, value]
    if os.geteuid() == 0:   # root ignores RLIMIT_NPROC: drop to the folder's owner inside
        uid = os.stat(folder).st_uid or NOBODY   # one user per submission: its own process count
        cmd += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all"]
    else:   # RLIMIT_NPROC counts all of this user's tasks: allow the ones running already
        limits = replace(limits, processes=limits.processes + _user_tasks())
    python = [sys.executable] if argv[0] == "python" else [argv[0]]
    return cmd + _prlimit(limits) + python + list(argv[1:])


def _user_tasks() -> int:
    """Processes and threads of this user now."""
    count = 0
    for proc in psutil.process_iter(["uids", "num_threads"]):
        try:
            if proc.info["uids"] and proc.info["uids"].real == os.getuid():
                count += proc.info["num_threads"] or 1
        except psutil.Error:
            continue
    return count


def _inner_env(folder: str, extra: dict | None) -> dict:
    env = {"PATH": "/usr/bin:/bin", "HOME": folder, "TMPDIR": folder, "PYTHONPATH": _INNER_ROOT,
           "MPLBACKEND": "Agg", "MPLCONFIGDIR": folder + "/.config", "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NUMBA_CACHE_DIR": folder + "/.cache",
           "XDG_CACHE_HOME": folder + "/.cache", "HF_HUB_OFFLINE": "1", "PYTHONDONTWRITEBYTECODE": "1",
           "LANG": "C.UTF-8"}
    env.update(extra or {})
    return env


def container_command(engine: str, folder, argv: list, limits: Limits = Limits(),
                      env: dict | None = None, image: str = DEFAULT_IMAGE) -> list:
    """``argv`` run in a container of ``image`` by docker or podman, in ``folder``.

    Parameters
    ----------
    engine : str
        ``docker`` or ``podman`` (or their path).
    folder : path-like
        The submission's folder, mounted at ``/submission`` (the only writable place but
        ``/tmp``).
    argv : list of str
        The command, with paths relative to ``folder``.
    limits : Limits
        Resource limits.
    env : dict, optional
        Environment variables.
    image : str
        An image with mssedu[grading] installed.

    Returns
    -------
    list of str
    """
    cmd = [engine, "run", "--rm", "-i", "--network", "none", "--read-only",
           "--tmpfs", "/tmp:rw,size=512m", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
           f"--memory={limits.memory_bytes}", f"--pids-limit={limits.processes}", "--cpus=1",
           "--ulimit", f"cpu={limits.cpu_s}:{limits.cpu_s}",
           "--ulimit", f"nofile={limits.open_files}:{limits.open_files}",
           "--ulimit", f"fsize={limits.file_bytes}:{limits.file_bytes}",
           "--user", f"{NOBODY}:{NOBODY}", "-v", f"{Path(folder).resolve()}:/submission:rw",
           "-w", "/submission"]
    inner = _inner_env("/submission", env)
    inner.pop("PYTHONPATH")   # the image has mssedu installed
    inner.pop("PATH")
    for key, value in inner.items():
        cmd += ["-e", f"{key}={value}"]
    return cmd + [image] + list(argv)


def command(isolation: Isolation, folder, argv: list, limits: Limits = Limits(),
            env: dict | None = None, image: str = DEFAULT_IMAGE) -> list:
    """``argv`` (``python ...``, paths relative to ``folder``) wrapped in ``isolation``.

    Parameters
    ----------
    isolation : Isolation
        From :func:`choose`.
    folder : path-like
        The submission's folder (working folder; the only writable one).
    argv : list of str
        The command; ``python`` means this interpreter (or the image's).
    limits : Limits
        Resource limits.
    env : dict, optional
        Extra environment variables.
    image : str
        The container image (docker/podman).

    Returns
    -------
    list of str
        For ``none``: ``argv`` itself (with this interpreter), under ``prlimit`` where it exists.
    """
    if isolation.kind == "bubblewrap":
        return bubblewrap_command(isolation.program, folder, argv, limits, env)
    if isolation.kind in ("docker", "podman"):
        return container_command(isolation.program or isolation.kind, folder, argv, limits, env, image)
    python = [sys.executable] if argv[0] == "python" else [argv[0]]
    return python + list(argv[1:])   # no isolation, no limits: the grade sheet warns
