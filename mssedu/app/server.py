"""Serving the workshop app: the Voila command line, with the user's options merged in.

``mssedu app`` copies the app notebook into a working folder (:func:`prepare_app`) and runs
Voila on it (:func:`app_command`). Voila refuses an option given twice ("ip only accepts one
value, got 2"), so the user's options are not appended to ours: they *replace* ours, one
value per option (:func:`voila_arguments`). Our defaults serve the page for this machine only
(``127.0.0.1``), with no code shown, no request to another address (the page template
:data:`TEMPLATE` drops Voila's CDN stylesheet links), and kernels of vanished pages culled.
"""
from __future__ import annotations

import shutil
import socket
import sys
from pathlib import Path

from ..errors import DataError, ParameterError
from ..extras import installed, missing

__all__ = ["APP_NOTEBOOK", "TEMPLATE", "DEFAULT_PORT", "VOILA_DEFAULTS", "KERNEL_CULLING",
           "voila_arguments", "prepare_app", "voila_command", "app_command"]

#: The app notebook that Voila serves (package data).
APP_NOTEBOOK = Path(__file__).resolve().parent / "workshop.ipynb"
#: Voila's template for the page (``share/voila/templates/mssedu``: the lab template without
#: links to a CDN); :mod:`mssedu.app.launch` puts ``share`` on Jupyter's data path.
TEMPLATE = "mssedu"
DEFAULT_PORT = 8866
#: Kernels of pages that are gone. Voila's page stops its kernel when it unloads; a page that
#: vanished otherwise (a laptop closed, the network lost, a browser killed) leaves a kernel of
#: 0.7-0.8 GB with no connection. jupyter_server's culler stops such a kernel once it has been
#: idle for ``cull_idle_timeout`` seconds (checked every ``cull_interval``). An open page is
#: never culled, however long a student reads (``cull_connected=False``), nor a busy one.
KERNEL_CULLING = {"MappingKernelManager.cull_idle_timeout": "300",
                  "MappingKernelManager.cull_interval": "60",
                  "MappingKernelManager.cull_connected": "False",
                  "MappingKernelManager.cull_busy": "False"}
#: Our options for Voila, by full name (``--name=value``); any the user gives replaces ours.
VOILA_DEFAULTS = {"Voila.ip": "127.0.0.1", "Voila.port": str(DEFAULT_PORT),
                  "VoilaConfiguration.template": TEMPLATE,
                  "VoilaConfiguration.strip_sources": "True",
                  "VoilaConfiguration.theme": "light",
                  "VoilaConfiguration.show_tracebacks": "True",
                  "VoilaConfiguration.file_allowlist": r".*\.(png|jpg|gif|svg|wav)",
                  **KERNEL_CULLING}
#: Short names -> full names: Voila's aliases, and ``ip`` as JupyterLab users type it
#: (Voila itself has no ``--ip`` and would ignore it with only a line in its log).
ALIASES = {"ip": "Voila.ip", "port": "Voila.port", "base_url": "Voila.base_url",
           "autoreload": "Voila.autoreload", "static": "Voila.static_root",
           "server_url": "Voila.server_url", "token": "Voila.token",
           "pool_size": "VoilaConfiguration.default_pool_size",
           "preheat_kernel": "VoilaConfiguration.preheat_kernel",
           "progressive_rendering": "VoilaConfiguration.progressive_rendering",
           "show_tracebacks": "VoilaConfiguration.show_tracebacks",
           "strip_sources": "VoilaConfiguration.strip_sources",
           "template": "VoilaConfiguration.template", "theme": "VoilaConfiguration.theme",
           "classic_tree": "VoilaConfiguration.classic_tree"}
#: Voila's options that take no value.
FLAGS = {"no-browser", "debug", "show-margins", "classic-tree", "token", "help", "help-all"}


