r"""Training a mask model: a plain loop you can read top to bottom.

Each step is :func:`mssedu.models.step.training_step` on a batch of random excerpts.
Every ``val_every`` steps the model separates held-out *synthetic* songs and we measure the
plain SDR :math:`10\log_{10} \|s\|^2 / \|s - \hat s\|^2` (:func:`mssedu.metrics.sdr`) of
every target, averaged over targets and songs. The best model so far is kept; training stops early after
``patience`` validations without improvement, after ``steps`` steps, or after
``max_seconds`` seconds. The real excerpt :func:`mssedu.data.example_track` is the course's
test song: it is never trained on and never used to choose weights, only scored afterwards.

Checkpoints (:mod:`mssedu.models.checkpoint`) are plain dicts of tensors and numbers, saved
atomically; a run can be resumed from its checkpoint.

Examples
--------
>>> import numpy as np
>>> from mssedu.data import Track
>>> rng = np.random.default_rng(0)
>>> stems = {name: rng.standard_normal((2, 44100 * 3)).astype(np.float32) / 8
...          for name in ("vocals", "accompaniment")}
>>> song = Track("noise", 44100, sum(stems.values()), stems)
>>> result = train(song, valid=None, steps=2, batch_size=2, progress=False, device="cpu")
>>> result.steps, result.stopped
(2, 'steps')
"""
from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from ..checks import check_output_file
from ..config import torch_device
from ..data import make_loader
from ..data.synth import style_settings
from ..errors import DataError, ParameterError
from ..losses import LOSSES
from ..metrics import sdr
from .checkpoint import model_kind, read_checkpoint, save_checkpoint
from .separator import UNetSeparator, separator_for
from .step import training_step
from .training_data import seed_everything, training_dataset, validation_tracks
from .unet import MiniUNet, UNetConfig

__all__ = ["TrainConfig", "TrainResult", "train"]

