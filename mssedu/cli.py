"""The ``mssedu`` command line: separate songs, fetch weights, run the demo, open the course.

::

    mssedu separate song.mp3 other.wav --out stems/ [--two-stems vocals] [--format flac]
    mssedu download htdemucs [--to DIR]
    mssedu demo [--out ./mssedu-demo]
    mssedu course [DIR] [--update] [JUPYTERLAB ARGS...]
    mssedu train --checkpoint my_unet.pt [--data synthetic|FOLDER] [--seconds 300]
    mssedu lab [--dir DIR] [JUPYTERLAB ARGS...]
    mssedu app [--port 8866] [--dir ./mssedu-app] [VOILA ARGS...]
    mssedu assign build [NN ...] [--check] | verify [NN ...] | archive [--out FILE] [--source DIR]
    mssedu grade SUBMISSIONS_DIR [--assignment NN] [--out grades] [--timeout 300] [--jobs 1]
                 [--source DIR] [--isolation auto|bubblewrap|docker|podman] [--no-sandbox]

``course``, ``lab`` and ``app`` pass arguments they do not know (``--port=9999``, or anything
after ``--``) on to JupyterLab or Voila, and add ``--allow-root`` when run as root.

``mssedu <command> --help`` describes each command. ``python -m mssedu`` is the same.
Exit status: 0 when everything worked, 1 when some file (or the command) failed, 2 for a
usage error.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

from . import __version__
from .assignments import release, sources
from .atomic import writable_folder
from .app import app_command
from .checks import check_output_file
from .course import DEFAULT_FOLDER, copy_course, lab_command
from .errors import DataError, MsseduError, ParameterError
from .grading import DEFAULT_TIMEOUT_S, find_submissions, grade, verify
from .instructors import archive
from .pipeline import demo_text, run_demo, slug
from .data.synth import STYLES
from .separation import (
    DEMUCS_MODELS,
    FORMATS,
    QUANTISED_MODELS,
    download,
    load_separator,
    looks_like_path,
    separate_file,
    song_name,
    stem_names,
)

from .models import UNET_PRESETS, TrainConfig, train

__all__ = ["main", "build_parser", "notebooks_folder", "FORMATS", "PASSTHROUGH", "cmd_train"]

#: Commands whose unknown arguments go on to the program they start.
PASSTHROUGH = {"lab": "JupyterLab", "course": "JupyterLab", "app": "Voila"}

def _model_list() -> str:
    """Every demucs model name with its label, for the help texts."""
    return ", ".join(f"{name} ({label})" for name, (label, _) in DEMUCS_MODELS.items())


def _say(msg: str = "", err: bool = False) -> None:
    print(msg, file=sys.stderr if err else sys.stdout, flush=True)


# -- separate ---------------------------------------------------------------------------------

def cmd_separate(args) -> int:
    out_root = Path(args.out).expanduser()
    try:
        writable_folder(out_root, "Choose another with --out.", what="output folder")
        separator = load_separator(args.model, repo=args.repo, device=args.device,
                                   shifts=args.shifts, overlap=args.overlap)
    except MsseduError as err:
        _say(f"error: {err}", err=True)
        return 1
    model_dir = slug(Path(args.model).stem if looks_like_path(args.model) else args.model)
    _say(f"model: {separator.name} ({separator.sr} Hz, sources {', '.join(separator.sources)})")
    failed = []
    done = 0
    used = {}
    try:
        names = stem_names(separator, args.two_stems)
    except MsseduError as err:
        _say(f"error: {err}", err=True)
        return 1
    for song in args.songs:
        song = Path(song).expanduser()
        folder = out_root / model_dir / song_name(song)
        if folder in used:   # song.wav and song.flac: never let one overwrite the other
            folder = folder.with_name(f"{folder.name}_{slug(song.suffix.lstrip('.') or 'audio')}")
            _say(f"note: {used[folder.with_name(song_name(song))]} already writes "
                 f"{folder.with_name(song_name(song))}; {song.name} goes to {folder}")
        used[folder] = song
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                written = separate_file(separator, song, folder, two_stems=args.two_stems,
                                        fmt=args.format, overwrite=args.force,
                                        progress=not args.quiet)
            for w in caught:
                _say(f"warning: {song.name}: {w.message}", err=True)
        except Exception as err:  # keep going past a bad file; report it at the end
            reason = str(err) if isinstance(err, MsseduError) else f"{type(err).__name__}: {err}"
            failed.append((song, reason))
            _say(f"FAILED {song}: {reason}", err=True)
            continue
        done += 1
        _say(f"ok  {song} -> {folder}/ ({', '.join(t.name for t in written)}; "
             f"{time.perf_counter() - t0:.1f} s)")
    _say(f"separated {done} of {len(args.songs)} file(s)" + (f"; {len(failed)} failed:" if failed else "."))
    for song, reason in failed:
        _say(f"  {song}: {reason}")
    return 1 if failed else 0


# -- download ---------------------------------------------------------------------------------

def cmd_download(args) -> int:
    t0 = time.perf_counter()
    try:
        folder = download(args.model, to=args.to, progress=not args.quiet)
    except MsseduError as err:
        _say(f"error: {err}", err=True)
        return 1
    _say(f"{args.model}: weights downloaded and verified in {folder} ({time.perf_counter() - t0:.0f} s).")
    if args.to is not None:
        _say(f"Use them offline with `mssedu separate SONG --model {args.model} --repo {folder}` "
             f"or load_separator({args.model!r}, repo={str(folder)!r}).")
    return 0


# -- demo -------------------------------------------------------------------------------------

def cmd_demo(args) -> int:
    if args.fast:
        os.environ["MSSEDU_FAST"] = "1"
    try:
        result = run_demo(args.out, force=args.force, repo=args.repo,
                          random_htdemucs=args.random_htdemucs, unet_seconds=args.unet_seconds,
                          progress=not args.quiet, log=_say)
    except MsseduError as err:
        _say(f"error: {err}", err=True)
        return 1
    if result.table is not None:
        _say("\nOn the real excerpt:")
        _say(demo_text(result.table))
    if result.notes:
        _say("\nnotes:")
        for n in result.notes:
            _say(f"  - {n}")
    if result.out is not None:
        _say(f"\nstems, table and figure written to {result.out.resolve()}")
    return 0 if result.table is not None else 1


# -- lab --------------------------------------------------------------------------------------

def notebooks_folder():
    """The course's ``notebooks/`` folder.

    Returns
    -------
    Path or None
        Beside the package in a checkout, or in the current folder; ``None`` if neither
        (an installed wheel: use ``mssedu course``, which copies its notebooks).
    """
    here = Path(__file__).resolve().parent.parent / "notebooks"
    for cand in (here, Path.cwd() / "notebooks"):
        if cand.is_dir():
            return cand
    return None


def _run(cmd, dry_run: bool) -> int:
    _say("  " + " ".join(cmd))
    if dry_run:
        return 0
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 0


def cmd_lab(args) -> int:
    folder = Path(args.dir).expanduser() if args.dir else notebooks_folder()
    if folder is None or not folder.is_dir():
        _say("error: the course notebooks were not found (looked for notebooks/ beside the mssedu "
             f"package and in {Path.cwd()}). With mssedu installed from pip, run `mssedu course` "
             "(it copies the notebooks into ./mssedu-course and opens them), or pass the folder: "
             "`mssedu lab --dir PATH/TO/notebooks`.", err=True)
        return 1
    _say(f"opening JupyterLab on {folder}")
    return _run(lab_command(folder, args.extra, no_browser=args.no_browser), args.dry_run)


def cmd_course(args) -> int:
    report = copy_course(args.dir, update=args.update)
    folder = report["folder"]
    _say(f"course folder: {folder}")
    if report["copied"]:
        _say(f"  copied {len(report['copied'])} notebook(s): {', '.join(report['copied'])}")
    if report["kept"]:
        _say(f"  kept your edited {', '.join(report['kept'])} (`mssedu course --update` refreshes "
             "them and keeps your version as a backup)")
    for new, old in zip(report["updated"], report["backups"]):
        _say(f"  updated {new}; your version is now {old}")
    if args.no_lab:
        return 0
    return _run(lab_command(folder, args.extra, no_browser=args.no_browser), args.dry_run)


def cmd_app(args) -> int:
    cmd, message = app_command(args.dir, port=args.port, no_browser=args.no_browser, extra=args.extra)
    _say(message)
    return _run(cmd, args.dry_run)


# -- train ------------------------------------------------------------------------------------

def _training_folder(path: str, subset: str) -> Path:
    """A dataset folder; a MUSDB18/MUSDB18-HQ root (with train/ and test/) gives its ``subset``."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise DataError(f"--data {path}: no such folder. Give 'synthetic', a MUSDB18(-HQ) root, or a "
                        "folder with one sub-folder (stem files) or .stem.mp4 per song.")
    if (folder / subset).is_dir():
        return folder / subset
    return folder


