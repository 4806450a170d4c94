"""``mssedu train`` and ``evaluate``: a model trained on synthetic songs or MUSDB18, and
judged over many songs."""
from __future__ import annotations

import os
import time
from pathlib import Path

from ..errors import DataError, ParameterError
from .common import say

__all__ = ["GPU_RECIPE", "add_train_args", "cmd_train", "add_evaluate_args", "cmd_evaluate"]


def _training_folder(path: str, subset: str) -> Path:
    """A dataset folder; a MUSDB18/MUSDB18-HQ root (with train/ and test/) gives its ``subset``."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise DataError(f"--data {path}: no such folder. Give 'synthetic', a MUSDB18(-HQ) root, or a "
                        "folder with one sub-folder (stem files) or .stem.mp4 per song.")
    if (folder / subset).is_dir():
        return folder / subset
    return folder


#: ``mssedu train --help``'s closing paragraph (the README's "A training recipe for one GPU").
GPU_RECIPE = (
    "GPU recipe (one GPU, about an hour): mssedu train -c vocals_full.pt --data musdb --preset full "
    "--batch-size 32 --seconds 3600 --val-every 200 --patience 20 (the 7-s previews; or --data "
    "~/musdb18hq --musdb-seconds 60 for MUSDB18-HQ), then mssedu evaluate vocals_full.pt --data "
    "musdb (or the root). Expect, from the literature and not measured here: Open-Unmix trained "
    "on all of MUSDB18 reaches about 6.3 dB vocals SDR on its test set; the previews hold 7 s "
    "per song (under 4 % of the audio), so a U-Net trained on them should land a few dB lower, "
    "roughly 2 to 4 dB vocals on the test previews.")


def _musdb_training(args):
    """``--data musdb`` (the previews) or a MUSDB18(-HQ) root: musdb's train and validation
    songs (:func:`mssedu.data.musdb.musdb_training_sets`); ``None`` for other data."""
    from ..data.musdb import is_musdb_root, musdb_training_sets

    if args.data != "musdb" and not is_musdb_root(args.data):
        return None
    if args.subset != "train":
        raise ParameterError(f"--subset {args.subset}: with MUSDB18 data, training reads musdb's split of "
                             "train/ (validation: its 14 validation songs); test/ stays held out for "
                             "`mssedu evaluate`.")
    return musdb_training_sets(args.data, max_seconds=args.musdb_seconds, progress=not args.quiet)


def add_train_args(p) -> None:
    """Arguments of ``mssedu train``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The sub-command's parser, filled in place.
    """
    p.description = ("Train the mini U-Net with mssedu.models.train, the function the notebooks "
                     "use. Data: 'synthetic' (songs made here, rendered once into the cache), a "
                     "MUSDB18/MUSDB18-HQ root (its --subset folder), or any folder with one "
                     "sub-folder of stem files (or one .stem.mp4) per song. Validation and early "
                     "stopping use held-out songs (--valid); the course's real excerpt is never "
                     "used. The checkpoint is written atomically at every validation; --resume "
                     "continues it. Runs unchanged under `torchrun --nproc_per_node=N` "
                     "(data-parallel; --batch-size is the global batch).")
    p.add_argument("--checkpoint", "-c", required=True, metavar="FILE", help="checkpoint to write (.pt)")
    p.add_argument("--data", default="synthetic", metavar="synthetic|musdb|DIR",
                   help="training songs (default: synthetic songs made here; musdb: the MUSDB18 "
                   "7-s previews, downloaded and cached once; a MUSDB18(-HQ) root: musdb's train split)")
    p.add_argument("--subset", default="train", help="sub-folder of a MUSDB18 root (default train)")
    p.add_argument("--valid", default="auto", metavar="auto|synthetic|none|DIR",
                   help="held-out validation songs (default auto: musdb's 14 validation songs for "
                   "MUSDB18 data, else synthetic songs of seed 10000)")
    p.add_argument("--style", default="studio", help="style of the synthetic songs (default studio; "
                   "see mssedu.data.synth.STYLES)")
    p.add_argument("--songs", type=int, default=8, help="synthetic training songs (default 8)")
    p.add_argument("--song-seconds", type=float, default=30.0, help="length of each synthetic song")
    p.add_argument("--targets", nargs="+", default=["vocals"], metavar="STEM",
                   help="stems to learn (default vocals; e.g. vocals drums bass other)")
    p.add_argument("--preset", default="tiny", help="model size (default tiny; see mssedu.models.UNET_PRESETS)")
    p.add_argument("--seconds", type=float, default=300.0,
                   help="wall-clock budget in seconds (default 300; 0 = no limit)")
    p.add_argument("--steps", type=int, default=None, help="largest number of steps")
    p.add_argument("--batch-size", type=int, default=16, help="global batch (default 16)")
    p.add_argument("--accumulate", type=int, default=1, help="micro-batches per step (default 1)")
    p.add_argument("--lr", type=float, default=None, help="AdamW learning rate (default 2e-3)")
    p.add_argument("--val-every", type=int, default=None, help="validate every N steps (default 50)")
    p.add_argument("--patience", type=int, default=None, help="early stopping patience (default 8)")
    p.add_argument("--seed", type=int, default=0, help="seed of the model, data order and augmentation")
    p.add_argument("--workers", type=int, default=0, help="data-loader worker processes (default 0)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    p.add_argument("--resume", action="store_true", help="continue the run saved in --checkpoint")
    p.add_argument("--force", action="store_true", help="replace an existing --checkpoint")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--musdb-seconds", type=float, default=None, metavar="S",
                   help="cut every MUSDB18 song to S seconds around its middle (full songs take "
                   "~45 MB of memory per minute each; default: whole songs)")
    p.epilog = GPU_RECIPE


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
    from ..checks import check_output_file
    from ..data.musdb import is_musdb_root, musdb_training_sets
    from ..models import TrainConfig, train

    if args.checkpoint is not None:   # before the first step, not after 9 minutes of training
        check_output_file(args.checkpoint, "--checkpoint", "Choose another --checkpoint path.")
    musdb = _musdb_training(args)     # (train, valid) songs for --data musdb or a MUSDB root
    data = None if args.data == "synthetic" else musdb[0] if musdb else str(_training_folder(args.data, args.subset))
    if args.valid == "auto":
        valid = musdb[1] if musdb else "synthetic"
    elif args.valid == "synthetic":
        valid = "synthetic"
    elif args.valid == "none":
        valid = None
    else:
        valid = (musdb_training_sets(args.valid, max_seconds=args.musdb_seconds, progress=not args.quiet)[1]
                 if is_musdb_root(args.valid) else str(_training_folder(args.valid, "test")))
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
        say(f"trained {result.steps} steps in {result.seconds:.0f} s ({result.stopped}); "
             f"best validation SDR {best}; checkpoint {result.checkpoint}")
    return 0


def _evaluation_model(name: str):
    """A separator from a model name, a checkpoint path, or a shipped checkpoint's name."""
    from ..models import shipped_checkpoint
    from ..separation import load_separator, looks_like_path

    if not Path(name).expanduser().exists() and not looks_like_path(name) and name.startswith("unet_"):
        name = shipped_checkpoint(name)     # e.g. unet_tiny_vocals
    return load_separator(name)


