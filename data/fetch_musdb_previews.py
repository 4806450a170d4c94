"""Download the free 7-second previews of MUSDB18 (150 songs, ~140 MB) into the mssedu cache.

Usage::

    python data/fetch_musdb_previews.py            # into ~/.cache/mssedu/musdb/MUSDB18-7
    MSSEDU_CACHE=/data/mssedu python data/fetch_musdb_previews.py

Afterwards ``mssedu.data.musdb_tracks()`` (subset "train" or "test") finds them offline.
The full dataset cannot be downloaded automatically: request it from Zenodo
(https://zenodo.org/records/1117372, or 3338373 for MUSDB18-HQ) and pass its folder as
``musdb_tracks(root=...)``.
"""
from __future__ import annotations

import sys


def main() -> int:
    from mssedu import MsseduError
    from mssedu.data import musdb_tracks

    try:
        train = musdb_tracks(subset="train")
        test = musdb_tracks(subset="test")
    except MsseduError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"MUSDB18 previews in {train.root}: {len(train)} train, {len(test)} test songs.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
