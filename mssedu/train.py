r"""Training the mini U-Net: a plain loop you can read top to bottom.

One step of training, for a batch of random excerpts (mixture :math:`x`, target :math:`s`):

1. STFT both, keep magnitudes: :math:`|X|, |S|` of shape ``(batch, channels, freq, frames)``;
2. the network predicts a mask and an estimate :math:`\hat S = M_\theta(|X|) \odot |X|`;
3. the loss compares :math:`\hat S` with :math:`|S|` (L1 by default, as in Jansson et al. 2017);
4. back-propagate, clip the gradient norm (a guard against rare huge steps), AdamW update.

Every ``val_every`` steps the model separates held-out audio (by default the real excerpt
:func:`mssedu.data.example_track`, which is never trained on) and we measure the SDR of the
first target, :math:`10\log_{10} \|s\|^2 / \|s - \hat s\|^2` (plain, whole-signal SDR; the
evaluation chapter's BSS-eval numbers are a little different). The best model so far is
kept; training stops early after ``patience`` validations without improvement, after
``steps`` steps, or after ``max_seconds`` seconds.

Checkpoints are plain dicts of tensors and numbers (no pickled Python objects), saved
atomically and loaded with ``torch.load(..., weights_only=True)``; a run can be resumed
from its checkpoint.

Examples
--------
>>> from mssedu.train import train                                    # doctest: +SKIP
>>> result = train(preset="tiny", max_seconds=300)                    # doctest: +SKIP
>>> result.separator.separate(mixture)["vocals"]                     # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses
import math
import os
import random
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import MsseduError, ParameterError

__all__ = ["TrainConfig", "TrainResult", "train", "save_checkpoint", "load_checkpoint",
           "seed_everything", "plain_sdr", "default_training_tracks", "spectrogram_batch",
           "CHECKPOINT_FORMAT"]

#: Tag stored in every checkpoint, so a foreign file is recognised as such.
CHECKPOINT_FORMAT = "mssedu.unet.v1"


@dataclass
class TrainConfig:
    r"""Settings of a training run (all plain values, stored in the checkpoint).

    Attributes
    ----------
    preset : str
        U-Net preset (``"tiny"`` or ``"full"``, :data:`mssedu.unet.PRESETS`).
    model : dict
        Overrides of the preset's :class:`~mssedu.unet.UNetConfig` fields.
    targets : tuple of str
        Sources to learn (``("vocals",)``).
    batch_size : int
    steps : int
        Upper limit on optimisation steps.
    max_seconds : float or None
        Wall-clock budget for the whole run (validation included).
    lr, weight_decay : float
        AdamW settings.
    schedule : {"cosine", "constant"}
        ``"cosine"`` lowers the learning rate along half a cosine from ``lr`` to
        ``lr / 20`` over the run, :math:`\eta = \eta_{min} + (\eta_0 - \eta_{min})
        \tfrac{1}{2}(1 + \cos \pi p)`, where the progress :math:`p` is the larger of
        ``step / steps`` and ``elapsed / max_seconds``: the last weights are then calm, not
        caught mid-jump. (Bounded by ``max_seconds``, the schedule follows the clock, so only
        step-bounded runs repeat bit for bit.)
    clip_grad : float
        Largest allowed gradient norm (``0`` disables clipping).
    loss : str
        ``"l1"``, ``"l2"``, ``"huber"`` (magnitudes) or ``"mrstft"``, ``"si_sdr"`` (waveforms
        rebuilt with the mixture phase), see :mod:`mssedu.losses`.
    val_every : int
        Validate every this many steps (and at the end).
    patience : int
        Early stopping: validations without an improvement of at least ``min_delta`` dB.
    seed : int
        Seeds torch, numpy, Python and the data order.
    augment : dict or None
        Arguments of :class:`mssedu.data.Augment` (``None``: no augmentation).
    songs_per_epoch : int
        Excerpts drawn per "epoch" of the dataset.
    workers : int
        DataLoader worker processes (0: load in the main process).
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``...
    amp : bool
        Mixed precision on CUDA (ignored on CPU).
    """

    preset: str = "tiny"
    model: dict = field(default_factory=dict)
    targets: tuple = ("vocals",)
    batch_size: int = 16
    steps: int = 100_000
    max_seconds: float | None = 300.0
    lr: float = 2e-3
    weight_decay: float = 1e-4
    schedule: str = "cosine"
    clip_grad: float = 5.0
    loss: str = "l1"
    val_every: int = 50
    patience: int = 8
    min_delta: float = 0.05
    seed: int = 0
    augment: dict | None = field(default_factory=lambda: {"remix": 1.0, "gain_db": (-6.0, 6.0),
                                                          "channel_swap": 0.5, "polarity": 0.5})
    songs_per_epoch: int = 512
    workers: int = 0
    device: str = "auto"
    amp: bool = True

    def __post_init__(self):
        from .losses import LOSSES

        self.targets = tuple(self.targets) if not isinstance(self.targets, str) else (self.targets,)
        if self.loss not in LOSSES:
            raise ParameterError(f"Unknown loss {self.loss!r}; choose one of {sorted(LOSSES)}.")
        for name in ("batch_size", "steps", "val_every", "patience", "songs_per_epoch"):
            if int(getattr(self, name)) < 1:
                raise ParameterError(f"{name} must be >= 1, got {getattr(self, name)!r}.")
        if self.max_seconds is not None and self.max_seconds <= 0:
            raise ParameterError(f"max_seconds must be > 0 or None, got {self.max_seconds!r}.")
        if self.schedule not in ("cosine", "constant"):
            raise ParameterError(f"schedule must be 'cosine' or 'constant', got {self.schedule!r}.")
        if self.lr <= 0:
            raise ParameterError(f"lr must be > 0, got {self.lr!r}.")

    def unet_config(self):
        from .unet import PRESETS, UNetConfig

        if self.preset not in PRESETS:
            raise ParameterError(f"Unknown preset {self.preset!r}; choose one of {sorted(PRESETS)}.")
        return UNetConfig(**{**PRESETS[self.preset], **dict(self.model), "targets": self.targets})

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["targets"] = list(self.targets)
        return d


@dataclass
class TrainResult:
    """What :func:`train` returns.

    ``model`` holds the best weights (highest validation SDR), ``history`` the curves
    (``step``, ``loss``, ``val_step``, ``val_sdr``, ``seconds``), ``separator`` a ready
    :class:`~mssedu.unet.UNetSeparator`, ``checkpoint`` the file written (or None)."""

    model: object
    config: object
    train_config: TrainConfig
    history: dict
    best_sdr: float
    steps: int
    seconds: float
    stopped: str
    checkpoint: str | None = None
    snapshots: list = field(default_factory=list)

    def model_at(self, step: int):
        """A copy of the model with the weights kept at validation ``step`` (needs
        ``train(..., snapshots=True)``), in eval mode."""
        from .unet import MiniUNet

        for s, state in self.snapshots:
            if s == step:
                model = MiniUNet(self.config)
                model.load_state_dict(state)
                return model.eval()
        raise ParameterError(f"No snapshot at step {step}; kept: {[s for s, _ in self.snapshots]} "
                          "(train with snapshots=True).")

    @property
    def separator(self):
        from .unet import UNetSeparator

        return UNetSeparator(self.model)

    def examples_per_second(self) -> float:
        return self.steps * self.train_config.batch_size / max(self.seconds, 1e-9)


# -- small pieces ------------------------------------------------------------------------

def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (CPU and CUDA) so a run can be repeated exactly."""
    import torch

    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    torch.manual_seed(seed)


