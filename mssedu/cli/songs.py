"""``mssedu separate``, ``download`` and ``demo``: songs to stems, weights, the headless demo."""
from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

from ..errors import MsseduError, ParameterError
from .common import say

__all__ = ["add_separate_args", "cmd_separate", "add_download_args", "cmd_download", "add_demo_args", "cmd_demo"]


def add_separate_args(p) -> None:
    """Arguments of ``mssedu separate``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The sub-command's parser, filled in place.
    """
    p.description = ("Separate each SONG into one audio file per stem, written to "
                     "OUT/MODEL/SONG/STEM.FORMAT. Existing files are never replaced without "
                     "--force. A file that fails is reported and the others still run; the exit "
                     "status is 1 if any failed.")
    p.add_argument("songs", nargs="+", metavar="SONG", help="audio files (wav, flac, mp3, m4a, .stem.mp4...)")
    p.add_argument("--model", "-m", default="htdemucs",   # an unknown name is refused with the list
                   help="htdemucs (default), htdemucs_ft, htdemucs_6s, hdemucs_mmi, mdx_extra; "
                        "NAME-random (that architecture with random weights: for tests, output is "
                        "noise); umxhq, umxl (Open-Unmix), bs-roformer-musdb, bs-roformer-random; "
                        "a mini U-Net or band-split checkpoint (.pt); or oracle-irm")
    p.add_argument("--config", default=None, metavar="YAML",
                   help="with --model CHECKPOINT.ckpt: the BS-RoFormer configuration published with it")
    p.add_argument("--repo", default=None, metavar="DIR",
                   help="folder with MODEL.yaml and its checkpoint (from `mssedu download MODEL --to DIR`)")
    p.add_argument("--out", "-o", default="separated", metavar="DIR", help="output folder (default ./separated)")
    p.add_argument("--two-stems", default=None, metavar="STEM",
                   help="karaoke: write only STEM and 'accompaniment' (everything else), e.g. vocals")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"],
                   help="auto = CUDA GPU, else Apple MPS, else CPU")
    p.add_argument("--format", default="wav", metavar="FORMAT",
                   help="output format: wav (default), flac or mp3 (mp3 needs the ffmpeg program)")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument("--shifts", type=int, default=None,
                   help="HT-Demucs shift trick: average N random time shifts (slower, ~+0.2 dB; default 0)")
    p.add_argument("--overlap", type=float, default=None,
                   help="HT-Demucs segment overlap in [0, 1) (default 0.25)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars")


def cmd_separate(args) -> int:
    """``mssedu separate``: every song to stems; keeps going past a file that fails.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit status (0: everything worked).
    """
    from ..atomic import writable_folder
    from ..pipeline import slug
    from ..separation import FORMATS, load_separator, looks_like_path, separate_file, song_name, stem_names

    if args.format not in FORMATS:
        raise ParameterError(f"--format {args.format}: choose one of {', '.join(sorted(FORMATS))}.")
    out_root = Path(args.out).expanduser()
    writable_folder(out_root, "Choose another with --out.", what="output folder")
    separator = load_separator(args.model, repo=args.repo, device=args.device,
                               shifts=args.shifts, overlap=args.overlap, config=args.config)
    model_dir = slug(Path(args.model).stem if looks_like_path(args.model) else args.model)
    say(f"model: {separator.name} ({separator.sr} Hz, sources {', '.join(separator.sources)})")
    stem_names(separator, args.two_stems)   # refuses an unknown --two-stems before any work
    failed, used = [], {}
    for song in map(lambda s: Path(s).expanduser(), args.songs):
        folder = out_root / model_dir / song_name(song)
        if folder in used:   # song.wav and song.flac: never let one overwrite the other
            first = used[folder]
            folder = folder.with_name(f"{folder.name}_{slug(song.suffix.lstrip('.') or 'audio')}")
            say(f"note: {first} already writes {folder.with_name(song_name(song))}; "
                 f"{song.name} goes to {folder}")
        used[folder] = song
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                written = separate_file(separator, song, folder, two_stems=args.two_stems,
                                        fmt=args.format, overwrite=args.force,
                                        progress=not args.quiet)
            for w in caught:
                say(f"warning: {song.name}: {w.message}", err=True)
        except Exception as err:  # keep going past a bad file; report it at the end
            reason = str(err) if isinstance(err, MsseduError) else f"{type(err).__name__}: {err}"
            failed.append((song, reason))
            say(f"FAILED {song}: {reason}", err=True)
            continue
        say(f"ok  {song} -> {folder}/ ({', '.join(t.name for t in written)}; "
             f"{time.perf_counter() - t0:.1f} s)")
    done = len(args.songs) - len(failed)
    say(f"separated {done} of {len(args.songs)} file(s)" + (f"; {len(failed)} failed:" if failed else "."))
    for song, reason in failed:
        say(f"  {song}: {reason}")
    return 1 if failed else 0