def _user_options(extra) -> dict:
    """``extra`` (``--name=value``, ``--name value`` or ``--flag``) as ``{full name: value}``
    (``None`` for a flag), refusing an option given twice with different values."""
    tokens, found, spelled = [str(t) for t in extra], {}, {}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok.startswith("--") or tok == "--":
            raise ParameterError(f"{tok!r} is not a Voila option (those start with --, e.g. "
                                 "--Voila.ip=0.0.0.0); mssedu app serves its own notebook.")
        name, eq, value = tok[2:].partition("=")
        if not eq and name not in FLAGS and i + 1 < len(tokens) and not tokens[i + 1].startswith("--"):
            value, i = tokens[i + 1], i + 1     # "--ip 0.0.0.0"
        elif not eq and name in FLAGS:
            value = None
        elif not eq:
            raise ParameterError(f"--{name} needs a value (--{name}=VALUE).")
        key = ALIASES.get(name, name)
        if key in found and found[key] != value:
            raise ParameterError(f"{key} is given twice, as {spelled[key]} and as --{name}={value}: "
                                 "give it once.")
        found[key], spelled[key] = value, f"--{name}={value}"
        i += 1
    return found


def voila_arguments(defaults: dict, extra=()) -> list:
    """Voila's options: ``defaults`` with the user's ``extra`` options winning, one value each.

    Short names are read as the full ones (``--ip`` and ``--Voila.ip``, ``--port`` and
    ``--Voila.port``), so that an option the user gives replaces ours instead of being passed
    twice (which Voila refuses) or ignored (``--ip``, which Voila does not know).

    Parameters
    ----------
    defaults : dict
        ``{full option name: value}`` (value ``None`` for a flag), e.g. :data:`VOILA_DEFAULTS`.
    extra : sequence of str
        The user's options: ``--name=value``, ``--name value`` or ``--flag``.

    Returns
    -------
    list of str
        ``--name=value`` (or ``--flag``): our defaults the user did not give, then the
        user's options in their order.

    Raises
    ------
    ParameterError
        An option given twice with two values, an option without its value, or a word that
        is not an option.

    Examples
    --------
    >>> voila_arguments({"Voila.ip": "127.0.0.1", "Voila.port": "8866"},
    ...                 ["--port", "8900", "--Voila.ip=0.0.0.0"])
    ['--Voila.port=8900', '--Voila.ip=0.0.0.0']
    >>> voila_arguments({"Voila.ip": "127.0.0.1"}, ["--ip=0.0.0.0", "--no-browser"])
    ['--Voila.ip=0.0.0.0', '--no-browser']
    """
    user = _user_options(extra)
    merged = {k: v for k, v in defaults.items() if k not in user}
    merged.update(user)
    return [f"--{k}" if v is None else f"--{k}={v}" for k, v in merged.items()]


def prepare_app(folder) -> Path:
    """Put the app notebook into ``folder`` (created if needed); returns its path.

    Parameters
    ----------
    folder : str or pathlib.Path
        The app's working folder (stems are written below it).

    Returns
    -------
    pathlib.Path
        ``folder/workshop.ipynb`` (always the shipped version: it is the app, not a
        student's notebook).

    Examples
    --------
    >>> import tempfile
    >>> prepare_app(tempfile.mkdtemp()).name
    'workshop.ipynb'
    """
    folder = Path(folder).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / APP_NOTEBOOK.name
    if target.exists() and target.read_bytes() != APP_NOTEBOOK.read_bytes():
        raise DataError(f"{target} exists and is not the app's notebook; it is left as it is. "
                        "Move it away, or choose another --dir.")
    shutil.copyfile(APP_NOTEBOOK, target)
    return target