def cmd_evaluate(args) -> int:
    """``mssedu evaluate``: :func:`mssedu.separation.evaluate_many` over MUSDB18 songs.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments of the ``evaluate`` sub-command.

    Returns
    -------
    int
        Exit status (0: every model scored).
    """
    from ..atomic import move_into_place, new_part_folder
    from ..data.musdb import musdb_tracks
    from ..plot import song_scores_figure
    from ..separation import BASELINES, evaluate_many

    t0 = time.perf_counter()
    out = Path(args.out).expanduser() if args.out else None
    if out is not None and out.exists() and not args.force:
        raise DataError(f"{args.out} exists; pass --force to replace it, or choose another --out.")
    models = {}
    for name in args.models:
        sep = _evaluation_model(name)
        models[sep.name if sep.name not in models else f"{sep.name} ({name})"] = sep
    songs = musdb_tracks(None if args.data == "musdb" else args.data, subset=args.subset)
    where = "MUSDB18 previews" if args.data == "musdb" else str(args.data)
    if args.limit:
        songs = songs[: args.limit]
    two_stems = None if args.two_stems == "none" else args.two_stems
    scores = evaluate_many(models, songs, two_stems=two_stems, progress=not args.quiet,
                           baselines=() if args.no_baselines else BASELINES,
                           songs=f"{len(songs)} {args.subset} songs of {where}")
    say(str(scores.table(args.metric)))
    if out is not None:   # whole or not at all: a part folder renamed into place
        part = new_part_folder(out)
        scores.per_track.to_csv(part / "scores.csv", index=False)
        song_scores_figure(scores, args.metric).savefig(part / f"{args.metric.lower()}_boxplot.png", dpi=120)
        move_into_place(part, out)
        say(f"per-song scores and the box plot written to {out}/")
    say(f"{len(songs)} songs in {time.perf_counter() - t0:.0f} s")
    return 0


def add_evaluate_args(p) -> None:
    """Arguments of ``mssedu evaluate``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The sub-command's parser, filled in place.
    """
    p.description = ("Separate every song of --data's --subset with each MODEL and score it with "
                     "museval v4 (median of 1-s frames per song), then report the median over "
                     "songs per source, as SiSEC 2018 does; a constant gain and the oracle IRM are "
                     "scored on the same songs. MODEL: a checkpoint (.pt), a shipped one "
                     "(unet_tiny_vocals, unet_tiny_4stems) or a demucs name (htdemucs).")
    p.add_argument("models", nargs="+", metavar="MODEL")
    p.add_argument("--data", default="musdb", metavar="musdb|ROOT",
                   help="musdb: the 7-s previews (downloaded and cached once, ~140 MB); or a "
                   "MUSDB18/MUSDB18-HQ root (default musdb)")
    p.add_argument("--subset", default="test", choices=["test", "train"], help="default test")
    p.add_argument("--limit", type=int, default=None, help="score only the first N songs")
    p.add_argument("--two-stems", default="auto", metavar="STEM|none|auto",
                   help="score STEM and its accompaniment only (auto: the target of one-target models)")
    p.add_argument("--metric", default="SDR", choices=["SDR", "SIR", "SAR", "ISR"], help="table metric")
    p.add_argument("--no-baselines", action="store_true", help="leave out constant gain and oracle IRM")
    p.add_argument("--out", default=None, metavar="DIR", help="write scores.csv and the box plot into DIR")
    p.add_argument("--force", action="store_true", help="replace an existing --out folder")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