def cmd_train(args) -> int:
    """``mssedu train``: :func:`mssedu.models.train` from the command line (also under ``torchrun``).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments of the ``train`` sub-command.

    Returns
    -------
    int
        Exit status (0: trained and wrote the checkpoint).
    """
    if args.checkpoint is not None:   # before the first step, not after 9 minutes of training
        check_output_file(args.checkpoint, "--checkpoint", "Choose another --checkpoint path.")
    data = None if args.data == "synthetic" else str(_training_folder(args.data, args.subset))
    if args.valid == "synthetic":
        valid = "synthetic"
    elif args.valid == "none":
        valid = None
    else:
        valid = str(_training_folder(args.valid, "test"))
    if args.seconds is not None and args.seconds < 0:
        raise ParameterError(f"--seconds must be >= 0 (0: no time limit), got {args.seconds}.")
    settings = dict(preset=args.preset, targets=tuple(args.targets),
                    max_seconds=args.seconds or None, seed=args.seed, data_style=args.style,
                    songs=args.songs, song_seconds=args.song_seconds, batch_size=args.batch_size,
                    accumulate=args.accumulate, workers=args.workers, device=args.device)
    for name in ("steps", "lr", "val_every", "patience"):
        if getattr(args, name) is not None:
            settings[name] = getattr(args, name)
    result = train(data, valid=valid, config=TrainConfig(**settings), checkpoint=args.checkpoint,
                   resume=args.resume, overwrite=args.force, progress=not args.quiet)
    if int(os.environ.get("RANK", "0")) == 0:
        best = f"{result.best_sdr:+.2f} dB" if result.history["val_sdr"] else "not validated"
        _say(f"trained {result.steps} steps in {result.seconds:.0f} s ({result.stopped}); "
             f"best validation SDR {best}; checkpoint {result.checkpoint}")
    return 0