def plain_sdr(reference, estimate) -> float:
    r"""Whole-signal SDR in dB, :math:`10 \log_{10} \|s\|^2 / \|s - \hat s\|^2` (no
    projection, no windows; fast enough to run at every validation)."""
    s = np.asarray(reference, dtype=np.float64)
    e = np.asarray(estimate, dtype=np.float64)
    if s.shape != e.shape:
        raise ParameterError(f"reference {s.shape} and estimate {e.shape} must have the same shape.")
    num = float(np.sum(s ** 2))
    den = float(np.sum((s - e) ** 2))
    return 10 * math.log10(max(num, 1e-20) / max(den, 1e-20))


def spectrogram_batch(batch: dict, targets, n_fft: int, hop_length: int, device):
    """STFT of a batch from :class:`mssedu.data.ExcerptDataset`: returns ``(X, S)`` with the
    complex mixture STFT ``(batch, channels, freq, frames)`` and the target magnitudes
    ``(batch, targets, channels, freq, frames)``."""
    import torch

    from .spectral import stft

    mix = batch["mixture"].to(device, non_blocking=True)
    missing = [t for t in targets if t not in batch]
    if missing:
        raise ParameterError(f"The batch has no {missing}; it has {sorted(batch)}. "
                          "Build the dataset with the same targets as the model.")
    tgt = torch.stack([batch[t].to(device, non_blocking=True) for t in targets], dim=1)
    return stft(mix, n_fft, hop_length), stft(tgt, n_fft, hop_length).abs()