@dataclass
class TrainConfig:
    r"""Settings of a training run (all plain values, stored in the checkpoint).

    Attributes
    ----------
    preset : str
        Preset of the model kind (``"tiny"`` or ``"full"``, e.g. :data:`mssedu.models.UNET_PRESETS`).
    model : dict
        Overrides of the preset's config fields (:class:`~mssedu.models.UNetConfig`...).
    model_kind : str
        Which model to train, a key of :data:`mssedu.models.MODEL_KINDS`: ``"unet"``
        (:class:`~mssedu.models.MiniUNet`) or ``"bandsplit"``
        (:class:`~mssedu.models.BandSplitModel`) or ``"conditioned"`` (separation by query,
        :class:`~mssedu.models.ConditionedUNet`). Everything else in the loop is the same.
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
        ``lr / 20``, :math:`\eta = \eta_{min} + (\eta_0 - \eta_{min})
        \tfrac{1}{2}(1 + \cos \pi p)`, where the progress :math:`p` is the larger of
        ``step / steps`` and ``elapsed / max_seconds``. (Bounded by ``max_seconds``, the
        schedule follows the clock, so only step-bounded runs repeat bit for bit.)
    clip_grad : float
        Largest allowed gradient norm (``0`` disables clipping).
    loss : str
        A name of :data:`mssedu.losses.LOSSES`: magnitude losses (``"l1"``, ``"l2"``,
        ``"huber"``) or waveform losses (``"mrstft"``, ``"si_sdr"``: rebuilt with the
        mixture phase).
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
    data_style : str
        Style of the default synthetic songs (training and ``valid="synthetic"``), a key of
        :data:`mssedu.data.synth.STYLES`: ``"studio"`` (sung vocals, recorded drums, mixing
        chain) or ``"classic"`` (the first release's choir-patch songs)...
    songs, song_seconds : int, float
        How many default synthetic training songs (seed :data:`TRAIN_SEED`), and their length.
    accumulate : int
        Split each batch into this many micro-batches and add up their gradients before
        the step (a large batch in little memory). Under ``torchrun`` each of the ``N``
        processes takes ``batch_size / N`` of the global batch.
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
    model_kind: str = "unet"
    data_style: str = "studio"
    songs: int = 8
    song_seconds: float = 30.0
    accumulate: int = 1

    def __post_init__(self):
        self.targets = (self.targets,) if isinstance(self.targets, str) else tuple(self.targets)
        if self.loss not in LOSSES:
            raise ParameterError(f"Unknown loss {self.loss!r}; choose one of {sorted(LOSSES)}.")
        style_settings(self.data_style)
        for name in ("batch_size", "steps", "val_every", "patience", "songs_per_epoch", "accumulate", "songs"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ParameterError(f"{name} must be a whole number >= 1, got {value!r}.")
        if self.max_seconds is not None and not (isinstance(self.max_seconds, (int, float))
                                                 and self.max_seconds > 0):
            raise ParameterError(f"max_seconds must be > 0 or None, got {self.max_seconds!r}.")
        if self.schedule not in ("cosine", "constant"):
            raise ParameterError(f"schedule must be 'cosine' or 'constant', got {self.schedule!r}.")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ParameterError(f"lr must be a number > 0, got {self.lr!r}.")
        presets = model_kind(self.model_kind).presets
        if self.preset not in presets:
            raise ParameterError(f"Unknown preset {self.preset!r}; choose one of {sorted(presets)}.")

    def unet_config(self) -> UNetConfig:
        """The model this run trains (the name is historical: any ``model_kind``).

        Returns
        -------
        UNetConfig or the kind's config
            The preset, with ``model`` overrides and ``targets``.
        """
        kind = model_kind(self.model_kind)
        return kind.config(**{**kind.presets[self.preset], **dict(self.model), "targets": self.targets})

    def to_dict(self) -> dict:
        """The settings as plain values (for the checkpoint).

        Returns
        -------
        dict
        """
        d = dataclasses.asdict(self)
        d["targets"] = list(self.targets)
        return d


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    model : MiniUNet
        The best weights (highest validation SDR), in eval mode.
    config : UNetConfig
    train_config : TrainConfig
    history : dict
        Curves: ``step``, ``loss``, ``seconds`` (one per step), ``val_step``, ``val_sdr``.
    best_sdr : float
        Best validation SDR (dB, mean over targets and songs; held-out synthetic songs unless
        ``valid`` said otherwise).
    steps : int
    seconds : float
    stopped : str
        ``"steps"``, ``"max_seconds"``, ``"early stopping"`` or ``"interrupted"`` (Ctrl-C or
        the notebook's stop button: the best weights so far are kept and returned).
    checkpoint : str or None
        The file written.
    snapshots : list
        ``(step, state_dict)`` at every validation (``train(..., snapshots=True)``).
    """

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

    def model_at(self, step: int) -> MiniUNet:
        """The model as it was at validation ``step``.

        Parameters
        ----------
        step : int
            A step in ``history["val_step"]`` (needs ``train(..., snapshots=True)``).

        Returns
        -------
        MiniUNet
            A copy, in eval mode.
        """
        for s, state in self.snapshots:
            if s == step:
                model = model_kind(self.train_config.model_kind).model(self.config)
                model.load_state_dict(state)
                return model.eval()
        raise ParameterError(f"No snapshot at step {step}; kept: {[s for s, _ in self.snapshots]} "
                             "(train with snapshots=True).")

    @property
    def separator(self) -> UNetSeparator:
        """The trained model as a separator."""
        return separator_for(self.model)

    def examples_per_second(self) -> float:
        """Training throughput.

        Returns
        -------
        float
            Excerpts per second of wall time.
        """
        return self.steps * self.train_config.batch_size / max(self.seconds, 1e-9)


def _validate(model, tracks, targets) -> float:
    """Mean plain SDR over every target of every validation song."""
    sep = separator_for(model, device=next(model.parameters()).device)
    scores = []
    for t in tracks:
        est = sep.separate(t.mixture, progress=False)
        scores += [sdr(t.stems[name], est[name]) for name in targets]
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


def _copy_state(model) -> dict:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


@dataclass
class _RunState:
    """What a run carries from step to step (and what a checkpoint restores)."""

    step: int = 0
    epoch: int = 0
    best_sdr: float = float("-inf")
    best_state: dict | None = None
    bad: int = 0
    history: dict = field(default_factory=lambda: {"step": [], "loss": [], "val_step": [],
                                                   "val_sdr": [], "seconds": []})