# -- graded labs ------------------------------------------------------------------------------

def cmd_assign(args) -> int:
    if args.action == "archive":
        _say(f"wrote {archive(args.out, args.source)}: the instructors' material (solutions, "
             "hidden tests); share it with the course staff only, never with students")
        return 0
    if args.action == "verify":
        bad = 0
        for number in args.numbers or [p.name[:2] for p in sources(args.source)]:
            got = verify(number, timeout=args.timeout, folder=args.source)
            full = sum(got["possible"].values())
            solved, blank = (sum(got[k]["scores"].values()) for k in ("solved", "release"))
            _say(f"{number}: solved {solved:g}/{full:g}, release {blank:g}/{full:g} "
                 f"{'ok' if got['ok'] else 'WRONG'}")
            for name, possible in got["possible"].items():
                _say(f"  {name}: solved {got['solved']['scores'][name]:g}, "
                     f"release {got['release']['scores'][name]:g} of {possible:g}")
            for kind in ("solved", "release"):
                if got[kind]["note"]:
                    _say(f"  {kind}: {got[kind]['note']}")
            if not got["ok"]:
                bad += 1
                for name, tests in got["solved"]["tests"].items():
                    for test, passed, _, message in tests:
                        if not passed:
                            _say(f"  solved {name} {test}: {message}")
        return 1 if bad else 0
    done = release(args.numbers or None, check=args.check, folder=args.source)
    bad = sum(differed for _, differed in done)
    for path, differed in done:
        if args.check:
            _say(f"{path.name}: {'differs from its source: run `mssedu assign build`' if differed else 'ok'}")
        elif differed:
            _say(f"wrote {path}")
    if not args.check:
        _say(f"built {len(done) // 2} source(s): wrote {bad} file(s), {len(done) - bad} already matched")
    return 1 if args.check and bad else 0