def default_training_tracks(n_songs: int = 8, seconds: float = 30.0, seed: int = 0, progress: bool = True):
    """Synthetic multitracks for training (rendered once with :func:`mssedu.data.make_dataset`
    into the cache folder, then reused). The real example excerpt is never among them."""
    from .config import cache_dir
    from .data import load_multitrack, make_dataset

    folder = Path(cache_dir(f"synth-seed{seed}-{int(seconds)}s"))
    # songs already rendered are reused (song i depends only on seed and i)
    songs = make_dataset(folder, n_songs=n_songs, seconds=seconds, seed=seed, progress=progress)
    return [load_multitrack(p) for p in songs]


def _as_tracks(data, name: str) -> list:
    """Tracks from a Track, a list of Tracks/paths, or a folder of song folders / stem files."""
    from .data import Track, load_multitrack

    if data is None:
        return []
    if isinstance(data, Track):
        return [data]
    if isinstance(data, (str, os.PathLike)):
        path = Path(data).expanduser()
        if not path.exists():
            raise ParameterError(f"{name}: no such file or folder: {path}.")
        subdirs = sorted(p for p in path.iterdir() if p.is_dir()) if path.is_dir() else []
        stems = sorted(path.glob("*.stem.mp4")) if path.is_dir() else []
        if subdirs or stems:   # a dataset folder: one song per sub-folder / .stem.mp4
            return [load_multitrack(p) for p in subdirs + stems]
        return [load_multitrack(path)]
    tracks = []
    for item in data:
        tracks.extend(_as_tracks(item, name))
    return tracks


def _is_example(track) -> bool:
    from .data import example_path

    try:
        same_path = track.path is not None and os.path.samefile(track.path, example_path())
    except OSError:
        same_path = False
    return same_path or track.name.startswith("The Easton Ellises - Falcon 69")


# -- checkpoints -------------------------------------------------------------------------

def save_checkpoint(path, model, train_config: TrainConfig | None = None, optimizer=None,
                    scaler=None, step: int = 0, epoch: int = 0, history: dict | None = None,
                    best_state: dict | None = None, best_sdr: float = float("-inf"),
                    overwrite: bool = False) -> Path:
    """Write a checkpoint: the model's state dict and config (plus, for resuming, the
    optimiser state, step, history and the best weights so far).

    Only tensors, numbers, strings, lists and dicts are stored, so the file loads with
    ``torch.load(path, weights_only=True)``. The write is atomic (temporary file, then
    rename) and an existing file is kept unless ``overwrite=True``."""
    import torch

    path = Path(path).expanduser()
    if path.exists() and not overwrite:
        raise ParameterError(f"{path} exists; pass overwrite=True to replace it, or choose another name.")
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    state = {"format": CHECKPOINT_FORMAT,
             "config": model.config.to_dict(),
             "model": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
             "step": int(step), "epoch": int(epoch),
             "history": history or {}, "best_sdr": float(best_sdr)}
    if best_state is not None:
        state["best_model"] = {k: v.detach().cpu().clone() for k, v in best_state.items()}
    if train_config is not None:
        state["train_config"] = train_config.to_dict()
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    if scaler is not None:
        state["scaler"] = scaler.state_dict()
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.save(state, tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)        # mkstemp makes 0600 files; use the usual mode
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _read_checkpoint(path) -> dict:
    import pickle

    import torch

    path = Path(path).expanduser()
    if not path.exists():
        raise ParameterError(f"No checkpoint at {path}. Train one with mssedu.train.train(checkpoint=...).")
    if path.is_dir():
        raise ParameterError(f"{path} is a folder; give the checkpoint file (e.g. unet.pt).")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if "global" not in str(err).lower():   # garbage bytes, not a forbidden object
            raise ParameterError(f"{path} is not a readable torch checkpoint (the safe unpickler "
                              "could not parse it). Was the file truncated, or is it another "
                              "format?") from err
        raise ParameterError(
            f"{path} was refused by torch.load(weights_only=True): it holds pickled Python "
            "objects, which can run arbitrary code when loaded. mssedu checkpoints hold only "
            "tensors and plain values; if you trust the file, re-save its state_dict. "
            f"({_first_reason(err)})") from err
    except Exception as err:  # truncated, not a torch file at all, ...
        raise ParameterError(f"{path} is not a readable torch checkpoint ({type(err).__name__}: "
                          f"{str(err)[:200]}). Was the file truncated or is it another format?") from err
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ParameterError(f"{path} is a torch file but not an mssedu U-Net checkpoint "
                          f"(expected format {CHECKPOINT_FORMAT!r}).")
    for key in ("config", "model"):
        if key not in state:
            raise ParameterError(f"{path} lacks the {key!r} entry; the checkpoint is incomplete.")
    return state


