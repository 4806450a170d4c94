r"""Training data: random excerpts of multitracks, augmented, as a torch ``Dataset``.

A separation network learns from pairs *(mixture, target stem)*. With a handful of songs
there are few such pairs, so every modern recipe (Uhlich et al. 2017; Stöter et al. 2019,
Open-Unmix; Défossez et al. 2019, Demucs) makes new ones on the fly from the stems:

* **random excerpts**: a random ``seconds``-long window of a random song;
* **remixing** across songs: each stem is taken from a *different* random song and offset,
  so the network sees combinations that never existed (vocals of one song over the drums
  of another);
* **random gain** per stem, uniform in decibels, :math:`s_j \leftarrow 10^{g_j/20} s_j`;
* **channel swap** (left <-> right) and **polarity** (:math:`s_j \leftarrow -s_j`) per stem;
* **pitch / tempo shift** (precomputed, see below);
* **source-activity detection**: excerpts whose target stem is silent teach nothing about
  that target, so only windows where the target is audible are drawn.

After augmentation the mixture is always rebuilt as the **sum of the (augmented) stems**,

.. math::  x = \sum_{j} \tilde s_j ,

so the training pair is exact even for lossy-coded MUSDB18 files whose stored mixture is
not exactly the sum of their stems.

On the fly or precomputed?
--------------------------
Excerpt choice, remixing, gain, channel swap and polarity are **on the fly**: they cost a
slice and a multiply per stem, and every epoch sees fresh draws. Pitch shift and time
stretch are **offline-precomputed**: when the dataset is built, each track is shifted once
per requested amount with :func:`librosa.effects.pitch_shift` / :func:`librosa.effects.time_stretch`
(phase vocoder + resampling, seconds per minute of audio), each stem separately, and the
shifted copies join the pool of tracks the excerpts are drawn from. This trades memory
(one copy per shift) for speed during training.

Determinism
-----------
Item ``i`` is a pure function of ``(seed, epoch, i)`` (its random generator is seeded with
those three numbers), so results do not depend on the number of loader workers or on the
order in which workers run. Call :meth:`ExcerptDataset.set_epoch` to draw new excerpts
each epoch.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import librosa
import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from ..audio import resample, to_stereo
from ..checks import check_rate
from ..errors import DataError, ParameterError
from .multitrack import load_multitrack
from .track import Track

__all__ = ["Augment", "ExcerptDataset", "make_loader", "active_frames", "precompute_shifts",
           "check_training_tracks",
           "GlobalBatchSampler"]


def _prob(value, name) -> float:
    p = float(value)
    if not 0.0 <= p <= 1.0:
        raise ParameterError(f"Augment.{name} is a probability and must lie in [0, 1], got {value!r}.")
    return p


@dataclass
class Augment:
    """Which augmentations :class:`ExcerptDataset` applies, and how strongly.

    Parameters
    ----------
    remix : bool or float
        Probability that an excerpt's stems come from different songs and offsets
        (``True`` = always). On the fly.
    gain_db : (low, high) or None
        Each stem is scaled by :math:`10^{g/20}`, :math:`g \\sim U(\\text{low}, \\text{high})` dB.
        On the fly.
    channel_swap : float
        Probability of swapping left and right, drawn per stem. On the fly.
    polarity : float
        Probability of flipping the sign, drawn per stem. On the fly.
    pitch_semitones : sequence of float or None
        Pitch shifts (semitones) precomputed for each track when the dataset is built
        (``librosa.effects.pitch_shift``, per stem); each excerpt then draws uniformly among
        the original and the shifted copies. Offline-precomputed.
    tempo : sequence of float or None
        Tempo factors (e.g. ``(0.9, 1.1)``; > 1 is faster) precomputed the same way with
        ``librosa.effects.time_stretch``. Offline-precomputed.

    Examples
    --------
    >>> Augment(gain_db=(-3, 3), pitch_semitones=(-1, 1))   # doctest: +ELLIPSIS
    Augment(remix=1.0, gain_db=(-3.0, 3.0), channel_swap=0.5, polarity=0.5, pitch_semitones=(-1.0, 1.0), tempo=None)
    """

    remix: bool | float = True
    gain_db: tuple | None = (-6.0, 6.0)
    channel_swap: float = 0.5
    polarity: float = 0.5
    pitch_semitones: tuple | None = None
    tempo: tuple | None = None

    def __post_init__(self):
        self.remix = _prob(float(self.remix), "remix")
        self.channel_swap = _prob(self.channel_swap, "channel_swap")
        self.polarity = _prob(self.polarity, "polarity")
        if self.gain_db is not None:
            g = tuple(float(v) for v in self.gain_db)
            if len(g) != 2 or g[0] > g[1]:
                raise ParameterError(f"Augment.gain_db must be (low, high) in dB with low <= high, "
                                     f"got {self.gain_db!r}.")
            self.gain_db = g
        if self.pitch_semitones is not None:
            self.pitch_semitones = tuple(float(v) for v in np.atleast_1d(self.pitch_semitones))
        if self.tempo is not None:
            t = tuple(float(v) for v in np.atleast_1d(self.tempo))
            if any(v <= 0 for v in t):
                raise ParameterError(f"Augment.tempo factors must be > 0 (1.1 = 10% faster), got {self.tempo!r}.")
            self.tempo = t


def check_training_tracks(tracks, targets) -> None:
    """Refuse training songs that cannot teach separation, before the first step.

    A song needs at least two stems: with one (a folder holding only ``vocals.wav``) the
    mixture *is* the target and a network learns to copy its input.

    Parameters
    ----------
    tracks : list of Track
        The training songs.
    targets : tuple of str
        The stems to learn.

    Raises
    ------
    DataError
        No songs, or a song with fewer than two stems (the message names it).
    """
    if not tracks:
        raise DataError("No training songs: give a folder with one sub-folder of stem files (or "
                        "one .stem.mp4) per song, or 'synthetic'.")
    for t in tracks:
        if len(t.stems) < 2:
            raise DataError(
                f"Training song {t.name!r} has only the stem(s) {list(t.stems)}: its mixture is "
                f"the target itself, so there is nothing to separate. Give each song the other "
                f"stems too (e.g. drums.wav, bass.wav, other.wav beside {targets[0]}.wav).")


def active_frames(signal, sr: int, threshold_db: float = -40.0, frame_seconds: float = 0.1) -> np.ndarray:
    r"""Which non-overlapping frames of ``signal`` hold sound: frame RMS above ``threshold_db``
    dB full scale,

    .. math:: 20 \log_{10} \sqrt{\tfrac{1}{CL}\textstyle\sum_{c,n} s_c[n]^2} > \theta .

    Parameters
    ----------
    signal : array ``(channels, samples)`` or ``(samples,)``
    sr : int
    threshold_db : float
        :math:`\theta` in dBFS; -40 dB keeps soft singing and rejects breath noise and bleed.
    frame_seconds : float

    Returns
    -------
    np.ndarray of bool, shape ``(samples // frame,)``

    Examples
    --------
    >>> import numpy as np
    >>> x = np.r_[np.zeros(4410), 0.1 * np.ones(4410)][None]
    >>> active_frames(x, 44100).tolist()
    [False, True]
    """
    x = np.asarray(signal, dtype=np.float32)
    if x.ndim == 1:
        x = x[None]
    frame = max(1, int(round(frame_seconds * check_rate(sr))))
    n = x.shape[-1] // frame
    if n == 0:
        return np.zeros(0, dtype=bool)
    power = (x[:, : n * frame].astype(np.float64) ** 2).reshape(x.shape[0], n, frame).mean(axis=(0, 2))
    return 10 * np.log10(np.maximum(power, 1e-20)) > threshold_db


def precompute_shifts(track, pitch_semitones=None, tempo=None, progress: bool = False) -> list:
    """Pitch-shifted and time-stretched copies of ``track`` (each stem processed separately
    with librosa; the mixture of each copy is the sum of its stems). Offline augmentation:
    slow (a phase vocoder per stem and shift), so it is done once, not per excerpt.

    Parameters
    ----------
    track : Track
        The original (its stems are shifted one by one).
    pitch_semitones : sequence of float or None
        Pitch shifts in semitones, one copy each.
    tempo : sequence of float or None
        Time-stretch factors (1.1 = 10 % faster), one copy each.
    progress : bool
        Show a progress bar.

    Returns
    -------
    list of Track
        One per shift (the original not included).
    """
    jobs = [("pitch", float(s)) for s in (pitch_semitones or ()) if float(s) != 0.0]
    jobs += [("tempo", float(r)) for r in (tempo or ()) if float(r) != 1.0]
    out = []
    if progress:
        jobs = tqdm(jobs, desc=f"shifting {track.name}", leave=False)
    for kind, amount in jobs:
        stems = {}
        for name, s in track.stems.items():
            if kind == "pitch":
                y = librosa.effects.pitch_shift(s, sr=track.sr, n_steps=amount)
            else:
                y = librosa.effects.time_stretch(s, rate=amount)
            stems[name] = np.ascontiguousarray(y, dtype=np.float32)
        n = min(v.shape[-1] for v in stems.values())
        stems = {k: v[..., :n] for k, v in stems.items()}
        label = f"{amount:+g} st" if kind == "pitch" else f"x{amount:g} tempo"
        out.append(Track(f"{track.name} ({label})", track.sr, sum(stems.values()).astype(np.float32),
                         stems, track.path))
    return out


class ExcerptDataset:
    """A torch ``Dataset`` of random, augmented excerpts of multitracks.

    Parameters
    ----------
    tracks : Track, sequence of Track, or paths
        The songs (paths are read with :func:`mssedu.data.load_multitrack`). All must have
        the same stem names and sample rate; mono stems are made stereo.
    seconds : float
        Excerpt length. Tracks shorter than that are zero-padded at the end.
    targets : sequence of str
        Stems returned beside the mixture; ``"accompaniment"`` (the sum of every stem
        but ``activity_target``) is also allowed.
    augment : Augment or None
        ``None`` gives plain excerpts (no remix, gain, swap, polarity or shifts).
    length : int
        Excerpts per epoch (``len(dataset)``).
    seed : int
    activity_target : str or None
        Stem that must be audible in every excerpt (``None``: no check).
    activity_threshold_db : float
        Frame-RMS level in dBFS above which a 100 ms frame counts as active (:func:`active_frames`).
    min_active : float
        Fraction of an excerpt's frames that must be active.
    sr : int or None
        Resample every track to this rate first (``None``: keep theirs, which must agree).

    Items
    -----
    ``{"mixture": float32 tensor (2, T), "<target>": (2, T), ...}`` with ``T = round(seconds * sr)``
    and ``mixture == sum of all (augmented) stems``. A default-collated batch has
    ``(batch, 2, T)`` tensors.

    Examples
    --------
    >>> from mssedu.data import example_track
    >>> ds = ExcerptDataset([example_track()], seconds=1.0, length=4, augment=Augment())
    >>> item = ds[0]
    >>> tuple(item["mixture"].shape), tuple(item["vocals"].shape)
    ((2, 44100), (2, 44100))
    """

    def __init__(self, tracks, seconds: float = 6.0, targets=("vocals",), augment: Augment | None = None,
                 length: int = 1000, seed: int = 0, activity_target: str | None = "vocals",
                 activity_threshold_db: float = -40.0, min_active: float = 0.5,
                 sr: int | None = None, progress: bool = False):
        if isinstance(tracks, Track) or isinstance(tracks, (str, bytes)) or hasattr(tracks, "__fspath__"):
            tracks = [tracks]
        tracks = [t if isinstance(t, Track) else load_multitrack(t) for t in tracks]
        if not tracks:
            raise ParameterError("ExcerptDataset needs at least one Track; got an empty list.")
        if seconds is None or float(seconds) <= 0:
            raise ParameterError(f"seconds must be > 0, got {seconds!r}.")
        if int(length) < 1:
            raise ParameterError(f"length (excerpts per epoch) must be >= 1, got {length!r}.")
        if augment is not None and not isinstance(augment, Augment):
            raise ParameterError(f"augment must be an Augment(...) or None, got {type(augment).__name__}.")
        if not 0.0 <= float(min_active) <= 1.0:
            raise ParameterError(f"min_active must lie in [0, 1], got {min_active!r}.")
        names = list(tracks[0].stems)
        for t in tracks[1:]:
            if set(t.stems) != set(names):
                raise ParameterError(
                    f"All tracks must have the same stems: {tracks[0].name!r} has {sorted(names)}, "
                    f"{t.name!r} has {sorted(t.stems)}. Drop or merge stems first.")
        if not names:
            raise ParameterError(f"Track {tracks[0].name!r} has no stems: a training pair needs them.")
        self.stem_names = names
        if isinstance(targets, str):
            targets = (targets,)
        self.targets = tuple(targets)
        for tgt in self.targets:
            if tgt not in names and tgt != "accompaniment":
                raise ParameterError(f"Target {tgt!r} is not a stem of these tracks; they have {names} "
                                     "(or ask for 'accompaniment').")
        if activity_target is not None and activity_target not in names:
            raise ParameterError(f"activity_target {activity_target!r} is not a stem; choose one of {names} or None.")
        if "accompaniment" in self.targets and activity_target is None:
            raise ParameterError("'accompaniment' is the sum of every stem but activity_target; "
                                 "set activity_target (e.g. 'vocals').")
        check_training_tracks(tracks, self.targets)
        rates = {t.sr for t in tracks}
        if sr is None and len(rates) > 1:
            raise ParameterError(f"Tracks have different sample rates {sorted(rates)}; pass sr=... to resample them.")
        self.sr = check_rate(sr) if sr is not None else rates.pop()
        self.seconds = float(seconds)
        self.n_samples = int(round(self.seconds * self.sr))
        self.length = int(length)
        self.seed = int(seed)
        self.epoch = 0
        self.augment = augment
        self.activity_target = activity_target
        self.activity_threshold_db = float(activity_threshold_db)
        self.min_active = float(min_active)

        pool = []
        for t in tracks:
            pool.append(t)
            if augment is not None and (augment.pitch_semitones or augment.tempo):
                pool.extend(precompute_shifts(t, augment.pitch_semitones, augment.tempo, progress=progress))
        # stems as (n_tracks) lists of (stems, 2, samples) float32 arrays, resampled / stereo

        self._stems = []
        self.track_names = []
        for t in pool:
            arr = []
            for name in names:
                s = t.stems[name]
                if t.sr != self.sr:
                    s = resample(s, t.sr, self.sr)
                arr.append(to_stereo(s))
            n = max(a.shape[-1] for a in arr)
            block = np.zeros((len(names), 2, max(n, self.n_samples)), dtype=np.float32)
            for i, a in enumerate(arr):
                block[i, :, : a.shape[-1]] = a
            self._stems.append(block)
            self.track_names.append(t.name)
        # valid excerpt starts (in frames of the activity detector) per track
        self._frame = max(1, int(round(0.1 * self.sr)))
        self._starts = [self._valid_starts(b) for b in self._stems]
        self._active_tracks = [i for i, s in enumerate(self._starts) if len(s)]
        if not self._active_tracks:
            raise ParameterError(
                f"No excerpt of {self.seconds:g} s has {activity_target!r} active in at least "
                f"{self.min_active:.0%} of its frames (threshold {self.activity_threshold_db:g} dBFS) "
                "in any track. Lower activity_threshold_db or min_active, use shorter excerpts, "
                "or set activity_target=None.")

    # -- excerpt selection ---------------------------------------------------------------
    def _valid_starts(self, block: np.ndarray) -> np.ndarray:
        """Sample offsets (multiples of 100 ms) where an excerpt may start."""
        total = block.shape[-1]
        last = total - self.n_samples
        grid = np.arange(0, last + 1, self._frame)
        if self.activity_target is None:
            return grid
        k = self.stem_names.index(self.activity_target)
        act = active_frames(block[k], self.sr, self.activity_threshold_db, self._frame / self.sr)
        per = max(1, self.n_samples // self._frame)
        csum = np.r_[0, np.cumsum(act)]
        first = grid // self._frame
        end = np.minimum(first + per, len(act))
        frac = (csum[end] - csum[np.minimum(first, len(act))]) / per
        return grid[frac >= self.min_active]

    def _random_start(self, rng, track: int, constrained: bool) -> int:
        if constrained:
            starts = self._starts[track]
            return int(starts[rng.integers(len(starts))])
        last = self._stems[track].shape[-1] - self.n_samples
        return int(rng.integers(last + 1))

    def set_epoch(self, epoch: int) -> None:
        """Draw different excerpts in each epoch (item ``i`` depends on ``seed, epoch, i``).

        Parameters
        ----------
        epoch : int
            The epoch number (mixed into every item's random draw).
        """
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.length

    def excerpt(self, index: int) -> dict:
        """Item ``index`` as numpy arrays: ``{"mixture", *stems, "sources": {...}}`` where
        ``"sources"`` says which track and offset each stem came from.

        Parameters
        ----------
        index : int
            0 to ``len(self) - 1``.

        Returns
        -------
        dict
            ``"mixture"`` and each target, float32 ``(2, samples)``, and ``"sources"``.
        """
        if not 0 <= index < self.length:
            raise IndexError(f"index {index} out of range for a dataset of length {self.length}")
        rng = np.random.default_rng([self.seed, self.epoch, int(index)])
        aug = self.augment
        n_tr = len(self._stems)
        remix = aug is not None and rng.random() < aug.remix
        if self.activity_target is not None:
            anchor = int(self._active_tracks[rng.integers(len(self._active_tracks))])
        else:
            anchor = int(rng.integers(n_tr))
        anchor_start = self._random_start(rng, anchor, constrained=True)
        out, sources = {}, {}
        for k, name in enumerate(self.stem_names):
            if remix and name != self.activity_target:
                tr = int(rng.integers(n_tr))
                start = self._random_start(rng, tr, constrained=False)
            else:
                tr, start = anchor, anchor_start
            s = self._stems[tr][k, :, start: start + self.n_samples].copy()
            if aug is not None:
                if aug.gain_db is not None:
                    s *= np.float32(10 ** (rng.uniform(*aug.gain_db) / 20))
                if rng.random() < aug.channel_swap:
                    s = s[::-1].copy()
                if rng.random() < aug.polarity:
                    s = -s
            out[name] = s
            sources[name] = (self.track_names[tr], start / self.sr)
        mixture = np.sum([out[n] for n in self.stem_names], axis=0, dtype=np.float32)
        item = {"mixture": mixture}
        for tgt in self.targets:
            if tgt == "accompaniment":
                item[tgt] = np.sum([out[n] for n in self.stem_names if n != self.activity_target],
                                   axis=0, dtype=np.float32)
            else:
                item[tgt] = out[tgt]
        item["sources"] = sources
        return item

    def __getitem__(self, index: int) -> dict:
        item = self.excerpt(index)
        return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in item.items() if k != "sources"}

    def __repr__(self) -> str:
        return (f"ExcerptDataset({len(self._stems)} tracks, {self.seconds:g} s excerpts at {self.sr} Hz, "
                f"targets={list(self.targets)}, length={self.length}, augment={self.augment})")


class GlobalBatchSampler(torch.utils.data.Sampler):
    """Global batches of dataset indices, and this process's share of each.

    For data-parallel training on ``world_size`` processes (``torchrun``): every epoch the
    indices are shuffled with a generator seeded by ``(seed, epoch)`` (the same order in
    every process), cut into global batches of ``batch_size``, and process ``rank`` takes
    the contiguous slice ``[rank * b, (rank + 1) * b)`` with ``b = batch_size / world_size``.
    The ranks together see exactly the global batch a single process would see, so the
    averaged gradient is the single process's gradient (for per-example losses; BatchNorm
    statistics are per slice, as in a single process that accumulates ``world_size``
    micro-batches). The role of :class:`torch.utils.data.DistributedSampler`, with a global
    batch that does not depend on the number of processes.

    Parameters
    ----------
    length : int
        Dataset length.
    batch_size : int
        Global batch size (a multiple of ``world_size``).
    rank, world_size : int
        This process and the number of processes.
    seed : int
        Seeds the order.
    """

    def __init__(self, length: int, batch_size: int, rank: int = 0, world_size: int = 1, seed: int = 0):
        if int(world_size) < 1 or not 0 <= int(rank) < int(world_size):
            raise ParameterError(f"rank must lie in [0, world_size), got rank={rank!r}, world_size={world_size!r}.")
        if int(batch_size) < 1 or int(batch_size) % int(world_size):
            raise ParameterError(f"The global batch_size ({batch_size!r}) must be a positive multiple of the "
                                 f"number of processes ({world_size}).")
        if int(length) < int(batch_size):
            raise ParameterError(f"The dataset ({length} items) is shorter than one batch ({batch_size}).")
        self.length, self.batch_size = int(length), int(batch_size)
        self.rank, self.world_size, self.seed = int(rank), int(world_size), int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Use the order of ``epoch``.

        Parameters
        ----------
        epoch : int
            Epoch number.
        """
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.length // self.batch_size

    def __iter__(self):
        gen = torch.Generator()
        gen.manual_seed(self.seed * 100_003 + self.epoch)
        order = torch.randperm(self.length, generator=gen).tolist()
        b = self.batch_size // self.world_size
        for k in range(len(self)):
            batch = order[k * self.batch_size:(k + 1) * self.batch_size]
            yield batch[self.rank * b:(self.rank + 1) * b]


def _worker_init(_worker_id):
    torch.set_num_threads(1)


def make_loader(dataset, batch_size: int = 8, workers: int | None = None, seed: int = 0,
                shuffle: bool = True, drop_last: bool = True, rank: int | None = None,
                world_size: int | None = None, **kwargs):
    """A :class:`torch.utils.data.DataLoader` over ``dataset`` with sensible defaults.

    Parameters
    ----------
    dataset : ExcerptDataset (or any map-style Dataset)
    batch_size : int
    workers : int or None
        Worker processes; ``None`` picks ``min(4, cpu_count - 1)`` (0 = load in the main
        process, simplest to debug). Results do not depend on it (see module notes).
    seed : int
        Seeds the shuffling order.
    shuffle, drop_last : bool
    rank, world_size : int or None
        Given, the loader draws batches with :class:`GlobalBatchSampler` (``batch_size`` is
        then the global batch; this process gets ``batch_size / world_size`` of it; call
        ``loader.batch_sampler.set_epoch(e)`` each epoch).
    **kwargs
        Passed to ``DataLoader`` (e.g. ``pin_memory=True`` for a GPU).

    Returns
    -------
    torch.utils.data.DataLoader
        Yields dicts of batched tensors (the dataset's items stacked).

    Examples
    --------
    >>> from mssedu.data import example_track
    >>> ds = ExcerptDataset(example_track(), seconds=1.0, length=4)
    >>> batch = next(iter(make_loader(ds, batch_size=2, workers=0)))
    >>> tuple(batch["mixture"].shape)
    (2, 2, 44100)
    """
    if int(batch_size) < 1:
        raise ParameterError(f"batch_size must be >= 1, got {batch_size!r}.")
    if workers is None:
        workers = max(0, min(4, (os.cpu_count() or 1) - 1))
    if int(workers) < 0:
        raise ParameterError(f"workers must be >= 0, got {workers!r}.")
    gen = torch.Generator()
    gen.manual_seed(int(seed))
    if world_size is not None or rank is not None:
        sampler = GlobalBatchSampler(len(dataset), int(batch_size), int(rank or 0), int(world_size or 1), int(seed))
        opts = dict(batch_sampler=sampler, num_workers=int(workers))
    else:
        opts = dict(batch_size=int(batch_size), shuffle=shuffle, drop_last=drop_last,
                    num_workers=int(workers), generator=gen)
    if workers:
        opts.update(worker_init_fn=_worker_init, persistent_workers=True)
    opts.update(kwargs)
    return DataLoader(dataset, **opts)