def _restore(checkpoint: Path, model, optimizer, scaler, ucfg: UNetConfig, use_amp: bool) -> _RunState:
    state = read_checkpoint(checkpoint)
    if state["config"] != ucfg.to_dict():
        raise ParameterError(f"Cannot resume: {checkpoint} holds a model with config "
                             f"{state['config']}, this run builds {ucfg.to_dict()}.")
    model.load_state_dict(state["model"])
    if "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    if "scaler" in state and use_amp:
        scaler.load_state_dict(state["scaler"])
    run = _RunState(step=state["step"], epoch=state["epoch"] + 1,
                    best_sdr=state.get("best_sdr", float("-inf")), best_state=state.get("best_model"))
    if state["history"]:
        run.history = {k: list(v) for k, v in state["history"].items()}
    return run


def _progress_bar(cfg: TrainConfig, step: int, enabled: bool):
    """A bar counting seconds when a time budget is set (it usually ends the run), else steps."""
    if cfg.max_seconds is not None:
        return tqdm(total=float(cfg.max_seconds), initial=0, desc="training", unit="s",
                    disable=not enabled, leave=True,
                    bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s {postfix}")
    return tqdm(total=cfg.steps, initial=step, desc="training", unit="step", disable=not enabled,
                leave=True)


def _distributed(device_type: str):
    """Join the process group ``torchrun`` describes (``WORLD_SIZE`` > 1), once.

    Returns ``(rank, world_size, local_rank, started_here)``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, 0, False
    started = False
    if not dist.is_initialized():
        # NCCL between GPUs, gloo between CPU processes
        dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")
        started = True
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device_type != "cuda":   # share the cores: N processes on one machine, not N x all cores
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_world))
    return dist.get_rank(), dist.get_world_size(), local, started


def _from_rank0(values, world: int, device) -> list:
    """Everyone gets rank 0's ``values`` (floats): the learning rate and the stop flag."""
    if world == 1:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.broadcast(t, src=0)
    return t.tolist()


def train(data=None, valid="synthetic", config: TrainConfig | None = None, checkpoint=None,
          resume: bool = False, overwrite: bool = False, callbacks=(), progress: bool = True,
          snapshots: bool = False, **settings) -> TrainResult:
    """Train a mask model (:class:`~mssedu.models.MiniUNet` by default) to separate ``config.targets``.

    Parameters
    ----------
    data : ExcerptDataset, Track, list of Tracks/paths, folder, or None
        Training songs. A folder may hold one song (stem files) or one sub-folder /
        ``.stem.mp4`` per song (MUSDB18-HQ layout). ``None`` renders (once, then cached)
        synthetic songs with :func:`default_training_tracks`.
    valid : "synthetic", Track, list of Tracks, folder or None
        Held-out songs for the validation SDR and early stopping; ``"synthetic"``:
        :func:`default_validation_tracks`. ``None`` skips validation (no early stopping).
    config : TrainConfig, optional
        Settings; any :class:`TrainConfig` field can also be given as a keyword argument.
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
        Keep a copy of the weights at every validation in ``result.snapshots``, to hear the
        model improve (tiny models only: memory).

    **settings
        :class:`TrainConfig` fields (``steps=200, batch_size=8``...), overriding ``config``.

    Returns
    -------
    TrainResult

    Notes
    -----
    **Data-parallel training.** Started by ``torchrun --nproc_per_node=N`` (environment
    ``WORLD_SIZE`` > 1), each process joins the process group (NCCL on GPUs, gloo on CPUs),
    wraps the model in :class:`~torch.nn.parallel.DistributedDataParallel`, and draws its
    share of every global batch of ``batch_size`` excerpts
    (:class:`mssedu.data.dataset.GlobalBatchSampler`). Gradients are averaged across the
    processes, so all hold the same weights. Rank 0 alone renders the synthetic songs (the
    others wait), validates, shows progress, runs the callbacks and writes the checkpoint; it
    also decides the learning rate and when to stop and sends both to the others every step.
    The other ranks return their (identical) last weights.
    """
    cfg = _settings(config, settings)
    job = _setup(data, valid, cfg, checkpoint, resume, overwrite, progress)
    kept = []
    start = time.perf_counter()
    elapsed0 = job.run.history["seconds"][-1] if job.run.history["seconds"] else 0.0
    bar = _progress_bar(cfg, job.run.step, job.lead and progress)
    stopped = None
    job.model.train()
    try:
        while stopped is None and job.run.step < cfg.steps:
            stopped = _epoch(job, bar, start, elapsed0, callbacks, snapshots, kept)
            job.run.epoch += 1
    except KeyboardInterrupt:
        if job.world > 1:
            raise                    # the other processes cannot be told: stop them all
        stopped = "interrupted"      # a notebook's stop button: keep what was learnt so far
    finally:
        if cfg.max_seconds is not None and stopped is not None:
            bar.n = bar.total        # a finished run shows a full bar, not "84%"
            bar.refresh()
        bar.close()
        if job.started_group:
            dist.destroy_process_group()
    if job.run.best_state is not None:
        job.model.load_state_dict(job.run.best_state)
    job.model.eval()
    return TrainResult(model=job.model, config=job.model.config, train_config=cfg,
                       history=job.run.history, best_sdr=job.run.best_sdr, steps=job.run.step,
                       seconds=time.perf_counter() - start, stopped=stopped or "steps",
                       checkpoint=str(job.checkpoint) if job.checkpoint is not None else None,
                       snapshots=kept)


def _settings(config, settings: dict) -> TrainConfig:
    """``config`` with the keyword ``settings`` applied, unknown names refused."""
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = set(settings) - fields
    if unknown:
        raise ParameterError(f"train() got unknown settings {sorted(unknown)}; TrainConfig has "
                             f"{sorted(fields)}.")
    return dataclasses.replace(config or TrainConfig(), **settings)


@dataclass
class _Job:
    """Everything one training run works with (built once by :func:`_setup`)."""

    cfg: TrainConfig
    model: object
    stepper: object          # the model, or its DistributedDataParallel wrapper
    optimizer: object
    scaler: object
    dataset: object
    loader: object
    valid_tracks: list
    checkpoint: Path | None
    run: _RunState
    device: object
    world: int
    lead: bool
    started_group: bool


def _setup(data, valid, cfg: TrainConfig, checkpoint, resume: bool, overwrite: bool,
           progress: bool) -> _Job:
    """Processes, data, model, optimiser and (when resuming) the run so far."""
    ucfg = cfg.unet_config()
    device = torch_device(cfg.device)
    rank, world, local_rank, started_group = _distributed(device.type)
    if world > 1 and device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if cfg.batch_size % (world * cfg.accumulate):
        raise ParameterError(f"batch_size={cfg.batch_size} must be a multiple of the number of processes "
                             f"({world}) times accumulate ({cfg.accumulate}).")
    lead = rank == 0
    checkpoint = _checkpoint_path(checkpoint, resume, overwrite)   # refused before any work
    use_amp = bool(cfg.amp and device.type == "cuda")
    seed_everything(cfg.seed)
    # Rank 0 renders (or finds) the synthetic songs first; the others then read them.
    if world > 1 and not lead:
        dist.barrier()
    dataset = training_dataset(data, cfg, ucfg, progress and lead)
    valid_tracks = (validation_tracks(valid, cfg.targets, progress and lead, cfg.data_style)
                    if valid is not None and lead else [])
    if world > 1 and lead:
        dist.barrier()
    loader = make_loader(dataset, batch_size=cfg.batch_size, workers=cfg.workers, seed=cfg.seed,
                         pin_memory=device.type == "cuda", rank=rank, world_size=world)
    model = model_kind(cfg.model_kind).model(ucfg).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    run = (_restore(checkpoint, model, optimizer, scaler, ucfg, use_amp)
           if checkpoint is not None and resume and checkpoint.exists() else _RunState())
    # every rank starts from rank 0's weights (DDP broadcasts them)
    stepper = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None) \
        if world > 1 else model
    if rank > 0:   # own dropout masks per rank (rank 0 keeps the single-process stream)
        torch.manual_seed(cfg.seed + 1_000_003 * rank)
    return _Job(cfg, model, stepper, optimizer, scaler, dataset, loader, valid_tracks, checkpoint,
                run, device, world, lead, started_group)