def add_download_args(p) -> None:
    """Arguments of ``mssedu download``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The sub-command's parser, filled in place.
    """
    p.description = ("Download MODEL's weights (Hugging Face hub, falling back to Meta's "
                     "server), check their SHA-256 and load them once. Without --to they go to "
                     "mssedu's model folder, where load_separator finds them; with --to DIR you "
                     "get a folder to copy to an offline machine and pass as --repo DIR.")
    p.add_argument("model", metavar="MODEL", nargs="?", default="htdemucs",
                   help="a demucs model: htdemucs (default), htdemucs_ft, htdemucs_6s, "
                        "hdemucs_mmi, mdx_extra; umxhq, umxl (Open-Unmix); bs-roformer-musdb "
                        "(an unknown name is refused with the full list)")
    p.add_argument("--sha256", default=None, metavar="HEX",
                   help="the SHA-256 you trust, for a checkpoint published without one (bs-roformer-musdb)")
    p.add_argument("--to", default=None, metavar="DIR", help="write the weights into DIR")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars")


def cmd_download(args) -> int:
    """``mssedu download``: fetch and verify a demucs model's weights.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit status (0: everything worked).
    """
    from ..separation import download

    t0 = time.perf_counter()
    folder = download(args.model, to=args.to, progress=not args.quiet, sha256=args.sha256)
    say(f"{args.model}: weights downloaded and verified in {folder} ({time.perf_counter() - t0:.0f} s).")
    if args.to is not None:
        say(f"Use them offline with `mssedu separate SONG --model {args.model} --repo {folder}` "
             f"or load_separator({args.model!r}, repo={str(folder)!r}).")
    return 0


def add_demo_args(p) -> None:
    """Arguments of ``mssedu demo``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The sub-command's parser, filled in place.
    """
    p.description = ("On the shipped MUSDB18 excerpt: oracle masks, Griffin-Lim and MISI phase "
                     "reconstruction, the mini U-Net (the shipped checkpoint, the one in "
                     "$MSSEDU_UNET_CHECKPOINT, or a fresh run with --unet-seconds) and HT-Demucs "
                     "when its weights are present. Prints one SDR/SIR/SAR table and writes "
                     "stems, the table and a figure. MSSEDU_FAST=1 (or --fast) makes it quicker.")
    p.add_argument("--out", "-o", default="mssedu-demo", metavar="DIR", help="output folder (default ./mssedu-demo)")
    p.add_argument("--force", action="store_true", help="replace existing demo output")
    p.add_argument("--repo", default=None, metavar="DIR", help="folder with htdemucs weights")
    p.add_argument("--random-htdemucs", action="store_true",
                   help="also run HT-Demucs with random weights (shows the mechanics; not a result)")
    p.add_argument("--unet-seconds", type=float, default=None,
                   help="train a fresh mini U-Net for this many seconds instead of using the "
                        "shipped checkpoint")
    p.add_argument("--fast", action="store_true", help="same as MSSEDU_FAST=1")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars")


def cmd_demo(args) -> int:
    """``mssedu demo``: the course pipeline, headless, on the real excerpt.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit status (0: everything worked).
    """
    from ..pipeline import demo_text, run_demo

    if args.fast:
        os.environ["MSSEDU_FAST"] = "1"
    result = run_demo(args.out, force=args.force, repo=args.repo,
                      random_htdemucs=args.random_htdemucs, unet_seconds=args.unet_seconds,
                      progress=not args.quiet, log=say)
    if result.table is not None:
        say("\nOn the real excerpt:")
        say(demo_text(result.table))
    if result.notes:
        say("\nnotes:")
        for n in result.notes:
            say(f"  - {n}")
    if result.out is not None:
        say(f"\nstems, table and figure written to {result.out.resolve()}")
    return 0 if result.table is not None else 1