def cmd_grade(args) -> int:
    assignment = args.assignment
    if assignment is None:   # from the submissions' names: NN_<topic>.ipynb
        names = [p.name for _, p in find_submissions(args.submissions)]
        numbers = sorted({n[:2] for n in names if n[:2].isdigit() and n[2:3] == "_"})
        if len(numbers) != 1:
            raise ParameterError("Cannot tell which notebook was submitted from the file names: "
                                 "pass --assignment NN.")
        assignment = numbers[0]
    rows = grade(args.submissions, assignment, out=args.out, timeout=args.timeout, jobs=args.jobs,
                 progress=lambda line: _say("  " + line), isolation=args.isolation,
                 no_sandbox=args.no_sandbox, folder=args.source)
    _say(f"{len(rows)} submission(s) graded: {Path(args.out) / 'grades.csv'}, "
         f"{Path(args.out) / 'grades.html'}, feedback in {Path(args.out) / 'feedback'}/")
    return 0


# -- parser -----------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    """The ``mssedu`` command's argument parser.

    Returns
    -------
    argparse.ArgumentParser
    """
    p = argparse.ArgumentParser(prog="mssedu", description="mssedu: music source separation course "
                                "toolkit. Run `mssedu COMMAND --help` for each command.")
    p.add_argument("--version", action="version", version=f"mssedu {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("separate", help="split songs into stems (HT-Demucs or your mini U-Net)",
                       description="Separate each SONG into one audio file per stem, written to "
                       "OUT/MODEL/SONG/STEM.FORMAT. Existing files are never replaced without "
                       "--force. A file that fails is reported and the others still run; the exit "
                       "status is 1 if any failed.")
    s.add_argument("songs", nargs="+", metavar="SONG", help="audio files (wav, flac, mp3, m4a, .stem.mp4...)")
    s.add_argument("--model", "-m", default="htdemucs",
                   help=f"a demucs model: {_model_list()}; default htdemucs. Or NAME-random "
                        "(that architecture with random weights: for tests, output is noise), a "
                        "mini U-Net or band-split checkpoint (.pt), or oracle-irm. "
                        f"{', '.join(QUANTISED_MODELS)} (diffq-quantised) are not supported: "
                        "use mdx_extra")
    s.add_argument("--repo", default=None, metavar="DIR",
                   help="folder with MODEL.yaml and its checkpoint (from `mssedu download MODEL --to DIR`)")
    s.add_argument("--out", "-o", default="separated", metavar="DIR", help="output folder (default ./separated)")
    s.add_argument("--two-stems", default=None, metavar="STEM",
                   help="karaoke: write only STEM and 'accompaniment' (everything else), e.g. vocals")
    s.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"],
                   help="auto = CUDA GPU, else Apple MPS, else CPU")
    s.add_argument("--format", default="wav", choices=sorted(FORMATS), help="output format (default wav)")
    s.add_argument("--force", action="store_true", help="replace existing output files")
    s.add_argument("--shifts", type=int, default=None,
                   help="HT-Demucs shift trick: average N random time shifts (slower, ~+0.2 dB; default 0)")
    s.add_argument("--overlap", type=float, default=None,
                   help="HT-Demucs segment overlap in [0, 1) (default 0.25)")
    s.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    s.set_defaults(func=cmd_separate)

    d = sub.add_parser("download", help="fetch and verify model weights for offline use",
                       description="Download MODEL's weights (Hugging Face hub, falling back to "
                       "Meta's server), check their SHA-256 and load them once. Without --to they "
                       "go to mssedu's model folder, where load_separator finds them; with --to DIR "
                       "you get a folder to copy to an offline machine and pass as --repo DIR.")
    d.add_argument("model", metavar="MODEL", nargs="?", default="htdemucs",
                   help=f"one of {_model_list()}; default htdemucs")
    d.add_argument("--to", default=None, metavar="DIR", help="write the weights into DIR")
    d.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    d.set_defaults(func=cmd_download)

    m = sub.add_parser("demo", help="run the whole course pipeline headless on the real excerpt",
                       description="On the shipped MUSDB18 excerpt: oracle masks, Griffin-Lim and "
                       "MISI phase reconstruction, the mini U-Net (the shipped checkpoint, the one in "
                       "$MSSEDU_UNET_CHECKPOINT, or a fresh run with --unet-seconds) and HT-Demucs when its weights are "
                       "present. Prints one SDR/SIR/SAR table and writes stems, the table and a "
                       "figure. MSSEDU_FAST=1 (or --fast) makes it quicker.")
    m.add_argument("--out", "-o", default="mssedu-demo", metavar="DIR", help="output folder (default ./mssedu-demo)")
    m.add_argument("--force", action="store_true", help="replace existing demo output")
    m.add_argument("--repo", default=None, metavar="DIR", help="folder with htdemucs weights")
    m.add_argument("--random-htdemucs", action="store_true",
                   help="also run HT-Demucs with random weights (shows the mechanics; not a result)")
    m.add_argument("--unet-seconds", type=float, default=None,
                   help="train a fresh mini U-Net for this many seconds instead of using the "
                   "shipped checkpoint")
    m.add_argument("--fast", action="store_true", help="same as MSSEDU_FAST=1")
    m.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    m.set_defaults(func=cmd_demo)

    lab = sub.add_parser("lab", help="open the course notebooks in JupyterLab (a checkout)",
                         description="Start JupyterLab on the course's notebooks/ folder (in a "
                         "checkout of the repository; with mssedu installed from pip use `mssedu "
                         "course`). Other arguments (e.g. --port=9999, or anything after --) go to "
                         "JupyterLab; --allow-root is added when you are root.")
    lab.add_argument("--dir", default=None, help="notebooks folder (default: found beside the package)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    lab.set_defaults(func=cmd_lab)

    t = sub.add_parser("train", help="train a mini U-Net (synthetic songs, MUSDB18, or your multitracks)",
                       description="Train the mini U-Net with mssedu.models.train, the function the "
                       "notebooks use. Data: 'synthetic' (songs made here, rendered once into the "
                       "cache), a MUSDB18/MUSDB18-HQ root (its --subset folder), or any folder with "
                       "one sub-folder of stem files (or one .stem.mp4) per song. Validation and "
                       "early stopping use held-out songs (--valid); the course's real excerpt is "
                       "never used. The checkpoint is written atomically at every validation; "
                       "--resume continues it. Runs unchanged under `torchrun --nproc_per_node=N` "
                       "(data-parallel; --batch-size is the global batch).")
    t.add_argument("--checkpoint", "-c", required=True, metavar="FILE", help="checkpoint to write (.pt)")
    t.add_argument("--data", default="synthetic", metavar="synthetic|DIR",
                   help="training songs (default: synthetic songs made here)")
    t.add_argument("--subset", default="train", help="sub-folder of a MUSDB18 root (default train)")
    t.add_argument("--valid", default="synthetic", metavar="synthetic|none|DIR",
                   help="held-out validation songs (default: synthetic, seed 10000)")
    t.add_argument("--style", default="studio", choices=sorted(STYLES),
                   help="style of the synthetic songs (default studio)")
    t.add_argument("--songs", type=int, default=8, help="synthetic training songs (default 8)")
    t.add_argument("--song-seconds", type=float, default=30.0, help="length of each synthetic song")
    t.add_argument("--targets", nargs="+", default=["vocals"], metavar="STEM",
                   help="stems to learn (default vocals; e.g. vocals drums bass other)")
    t.add_argument("--preset", default="tiny", choices=sorted(UNET_PRESETS), help="model size (default tiny)")
    t.add_argument("--seconds", type=float, default=300.0,
                   help="wall-clock budget in seconds (default 300; 0 = no limit)")
    t.add_argument("--steps", type=int, default=None, help="largest number of steps")
    t.add_argument("--batch-size", type=int, default=16, help="global batch (default 16)")
    t.add_argument("--accumulate", type=int, default=1, help="micro-batches per step (default 1)")
    t.add_argument("--lr", type=float, default=None, help="AdamW learning rate (default 2e-3)")
    t.add_argument("--val-every", type=int, default=None, help="validate every N steps (default 50)")
    t.add_argument("--patience", type=int, default=None, help="early stopping patience (default 8)")
    t.add_argument("--seed", type=int, default=0, help="seed of the model, data order and augmentation")
    t.add_argument("--workers", type=int, default=0, help="data-loader worker processes (default 0)")
    t.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    t.add_argument("--resume", action="store_true", help="continue the run saved in --checkpoint")
    t.add_argument("--force", action="store_true", help="replace an existing --checkpoint")
    t.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_train)

    c = sub.add_parser("course", help="copy the course notebooks into a folder and open them",
                       description="Copy the notebooks that ship with mssedu into DIR (default "
                       f"./{DEFAULT_FOLDER}) and open JupyterLab there. A notebook you have edited "
                       "is never replaced: a second run only adds missing ones; --update refreshes "
                       "changed ones and keeps yours as NAME.backup-<time>.ipynb. Other arguments "
                       "(e.g. --port=9999, or anything after --) go to JupyterLab; --allow-root is "
                       "added when you are root. Instructors: the worked solutions and hidden tests "
                       "are not in this package; they are the repository's instructors/ folder or "
                       "an archive from `mssedu assign archive` (see `mssedu assign --help`).")
    c.add_argument("dir", nargs="?", default=DEFAULT_FOLDER, metavar="DIR",
                   help=f"working folder (default ./{DEFAULT_FOLDER})")
    c.add_argument("--update", action="store_true",
                   help="refresh notebooks that differ from the shipped ones (a backup of each is kept)")
    c.add_argument("--no-lab", action="store_true", help="only copy; do not start JupyterLab")
    c.add_argument("--no-browser", action="store_true", help="do not open a browser")
    c.add_argument("--dry-run", action="store_true", help="copy, then print the lab command instead of running it")
    c.set_defaults(func=cmd_course)

    a = sub.add_parser("app", help="the no-code workshop app (Voila) on a local port",
                       description="Serve the workshop page (mask explorer; separate your song) "
                       "with Voila on http://127.0.0.1:PORT/: widgets only, no code. Other "
                       "arguments go to Voila (e.g. --Voila.ip=0.0.0.0 to let the room connect).")
    a.add_argument("--port", type=int, default=None, help="local port (default 8866)")
    a.add_argument("--dir", default="mssedu-app", metavar="DIR",
                   help="working folder: the app notebook and the separated stems (default ./mssedu-app)")
    a.add_argument("--no-browser", action="store_true", help="do not open a browser")
    a.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    a.set_defaults(func=cmd_app)

    asg = sub.add_parser("assign", help="build the student notebooks from the instructor sources",
                         description="build: write notebooks/NN_*.ipynb (solutions, notes and "
                         "tests removed, outputs stripped) and instructors/solutions/NN_*.md (the "
                         "notes and solutions) from instructors/assignments/NN_*.ipynb; --check "
                         "only reports. verify: grade the solved build (must get full marks) and "
                         "the release (must get 0). archive: pack the instructors' folder as a "
                         ".tar.gz for the course staff (never for students). The instructors' "
                         "folder is --source, else ./instructors, else the checkout's.")
    asg.add_argument("action", choices=["build", "verify", "archive"])
    asg.add_argument("--source", default=None, metavar="DIR",
                     help="the instructors' folder (a checkout's instructors/ or an unpacked archive)")
    asg.add_argument("--out", default=None, metavar="FILE", help="archive: the file to write")
    asg.add_argument("numbers", nargs="*", metavar="NN", help="chapters (default for build: all)")
    asg.add_argument("--check", action="store_true", help="build: write nothing; exit 1 if any differs")
    asg.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                     help=f"verify: seconds each notebook may run (default {DEFAULT_TIMEOUT_S:g})")
    asg.set_defaults(func=cmd_assign)

    g = sub.add_parser("grade", help="grade a folder of submitted notebooks (Otter-Grader)",
                       description="Execute each submission (SUBMISSIONS_DIR/<student>.ipynb or "
                       "SUBMISSIONS_DIR/<student>/*.ipynb) in a sandbox (no network, its own "
                       "folder only, resource limits; refused where there is none unless "
                       "--no-sandbox), in fast mode, with a time limit; decide the scores in a "
                       "separate process from the exported answers with the public and hidden "
                       "tests of its instructor source; write OUT/grades.csv, OUT/grades.html and "
                       "OUT/feedback/<student>.html. A submission that crashes, hangs or is not a "
                       "notebook scores what it earned before that, with a note.")
    g.add_argument("submissions", metavar="SUBMISSIONS_DIR")
    g.add_argument("--assignment", "-a", default=None, metavar="NN",
                   help="the chapter (default: from the submissions' file names)")
    g.add_argument("--out", "-o", default="grades", metavar="DIR", help="output folder (default ./grades)")
    g.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                   help=f"seconds per submission (default {DEFAULT_TIMEOUT_S:g})")
    g.add_argument("--jobs", "-j", type=int, default=1, help="submissions graded at once (default 1)")
    g.add_argument("--source", default=None, metavar="DIR", help="the instructors' folder (see assign)")
    g.add_argument("--isolation", default="auto", choices=["auto", "bubblewrap", "docker", "podman"],
                   help="the sandbox for student code (default: bubblewrap, else docker/podman)")
    g.add_argument("--no-sandbox", action="store_true",
                   help="grade even where there is no sandbox (a warning goes into the grade sheet)")
    g.set_defaults(func=cmd_grade)
    return p


def main(argv=None) -> int:
    """Run the ``mssedu`` command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 all worked, 1 something failed, 2 usage error.
    """
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = []
    if "--" in argv:   # everything after -- goes to JupyterLab / Voila as is
        argv, extra = argv[: argv.index("--")], argv[argv.index("--") + 1:]
    args, unknown = parser.parse_known_args(argv)
    if getattr(args, "command", None) in PASSTHROUGH:
        args.extra = unknown + extra
    elif unknown or extra:
        parser.error(f"unrecognized arguments: {' '.join(unknown + extra)}")
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        _say("interrupted", err=True)
        return 130
    except MsseduError as err:
        _say(f"error: {err}", err=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