def _first_reason(err) -> str:
    for line in str(err).splitlines():
        if "Unsupported global" in line:
            return line.strip()[:200]
    return str(err).splitlines()[0][:200]


def load_checkpoint(path, which: str = "best", device="cpu"):
    """Load a U-Net checkpoint: returns ``(model, config)``, the model in eval mode.

    Parameters
    ----------
    path : str or Path
    which : {"best", "last"}
        The best-validation weights (if the checkpoint kept them) or the latest ones.
    device : str
        Where to put the model (``"auto"`` picks a GPU if there is one).

    Raises
    ------
    MsseduError
        Missing file, a file that is not a torch checkpoint, a file with pickled objects
        (refused by ``weights_only=True``), or weights that do not fit the stored config.
    """
    from .config import torch_device
    from .unet import MiniUNet, UNetConfig

    if which not in ("best", "last"):
        raise ParameterError(f"which must be 'best' or 'last', got {which!r}.")
    state = _read_checkpoint(path)
    config = UNetConfig.from_dict(state["config"])
    model = MiniUNet(config)
    weights = state.get("best_model", state["model"]) if which == "best" else state["model"]
    try:
        model.load_state_dict(weights)
    except RuntimeError as err:
        raise ParameterError(f"The weights in {path} do not fit its config: {str(err)[:300]}") from err
    return model.to(torch_device(device)).eval(), config


# -- the loop ----------------------------------------------------------------------------

def _validate(model, tracks, target: str) -> float:
    from .unet import UNetSeparator

    sep = UNetSeparator(model, device=next(model.parameters()).device)
    scores = [plain_sdr(t.stems[target], sep.separate(t.mixture, progress=False)[target]) for t in tracks]
    model.train()
    return float(np.mean(scores))