def _checkpoint_path(checkpoint, resume: bool, overwrite: bool) -> Path | None:
    """The checkpoint file, checked before the first step (not after minutes of training)."""
    if checkpoint is None:
        return None
    checkpoint = Path(checkpoint).expanduser()
    if checkpoint.exists() and not (resume or overwrite):
        raise DataError(f"{checkpoint} exists. Pass resume=True to continue that run, "
                        "overwrite=True to start again, or another file name.")
    # a folder, or a folder that cannot be written: the check the CLI makes too
    return check_output_file(checkpoint, "checkpoint", "Choose another file for the checkpoint, "
                             "a file name in a folder you can write (e.g. runs/model.pt).")


def _epoch(job: _Job, bar, start: float, elapsed0: float, callbacks, snapshots: bool,
           kept: list):
    """One pass over the loader; returns why the run stopped, or None to go on."""
    cfg, run = job.cfg, job.run
    if hasattr(job.dataset, "set_epoch"):
        job.dataset.set_epoch(run.epoch)
    job.loader.batch_sampler.set_epoch(run.epoch)
    log_every = max(1, cfg.val_every // 5)
    for batch in job.loader:
        lr, = _from_rank0([_learning_rate(cfg, run.step, time.perf_counter() - start)], job.world,
                          job.device)
        loss = training_step(job.stepper, batch, cfg.loss, job.optimizer, job.scaler, cfg.clip_grad,
                             lr, cfg.accumulate)
        run.step += 1
        seconds = elapsed0 + time.perf_counter() - start
        for key, value in (("step", run.step), ("loss", loss), ("seconds", seconds)):
            run.history[key].append(value)
        out_of_time = cfg.max_seconds is not None and seconds - elapsed0 >= cfg.max_seconds
        _show(bar, cfg, run, loss, seconds - elapsed0)
        stopped = None
        if job.lead and (run.step % cfg.val_every == 0 or run.step >= cfg.steps or out_of_time):
            _validate_and_save(job, callbacks, snapshots, kept)
            if job.valid_tracks and run.bad >= cfg.patience:
                stopped = "early stopping"
        elif job.lead and run.step % log_every == 0:
            for cb in callbacks:
                cb(run.history)
        if stopped is None and out_of_time:
            stopped = "max_seconds"
        codes = {None: 0, "early stopping": 1, "max_seconds": 2}   # rank 0 decides for all
        code, = _from_rank0([codes[stopped]], job.world, job.device)
        stopped = {v: k for k, v in codes.items()}[int(code)]
        if stopped is not None or run.step >= cfg.steps:
            return stopped
    return None


def _show(bar, cfg: TrainConfig, run: _RunState, loss: float, elapsed: float) -> None:
    """Advance the progress bar (seconds under a time budget, else steps) and its readout."""
    if cfg.max_seconds is not None:
        bar.update(min(elapsed, cfg.max_seconds) - bar.n)
    else:
        bar.update(1)
    post = {"step": run.step, "loss": f"{loss:.4f}"}
    if run.history["val_sdr"]:
        post["val SDR"] = f"{run.history['val_sdr'][-1]:+.2f} dB"
    bar.set_postfix(post, refresh=False)


def _validate_and_save(job: _Job, callbacks, snapshots: bool, kept: list) -> None:
    """Validate, keep the best weights, write the checkpoint, tell the callbacks."""
    cfg, run, model = job.cfg, job.run, job.model
    if job.valid_tracks:
        score = _validate(model, job.valid_tracks, cfg.targets)
        run.history["val_step"].append(run.step)
        run.history["val_sdr"].append(score)
        if score > run.best_sdr + cfg.min_delta:
            run.best_sdr, run.bad, run.best_state = score, 0, _copy_state(model)
        else:
            run.bad += 1
    if snapshots:
        kept.append((run.step, _copy_state(model)))
    if job.checkpoint is not None:
        save_checkpoint(job.checkpoint, model, cfg, job.optimizer,
                        job.scaler if job.scaler.is_enabled() else None, run.step, run.epoch,
                        run.history, run.best_state, run.best_sdr, overwrite=True)
    for cb in callbacks:
        cb(run.history)