def voila_command(notebook, port: int | None = None, no_browser: bool = False, extra=(),
                  python=None) -> list:
    """The command line that serves the app notebook with Voila (on ``127.0.0.1:port`` unless
    ``extra`` says otherwise).

    Sources are stripped (no code on the page), tracebacks are shown in the page, the
    ``.wav`` files under the notebook's folder are served for download, and idle kernels of
    closed pages are culled (:data:`KERNEL_CULLING`). Voila runs through
    :mod:`mssedu.app.launch`, which finds the page's template.

    Parameters
    ----------
    notebook : str or pathlib.Path
        The app notebook (from :func:`prepare_app`).
    port : int or None
        Local port (None: :data:`DEFAULT_PORT`, or the one in ``extra``).
    no_browser : bool
        Do not open a web browser.
    extra : sequence of str
        The user's Voila options; they win over ours, one value each (e.g.
        ``--Voila.ip=0.0.0.0`` lets others in the room connect).
    python : str or None
        The interpreter (default: this one).

    Returns
    -------
    list of str
        The command.

    Raises
    ------
    ParameterError
        The port is not a whole number in 1..65535, or see :func:`voila_arguments`.

    Examples
    --------
    >>> cmd = voila_command("w.ipynb", port=8900, extra=["--ip=0.0.0.0"], python="py")
    >>> cmd[:4], [a for a in cmd if "ip=" in a or "port=" in a]
    (['py', '-m', 'mssedu.app.launch', 'w.ipynb'], ['--Voila.port=8900', '--Voila.ip=0.0.0.0'])
    """
    user = ([f"--port={port}"] if port is not None else []) + [str(a) for a in extra]
    args = voila_arguments({**VOILA_DEFAULTS, **({"no-browser": None} if no_browser else {})}, user)
    chosen = [a.split("=", 1)[1] for a in args if a.startswith("--Voila.port=")][0]
    if not chosen.isdigit() or not 0 < int(chosen) < 65536:
        raise ParameterError(f"port must be a whole number in 1..65535, got {chosen!r}.")
    return [python or sys.executable, "-m", "mssedu.app.launch", str(notebook), *args]


def _option(cmd, name: str) -> str:
    """The value of ``--name=...`` in ``cmd``."""
    return [a.split("=", 1)[1] for a in cmd if a.startswith(f"--{name}=")][-1]


def app_command(folder, port: int | None = None, no_browser: bool = False, extra=()) -> tuple:
    """What ``mssedu app`` runs: the app notebook put into ``folder``, the Voila command, and
    the line that tells the user where the page is.

    Parameters
    ----------
    folder : str or pathlib.Path
        The app's working folder (see :func:`prepare_app`).
    port : int or None
        ``mssedu app --port`` (None: not given).
    no_browser : bool
        Do not open a web browser.
    extra : sequence of str
        The user's Voila options (see :func:`voila_arguments`).

    Returns
    -------
    tuple
        ``(command, message)``: the list for ``subprocess``, and the addresses to open.

    Raises
    ------
    ParameterError
        See :func:`voila_command`.
    DataError
        Voila (the optional extra ``mssedu[app]``) is not installed; the message says how to add it.

    Examples
    --------
    >>> import tempfile
    >>> cmd, message = app_command(tempfile.mkdtemp(), port=8900)
    >>> message.split(";")[0]
    'workshop app on http://127.0.0.1:8900/'
    """
    if not installed("app"):   # Voila is the optional extra mssedu[app]: say so, write nothing
        raise DataError(missing("app", instead="The workshop page cannot be served without Voila; "
                                               "the course itself opens with `mssedu course`."))
    cmd = voila_command(Path(folder).expanduser().resolve() / APP_NOTEBOOK.name, port=port,
                        no_browser=no_browser, extra=extra)   # checked before anything is written
    notebook = prepare_app(folder)
    ip, chosen = _option(cmd, "Voila.ip"), _option(cmd, "Voila.port")
    message = f"workshop app on http://127.0.0.1:{chosen}/"
    if ip not in ("127.0.0.1", "localhost", "::1"):   # the room can connect: say where
        message += (f" (listening on {ip or 'every interface'}: others on this network open "
                    f"http://{socket.gethostname()}:{chosen}/ or this machine's address)")
    return cmd, (message + f"; stems are written to {notebook.parent / 'my_stems'}; Ctrl-C stops it")