def _learning_rate(cfg: TrainConfig, step: int, elapsed: float) -> float:
    """The learning rate for this step (see ``TrainConfig.schedule``)."""
    if cfg.schedule == "constant":
        return cfg.lr
    progress = step / cfg.steps
    if cfg.max_seconds is not None:
        progress = max(progress, elapsed / cfg.max_seconds)
    low = cfg.lr / 20
    return low + (cfg.lr - low) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def train(data=None, valid="example", config: TrainConfig | None = None, checkpoint=None,
          resume: bool = False, overwrite: bool = False, callbacks=(), progress: bool = True,
          snapshots: bool = False, **kwargs) -> TrainResult:
    """Train a :class:`~mssedu.unet.MiniUNet` to separate ``config.targets``.

    Parameters
    ----------
    data : ExcerptDataset, Track, list of Tracks/paths, folder, or None
        Training songs. A folder may hold one song (stem files) or one sub-folder / ``.stem.mp4``
        per song (MUSDB18-HQ layout). ``None`` renders (once, then cached) synthetic songs
        with :func:`default_training_tracks`.
    valid : Track, list of Tracks, "example" or None
        Held-out audio for the validation SDR; ``"example"`` is the real MUSDB excerpt
        :func:`mssedu.data.example_track`. ``None`` skips validation (no early stopping).
    config : TrainConfig, optional
        Settings; any :class:`TrainConfig` field can also be given as a keyword argument
        (``train(steps=200, batch_size=8)``), overriding ``config``.
    checkpoint : str or Path, optional
        File written at every validation (best weights and everything needed to resume).
    resume : bool
        Continue from ``checkpoint`` if it exists (model, optimiser, step, history).
    overwrite : bool
        Allow replacing an existing ``checkpoint`` when not resuming.
    callbacks : sequence of callables
        Each is called as ``cb(history)`` after every validation and every ``val_every // 5``
        steps, e.g. :func:`mssedu.widgets.live_loss_plot` for a live curve in a notebook.
    progress : bool
        Show a ``tqdm.auto`` progress bar.
    snapshots : bool
        Keep a copy of the weights at every validation in ``result.snapshots`` (a list of
        ``(step, state_dict)``), to hear the model improve (tiny models only: memory).

    Returns
    -------
    TrainResult
    """
    import torch
    from tqdm.auto import tqdm

    from .config import torch_device
    from .data import Augment, ExcerptDataset, example_track, make_loader
    from .losses import WAVEFORM_LOSSES, get_loss
    from .spectral import istft
    from .unet import MiniUNet

    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = set(kwargs) - fields
    if unknown:
        raise ParameterError(f"train() got unknown settings {sorted(unknown)}; TrainConfig has {sorted(fields)}.")
    cfg = dataclasses.replace(config or TrainConfig(), **kwargs)
    ucfg = cfg.unet_config()
    device = torch_device(cfg.device)
    use_amp = bool(cfg.amp and device.type == "cuda")
    seed_everything(cfg.seed)

    # 1. data: random excerpts just long enough for one spectrogram patch
    if isinstance(data, ExcerptDataset):
        dataset = data
        if dataset.sr != ucfg.sr:
            raise ParameterError(f"The dataset is at {dataset.sr} Hz but the model at {ucfg.sr} Hz; "
                              "build the dataset with sr=model sr.")
    else:
        tracks = _as_tracks(data, "data") if data is not None else default_training_tracks(progress=progress)
        if not tracks:
            raise ParameterError("No training songs found in `data`.")
        if any(_is_example(t) for t in tracks):
            warnings.warn("The training data contains the example track, which is the held-out "
                          "evaluation excerpt: its scores will no longer mean anything.", stacklevel=2)
        augment = Augment(**cfg.augment) if cfg.augment else None
        dataset = ExcerptDataset(tracks, seconds=ucfg.patch_samples / ucfg.sr, targets=cfg.targets,
                                 augment=augment, length=cfg.songs_per_epoch, seed=cfg.seed,
                                 activity_target=cfg.targets[0] if cfg.targets[0] in tracks[0].stems else None,
                                 sr=ucfg.sr)
    loader = make_loader(dataset, batch_size=cfg.batch_size, workers=cfg.workers, seed=cfg.seed,
                         pin_memory=device.type == "cuda")
    if valid == "example":
        valid = [example_track()]
    valid_tracks = _as_tracks(valid, "valid") if valid is not None else []
    for t in valid_tracks:
        if cfg.targets[0] not in t.stems:
            raise ParameterError(f"Validation track {t.name!r} has no {cfg.targets[0]!r} stem.")

    # 2. model, optimiser, loss
    model = MiniUNet(ucfg).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    loss_fn = get_loss(cfg.loss)
    waveform_loss = cfg.loss in WAVEFORM_LOSSES
    history = {"step": [], "loss": [], "val_step": [], "val_sdr": [], "seconds": []}
    step, epoch, best_sdr, best_state, bad = 0, 0, float("-inf"), None, 0
    kept = []
    if checkpoint is not None:
        checkpoint = Path(checkpoint).expanduser()
        if resume and checkpoint.exists():
            state = _read_checkpoint(checkpoint)
            if state["config"] != ucfg.to_dict():
                raise ParameterError(f"Cannot resume: {checkpoint} holds a model with config "
                                  f"{state['config']}, this run builds {ucfg.to_dict()}.")
            model.load_state_dict(state["model"])
            if "optimizer" in state:
                optimizer.load_state_dict(state["optimizer"])
            if "scaler" in state and use_amp:
                scaler.load_state_dict(state["scaler"])
            step, epoch = state["step"], state["epoch"] + 1
            history = {k: list(v) for k, v in state["history"].items()} or history
            best_sdr = state.get("best_sdr", float("-inf"))
            best_state = state.get("best_model")
        elif checkpoint.exists() and not overwrite:
            raise ParameterError(f"{checkpoint} exists. Pass resume=True to continue that run, "
                              "overwrite=True to start again, or another file name.")

    def validate_and_save():
        nonlocal best_sdr, best_state, bad
        if valid_tracks:
            sdr = _validate(model, valid_tracks, cfg.targets[0])
            history["val_step"].append(step)
            history["val_sdr"].append(sdr)
            if sdr > best_sdr + cfg.min_delta:
                best_sdr, bad = sdr, 0
                best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            else:
                bad += 1
        if snapshots:
            kept.append((step, {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}))
        if checkpoint is not None:
            save_checkpoint(checkpoint, model, cfg, optimizer, scaler if use_amp else None, step,
                            epoch, history, best_state, best_sdr, overwrite=True)
        for cb in callbacks:
            cb(history)

    # 3. the loop
    start = time.perf_counter()
    elapsed0 = history["seconds"][-1] if history["seconds"] else 0.0
    # the bar counts seconds when a time budget is set (it usually ends the run), else steps
    by_time = cfg.max_seconds is not None
    bar = tqdm(total=float(cfg.max_seconds) if by_time else cfg.steps, initial=0 if by_time else step,
               desc="training", unit="s" if by_time else "step", disable=not progress, leave=True,
               bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s {postfix}" if by_time else None)
    stopped = "steps"
    log_every = max(1, cfg.val_every // 5)
    model.train()
    while step < cfg.steps and stopped == "steps":
        if hasattr(dataset, "set_epoch"):
            dataset.set_epoch(epoch)
        for batch in loader:
            X, S = spectrogram_batch(batch, cfg.targets, ucfg.n_fft, ucfg.hop_length, device)
            mag = X.abs()
            with torch.autocast(device.type, enabled=use_amp):
                estimate = model(mag)
            estimate = estimate.float()
            if waveform_loss:   # back to waveforms with the mixture phase
                phase = X / mag.clamp_min(1e-8)
                n = batch["mixture"].shape[-1]
                est_wave = istft(estimate * phase.unsqueeze(1), ucfg.hop_length, length=n, n_fft=ucfg.n_fft)
                ref_wave = torch.stack([batch[t].to(device) for t in cfg.targets], dim=1)
                loss = loss_fn(est_wave, ref_wave)
            else:
                loss = loss_fn(estimate, S)
            optimizer.zero_grad(set_to_none=True)
            for group in optimizer.param_groups:
                group["lr"] = _learning_rate(cfg, step, time.perf_counter() - start)
            scaler.scale(loss).backward()
            if cfg.clip_grad:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_grad)
            scaler.step(optimizer)
            scaler.update()
            step += 1
            seconds = elapsed0 + time.perf_counter() - start
            history["step"].append(step)
            history["loss"].append(loss.item())
            history["seconds"].append(seconds)
            if by_time:
                bar.update(min(seconds - elapsed0, cfg.max_seconds) - bar.n)
            else:
                bar.update(1)
            post = {"step": step, "loss": f"{history['loss'][-1]:.4f}"}
            if history["val_sdr"]:
                post["val SDR"] = f"{history['val_sdr'][-1]:+.2f} dB"
            bar.set_postfix(post, refresh=False)
            out_of_time = cfg.max_seconds is not None and seconds - elapsed0 >= cfg.max_seconds
            if step % cfg.val_every == 0 or step >= cfg.steps or out_of_time:
                validate_and_save()
                if valid_tracks and bad >= cfg.patience:
                    stopped = "early stopping"
            elif step % log_every == 0:
                for cb in callbacks:
                    cb(history)
            if stopped == "steps" and out_of_time:
                stopped = "max_seconds"
            if stopped != "steps" or step >= cfg.steps:
                break
        epoch += 1
    bar.close()
    seconds = time.perf_counter() - start
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return TrainResult(model=model, config=ucfg, train_config=cfg, history=history,
                       best_sdr=best_sdr, steps=step, seconds=seconds, stopped=stopped,
                       checkpoint=str(checkpoint) if checkpoint is not None else None,
                       snapshots=kept)
