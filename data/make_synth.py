"""Render a synthetic multitrack dataset (MUSDB18-HQ layout) with mssedu.data.make_dataset.

Usage::

    python data/make_synth.py OUT_DIR [--songs 20] [--seconds 30] [--seed 0]
                              [--layout musdb|bach10] [--subset train] [--sr 44100]
                              [--soundfont PATH]

Songs already in OUT_DIR are skipped, so rerunning with more songs extends the dataset.
Needs the fluidsynth program and a General-MIDI SoundFont
(``sudo apt-get install fluidsynth timgm6mb-soundfont``).
"""
from __future__ import annotations

import argparse
import sys
import time


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out_dir")
    p.add_argument("--songs", type=int, default=20)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--layout", choices=["musdb", "bach10"], default="musdb")
    p.add_argument("--subset", default="train", help="sub-folder, e.g. train or test (use another seed for test)")
    p.add_argument("--sr", type=int, default=44100)
    p.add_argument("--soundfont", default=None, help="a GM .sf2 file (default: the best installed)")
    args = p.parse_args(argv)

    from mssedu import MsseduError
    from mssedu.data import make_dataset

    t0 = time.perf_counter()
    try:
        folders = make_dataset(args.out_dir, n_songs=args.songs, seconds=args.seconds, seed=args.seed,
                               layout=args.layout, subset=args.subset, sr=args.sr, soundfont=args.soundfont)
    except MsseduError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    dt = time.perf_counter() - t0
    print(f"{len(folders)} songs in {args.out_dir}/{args.subset} ({dt:.1f} s); "
          f"manifest: {args.out_dir}/manifest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
