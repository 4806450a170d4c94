"""The ``mssedu`` command line: separate songs, fetch weights, run the demo, open the course.

::

    mssedu separate song.mp3 other.wav --out stems/ [--two-stems vocals] [--format flac]
    mssedu download htdemucs [--to DIR]
    mssedu demo [--out ./mssedu-demo]
    mssedu lab

``mssedu <command> --help`` describes each command. ``python -m mssedu`` is the same.
Exit status: 0 when everything worked, 1 when some file (or the command) failed, 2 for a
usage error.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

from .errors import MsseduError, ParameterError

FORMATS = ("wav", "flac", "mp3")


def _say(msg: str = "", err: bool = False) -> None:
    print(msg, file=sys.stderr if err else sys.stdout, flush=True)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("_") or "model"


def _song_name(path: Path) -> str:
    name = path.name
    for suffix in (".stem.mp4",):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _check_writable_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ParameterError(f"Cannot create the output folder {folder}: {err.strerror or err}. "
                          "Choose another with --out.") from err
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ParameterError(f"Cannot write into {folder}: the folder is not writable. "
                          "Choose another with --out.")


# -- separate ---------------------------------------------------------------------------------

def cmd_separate(args) -> int:
    from . import audio
    from .pretrained import load_separator, separate

    out_root = Path(args.out).expanduser()
    try:
        _check_writable_folder(out_root)
    except MsseduError as err:
        _say(f"error: {err}", err=True)
        return 1
    try:
        separator = load_separator(args.model, repo=args.repo, device=args.device,
                                   **({"shifts": args.shifts, "overlap": args.overlap}
                                      if not str(args.model).endswith((".pt", ".pth", ".ckpt")) else {}))
    except MsseduError as err:
        _say(f"error: {err}", err=True)
        return 1
    model_dir = _slug(Path(args.model).stem if str(args.model).endswith((".pt", ".pth", ".ckpt"))
                      else args.model)
    _say(f"model: {separator.name} ({separator.sr} Hz, sources {', '.join(separator.sources)})")
    failed = []
    done = 0
    for song in args.songs:
        song = Path(song).expanduser()
        folder = out_root / model_dir / _song_name(song)
        names = [args.two_stems, "accompaniment"] if args.two_stems else list(separator.sources)
        targets = [folder / f"{n}.{args.format}" for n in names]
        existing = [t for t in targets if t.exists()]
        if existing and not args.force:
            failed.append((song, f"output exists ({existing[0]}); pass --force to replace it"))
            _say(f"FAILED {song}: {failed[-1][1]}", err=True)
            continue
        t0 = time.perf_counter()
        try:
            signal, sr = audio.load(song)
            stems = separate(separator, signal, sr, two_stems=args.two_stems, progress=not args.quiet)
            for name, path in zip(names, targets):
                audio.save(path, stems[name], sr, overwrite=args.force)
        except Exception as err:  # keep going past a bad file; report it at the end
            reason = str(err) if isinstance(err, MsseduError) else f"{type(err).__name__}: {err}"
            failed.append((song, reason))
            _say(f"FAILED {song}: {reason}", err=True)
            continue
        done += 1
        _say(f"ok  {song} -> {folder}/ ({', '.join(t.name for t in targets)}; "
             f"{time.perf_counter() - t0:.1f} s)")
    _say(f"separated {done} of {len(args.songs)} file(s)" + (f"; {len(failed)} failed:" if failed else "."))
    for song, reason in failed:
        _say(f"  {song}: {reason}")
    return 1 if failed else 0


# -- download ---------------------------------------------------------------------------------

def cmd_download(args) -> int:
    from .pretrained import download

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

def _demo_step(title: str, fn, results: dict, notes: list):
    """Run one demo step; a failure or a missing optional module is one clear line."""
    t0 = time.perf_counter()
    _say(f"- {title} ...")
    try:
        value = fn()
    except ModuleNotFoundError as err:
        notes.append(f"{title}: skipped, module {err.name} is not available ({err}).")
        _say(f"  skipped: {notes[-1]}")
        return None
    except Exception as err:
        notes.append(f"{title}: skipped ({type(err).__name__}: {str(err)[:300]})")
        _say(f"  skipped: {notes[-1]}")
        return None
    _say(f"  done in {time.perf_counter() - t0:.1f} s")
    return value


def run_demo(out=Path("mssedu-demo"), force: bool = False, repo=None, random_htdemucs: bool = False,
             unet_seconds: float | None = None, progress: bool = False) -> int:
    """The whole course pipeline on the shipped real excerpt, headless (``mssedu demo``).

    Oracle masks (IRM), the same magnitudes with Griffin-Lim and with MISI phases, the mini
    U-Net (the shipped checkpoint, ``MSSEDU_UNET_CHECKPOINT``, or a fresh training run of
    ``unet_seconds``), HT-Demucs when its weights
    are here; one SDR/SIR/SAR table (vocals and accompaniment, BSSEval v4 medians), the
    stems and a figure in ``out``. Returns the exit status."""
    import numpy as np

    from .config import fast_mode
    from .data import example_track

    out = Path(out).expanduser()
    fast = fast_mode()
    planned = [out / "demo_table.csv", out / "demo_table.txt", out / "demo_figure.png"]
    if out.exists() and not force:
        clash = [p for p in planned if p.exists()] + [p for p in out.iterdir() if p.is_dir()]
        if clash:
            _say(f"error: {out} already holds demo output ({clash[0]}); pass --force to replace it "
                 "or choose another folder with --out.", err=True)
            return 1
    try:
        _check_writable_folder(out)
    except MsseduError as err:
        _say(f"error: {err}", err=True)
        return 1
    track = example_track()
    _say(f"mssedu demo on {track.name!r} ({track.duration:.1f} s, {track.sr} Hz){' [fast mode]' if fast else ''}")
    estimates: dict = {}
    notes: list = []
    n_fft, hop = 4096, 1024
    n_iter = 16 if fast else 32

    def oracle():
        from .masks import oracle_separate

        return oracle_separate(track, "irm", n_fft=n_fft, hop_length=hop)

    irm = _demo_step("oracle ratio mask (IRM, mixture phase)", oracle, estimates, notes)
    if irm is not None:
        estimates["oracle IRM"] = irm

        def magnitudes():
            from .spectral import stft

            return {k: np.abs(stft(v, n_fft, hop)) for k, v in irm.items()}

        def gl():
            from .phase import griffin_lim

            mags = magnitudes()
            return {k: np.asarray(griffin_lim(m, n_iter=n_iter, momentum=0.99, n_fft=n_fft, hop_length=hop,
                                              length=track.mixture.shape[-1]).signal)
                    for k, m in mags.items()}

        def misi_():
            from .phase import misi

            res = misi(magnitudes(), track.mixture, n_iter=n_iter, init="mixture", n_fft=n_fft, hop_length=hop)
            return {k: np.asarray(v) for k, v in res.estimates.items()}

        r = _demo_step(f"IRM magnitudes + Griffin-Lim phase ({n_iter} iterations, random start)", gl,
                       estimates, notes)
        if r is not None:
            estimates["IRM + Griffin-Lim"] = r
        r = _demo_step(f"IRM magnitudes + MISI phase ({n_iter} iterations from the mixture phase)", misi_,
                       estimates, notes)
        if r is not None:
            estimates["IRM + MISI"] = r

    def unet():
        from .pretrained import load_separator, separate

        if unet_seconds:
            from .train import train

            result = train(max_seconds=unet_seconds, val_every=25, progress=progress, valid="example")
            sep = result.separator
        else:
            from .unet import shipped_checkpoint

            sep = load_separator(os.environ.get("MSSEDU_UNET_CHECKPOINT") or shipped_checkpoint())
        return separate(sep, track.mixture, track.sr, two_stems="vocals", progress=progress)

    if unet_seconds:
        unet_title = f"mini U-Net (trained now for {unet_seconds:.0f} s on synthetic songs)"
    elif os.environ.get("MSSEDU_UNET_CHECKPOINT"):
        unet_title = "mini U-Net (checkpoint in $MSSEDU_UNET_CHECKPOINT)"
    else:
        unet_title = "mini U-Net (shipped checkpoint: 5 minutes of CPU training on synthetic songs)"
    r = _demo_step(unet_title, unet, estimates, notes)
    if r is not None:
        estimates["mini U-Net"] = r

    def htdemucs():
        from .pretrained import find_weights, load_separator, separate

        if repo is None and find_weights("htdemucs") is None:
            raise ParameterError("its weights are not on this machine. Get them with `mssedu download "
                              "htdemucs` (needs internet; or `--to DIR` and copy DIR here, then "
                              "`mssedu demo --repo DIR`).")
        sep = load_separator("htdemucs", repo=repo)
        return separate(sep, track.mixture, track.sr, progress=progress)

    r = _demo_step("HT-Demucs (pretrained)", htdemucs, estimates, notes)
    if r is not None:
        estimates["HT-Demucs"] = r
    if random_htdemucs:
        def random_model():
            from .pretrained import RANDOM_MODEL, load_separator, separate

            return separate(load_separator(RANDOM_MODEL), track.mixture, track.sr, progress=progress)

        r = _demo_step("HT-Demucs with RANDOM weights (mechanics only, not a result)", random_model,
                       estimates, notes)
        if r is not None:
            estimates["HT-Demucs (random weights)"] = r

    table = None
    if estimates:
        def score():
            from .pretrained import compare

            return compare(estimates, track, two_stems="vocals", progress=False)

        table = _demo_step("scoring (BSSEval v4, vocals vs accompaniment)", score, estimates, notes)
    # stems and figure
    from . import audio

    for method, stems in estimates.items():
        for stem, sig in stems.items():
            try:
                audio.save(out / _slug(method) / f"{stem}.wav", sig, track.sr, overwrite=force)
            except MsseduError as err:
                notes.append(f"could not write {method}/{stem}: {err}")
    if table is not None:
        import pandas as pd

        with pd.option_context("display.width", 120, "display.precision", 2):
            text = table.to_string(index=False, float_format=lambda v: f"{v:6.2f}")
        text += ("\n\nSIR or SAR below SDR is no bug: v4 fits its distortion filters on the whole "
                 "excerpt, so within\na 1-s frame the interference and artefact errors can partly "
                 "cancel, and SDR sees only their sum.\nNotebook 04 compares these medians with "
                 "one evaluation of the whole excerpt (window=None).")
        _say("\nSDR / SIR / SAR in dB (BSSEval v4, median over 1 s frames), " + track.name)
        _say(text)
        table.to_csv(out / "demo_table.csv", index=False)
        (out / "demo_table.txt").write_text(text + "\n")

        def figure():
            from .plot.pretrained import demo_figure

            fig = demo_figure(table, {k: v.get("vocals") for k, v in estimates.items() if "vocals" in v},
                              track)
            fig.savefig(out / "demo_figure.png", dpi=110)

        _demo_step("figure", figure, estimates, notes)
    if notes:
        _say("\nnotes:")
        for n in notes:
            _say(f"  - {n}")
    _say(f"\nstems, table and figure written to {out.resolve()}")
    return 0 if table is not None else 1


def cmd_demo(args) -> int:
    if args.fast:
        os.environ["MSSEDU_FAST"] = "1"
    return run_demo(args.out, force=args.force, repo=args.repo, random_htdemucs=args.random_htdemucs,
                    unet_seconds=args.unet_seconds, progress=not args.quiet)


# -- lab --------------------------------------------------------------------------------------

def notebooks_folder():
    """The course's ``notebooks/`` folder: beside the package in a checkout, or in the
    current folder; ``None`` if neither exists."""
    here = Path(__file__).resolve().parent.parent / "notebooks"
    for cand in (here, Path.cwd() / "notebooks"):
        if cand.is_dir():
            return cand
    return None


def cmd_lab(args) -> int:
    import subprocess

    folder = Path(args.dir).expanduser() if args.dir else notebooks_folder()
    if folder is None or not folder.is_dir():
        _say("error: the course notebooks were not found (looked for notebooks/ beside the mssedu "
             f"package and in {Path.cwd()}). Clone the course repository and run `mssedu lab` "
             "inside it, or pass the folder: `mssedu lab --dir PATH/TO/notebooks`.", err=True)
        return 1
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}"]
    if args.no_browser:
        cmd.append("--no-browser")
    _say(f"opening JupyterLab on {folder}")
    _say("  " + " ".join(cmd))
    if args.dry_run:
        return 0
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 0


# -- parser -----------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mssedu", description="mssedu: music source separation course "
                                "toolkit. Run `mssedu COMMAND --help` for each command.")
    from . import __version__

    p.add_argument("--version", action="version", version=f"mssedu {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("separate", help="split songs into stems (HT-Demucs or your mini U-Net)",
                       description="Separate each SONG into one audio file per stem, written to "
                       "OUT/MODEL/SONG/STEM.FORMAT. Existing files are never replaced without "
                       "--force. A file that fails is reported and the others still run; the exit "
                       "status is 1 if any failed.")
    s.add_argument("songs", nargs="+", metavar="SONG", help="audio files (wav, flac, mp3, m4a, .stem.mp4...)")
    s.add_argument("--model", "-m", default="htdemucs",
                   help="htdemucs (default), htdemucs_ft, htdemucs_6s..., a mini U-Net checkpoint "
                        "(.pt), or htdemucs-random (random weights: for tests, output is noise)")
    s.add_argument("--repo", default=None, metavar="DIR",
                   help="folder with MODEL.yaml and its checkpoint (from `mssedu download MODEL --to DIR`)")
    s.add_argument("--out", "-o", default="separated", metavar="DIR", help="output folder (default ./separated)")
    s.add_argument("--two-stems", default=None, metavar="STEM",
                   help="karaoke: write only STEM and 'accompaniment' (everything else), e.g. vocals")
    s.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"],
                   help="auto = CUDA GPU, else Apple MPS, else CPU")
    s.add_argument("--format", default="wav", choices=FORMATS, help="output format (default wav)")
    s.add_argument("--force", action="store_true", help="replace existing output files")
    s.add_argument("--shifts", type=int, default=0,
                   help="HT-Demucs shift trick: average N random time shifts (slower, ~+0.2 dB)")
    s.add_argument("--overlap", type=float, default=0.25, help="segment overlap (default 0.25)")
    s.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    s.set_defaults(func=cmd_separate)

    d = sub.add_parser("download", help="fetch and verify model weights for offline use",
                       description="Download MODEL's weights (Hugging Face hub, falling back to "
                       "Meta's server), check their SHA-256 and load them once. Without --to they "
                       "go to mssedu's model folder, where load_separator finds them; with --to DIR "
                       "you get a folder to copy to an offline machine and pass as --repo DIR.")
    d.add_argument("model", metavar="MODEL", nargs="?", default="htdemucs", help="e.g. htdemucs, htdemucs_ft")
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

    lab = sub.add_parser("lab", help="open the course notebooks in JupyterLab",
                         description="Start JupyterLab on the course's notebooks/ folder.")
    lab.add_argument("--dir", default=None, help="notebooks folder (default: found beside the package)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    lab.set_defaults(func=cmd_lab)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
