"""Figures for chapter 6 (the mini U-Net): the architecture, feature maps, masks and
training curves."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .core import display_rows, finish_row, panel_row, spectrogram_axes

__all__ = ["unet_architecture_figure", "feature_maps_figure", "update_feature_maps_figure",
           "mask_comparison_figure",
           "update_mask_comparison_figure", "loss_curve_figure", "draw_loss_curve"]


def unet_architecture_figure(model, frames: int | None = None, figsize=(10, 3.6)):
    """The U shape: one bar per block, its height the frequency size (log scale) and its
    label ``channels x freq x frames``; grey arrows are the skip connections.

    Parameters
    ----------
    model : MiniUNet
        The network (:class:`mssedu.models.MiniUNet`); its ``layer_table`` gives the sizes.
    frames : int or None
        Number of STFT frames of the input; None uses the model's training patch.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The architecture diagram.
    """
    rows = model.layer_table(frames)
    enc = [r for r in rows if r["name"].startswith("encoder")]
    dec = [r for r in rows if r["name"].startswith("decoder")]
    blocks = [rows[0]] + enc + dec
    fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    x_of = {}
    top = np.log2(rows[0]["output"][2]) + 1
    for i, r in enumerate(blocks):
        c, f, t = r["output"][1], r["output"][2], r["output"][3]
        h = np.log2(f) + 1
        colour = "#4c72b0" if r["name"].startswith("encoder") else (
            "#dd8452" if r["name"].startswith("decoder") else "#55a868")
        ax.bar(i, h, width=0.6, bottom=top - h, color=colour, alpha=0.85)
        ax.text(i, top - h - 0.25, f"{c}\u00d7{f}\u00d7{t}", ha="center", va="top", fontsize=7)
        ax.text(i, top + 0.15, r["name"].replace("input (cropped)", "input"), ha="center",
                va="bottom", fontsize=7, rotation=30)
        x_of[r["name"]] = (i, top - h)
    depth = len(enc)
    for k in range(depth - 1):  # encoder k feeds decoder (depth - 1 - k) + 1 input via concat
        xe, _ = x_of[f"encoder.{k}"]
        xd, _ = x_of[f"decoder.{depth - 1 - k}"]
        ax.annotate("", xy=(xd - 0.35, top - 0.6 - 0.4 * k), xytext=(xe + 0.35, top - 0.6 - 0.4 * k),
                    arrowprops=dict(arrowstyle="->", color="grey", lw=0.8))
    ax.set_xlim(-0.7, len(blocks) - 0.3)
    ax.set_ylim(-0.8, top + 1.6)
    ax.axis("off")
    n = model.num_parameters()
    ax.set_title(f"MiniUNet: blue = encoder (conv 5x5/2), orange = decoder (transposed conv), "
                 f"grey = skips; {n:,} parameters", fontsize=9)
    plt.close(fig)
    return fig


def feature_maps_figure(maps: dict, layer: str, n: int = 8, start: int = 0, figsize=None):
    """``n`` channels of one layer's feature maps (from :meth:`MiniUNet.feature_maps`),
    each an image with frequency up and time to the right.

    Parameters
    ----------
    maps : dict
        ``{layer name: feature maps}``, each ``(channels, freq, frames)``.
    layer : str
        The layer to show (a key of ``maps``).
    n : int
        Number of channels to show (at most 4 per row).
    start : int
        First channel shown.
    figsize : tuple of float or None
        Figure size in inches; None sizes it from the grid.

    Returns
    -------
    matplotlib.figure.Figure
        One image per channel.
    """
    fm = np.asarray(maps[layer])
    n = int(min(n, fm.shape[0] - start))
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=figsize or (2.6 * cols, 1.9 * rows),
                             squeeze=False, constrained_layout=True)
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.axis("off")
            continue
        img = fm[start + k]
        vmax = float(np.abs(img).max()) or 1.0
        ax.imshow(img, origin="lower", aspect="auto", cmap="magma" if img.min() >= 0 else "RdBu_r",
                  vmin=0 if img.min() >= 0 else -vmax, vmax=vmax, interpolation="nearest")
        ax.set_title(f"{layer} ch {start + k}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{layer}: {fm.shape[0]} channels of {fm.shape[1]} x {fm.shape[2]} "
                 "(frequency x frames)", fontsize=9)
    plt.close(fig)
    return fig


def update_feature_maps_figure(fig, maps: dict, layer: str, start: int = 0) -> list:
    """Show other channels (or another layer) in a :func:`feature_maps_figure`, in place:
    each panel's image gets the new map, colours and limits (``set_data``, ``set_clim``),
    its title the new channel; panels beyond the last channel are hidden. Build the figure
    with its full grid of panels, as a widget does.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from :func:`feature_maps_figure` with every panel drawn.
    maps : dict
        Layer name -> ``(channels, freq, frames)``, as given to :func:`feature_maps_figure`.
    layer : str
        The layer to show.
    start : int
        The first channel shown.

    Returns
    -------
    list of matplotlib.artist.Artist
        Images, titles, frames and the figure title (what may change), e.g. for
        :class:`mssedu.plot.LiveFigure`.

    Examples
    --------
    >>> maps = {"a": np.ones((8, 4, 5)), "b": -np.ones((3, 2, 6))}
    >>> fig = feature_maps_figure(maps, "a", n=4)
    >>> changed = update_feature_maps_figure(fig, maps, "b", start=1)
    >>> [ax.get_title() for ax in fig.axes if ax.images[0].get_visible()]
    ['b ch 1', 'b ch 2']
    """
    fm = np.asarray(maps[layer])
    changing = []
    for k, ax in enumerate(a for a in fig.axes if a.images):   # panels switched off when built: none
        im, shown = ax.images[0], start + k < fm.shape[0]
        for artist in [im, ax.title, *ax.spines.values()]:
            artist.set_visible(shown)
        if shown:   # as feature_maps_figure draws a channel
            img = fm[start + k]
            vmax = float(np.abs(img).max()) or 1.0
            im.set_data(img)
            im.set_cmap("magma" if img.min() >= 0 else "RdBu_r")
            im.set_clim(0 if img.min() >= 0 else -vmax, vmax)
            im.set_extent([-0.5, img.shape[1] - 0.5, -0.5, img.shape[0] - 0.5])
            ax.set_xlim(-0.5, img.shape[1] - 0.5)
            ax.set_ylim(-0.5, img.shape[0] - 0.5)
            ax.set_title(f"{layer} ch {start + k}", fontsize=8)
        changing += [im, ax.title, *ax.spines.values()]
    title = fig.suptitle(f"{layer}: {fm.shape[0]} channels of {fm.shape[1]} x {fm.shape[2]} "
                         "(frequency x frames)", fontsize=9)
    return changing + [title]


def mask_comparison_figure(masks: dict, sr: int, hop_length: int, fmax: float | None = 8000.0,
                           figsize=None):
    """Masks side by side (e.g. ``{"U-Net": M, "oracle IRM": M_irm}``), each
    ``(channels, freq, frames)`` or ``(freq, frames)``, 0 (black) .. 1 (bright).

    Parameters
    ----------
    masks : dict
        ``{name: mask}``, each ``(channels, freq, frames)`` (channels are averaged) or
        ``(freq, frames)``.
    sr : int
        Sample rate in Hz (for the frequency axis).
    hop_length : int
        STFT hop in samples (for the time axis).
    fmax : float or None
        Highest frequency shown in Hz; None shows all.
    figsize : tuple of float or None
        Figure size in inches; None sizes it from the number of masks.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per mask.
    """
    items = list(masks.items())
    fig, axes = panel_row(len(items), (4.3, 3.0), figsize)
    for ax, (name, m) in zip(axes, items):   # channels averaged; rows as display_rows picks them
        spectrogram_axes(ax, m, sr, hop_length, db=False, title=name, fmax=fmax,
                         colorbar=ax is axes[-1], cmap="viridis")
    return finish_row(fig, axes)


def update_mask_comparison_figure(fig, masks: dict, sr: int, fmax: float | None = 8000.0) -> list:
    """Put new masks and titles into a :func:`mask_comparison_figure` of as many masks, in
    place (``set_data``): a widget move then costs a redraw of the images, not a new figure.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from :func:`mask_comparison_figure`.
    masks : dict
        ``{name: mask}``, shaped as the masks drawn, one per panel, in order.
    sr : int
        Sample rate in Hz.
    fmax : float or None
        As given to :func:`mask_comparison_figure`.

    Returns
    -------
    list of matplotlib.artist.Artist
        The images and panel titles (what changed), e.g. for :class:`mssedu.plot.LiveFigure`.

    Examples
    --------
    >>> fig = mask_comparison_figure({"a": np.zeros((65, 8))}, 8000, 64)
    >>> changed = update_mask_comparison_figure(fig, {"b": np.full((65, 8), 0.5)}, 8000)
    >>> changed[1].get_text(), float(changed[0].get_array().max())
    ('b', 0.5)
    """
    axes = [ax for ax in fig.axes if ax.images][:len(masks)]
    for ax, (name, m) in zip(axes, masks.items()):
        m = np.abs(np.asarray(m))
        m = m.mean(axis=0) if m.ndim == 3 else m           # as spectrogram_axes draws it
        ax.images[0].set_data(m[display_rows(m.shape[0], sr, fmax=fmax)])
        ax.set_title(name)
    return [ax.images[0] for ax in axes] + [ax.title for ax in axes]


def draw_loss_curve(ax, history: dict, smooth: int = 10):
    """Draw the training loss (raw, light; running mean, dark) and, on a second axis, the
    validation SDR, onto ``ax``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axis to draw onto (it is cleared first).
    history : dict
        ``TrainResult.history``: lists ``step`` and ``loss``, and optionally ``val_step``
        and ``val_sdr``.
    smooth : int
        Length of the running mean in steps.

    Returns
    -------
    matplotlib.axes.Axes or None
        The second (validation SDR) axis, or None when there is no validation history.
    """
    steps = np.asarray(history.get("step", []))
    loss = np.asarray(history.get("loss", []), dtype=float)
    ax.clear()
    if loss.size:
        ax.plot(steps, loss, color="#4c72b0", alpha=0.25, lw=0.8)
        k = max(1, min(smooth, loss.size))
        run = np.convolve(loss, np.ones(k) / k, mode="valid")
        ax.plot(steps[k - 1:], run, color="#4c72b0", lw=1.6, label="training loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss", color="#4c72b0")
    ax2 = None
    if history.get("val_sdr"):
        ax2 = ax.twinx()
        ax2.plot(history["val_step"], history["val_sdr"], "o-", color="#c44e52", ms=3,
                 label="validation SDR")
        ax2.set_ylabel("validation SDR (dB)", color="#c44e52")
    ax.grid(alpha=0.3)
    return ax2


def loss_curve_figure(history: dict, title: str | None = None, figsize=(7, 3)):
    """Training loss and validation SDR against the step (from ``TrainResult.history``).

    Parameters
    ----------
    history : dict
        ``TrainResult.history`` (see :func:`draw_loss_curve`).
    title : str or None
        Axis title.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The loss curve, with the validation SDR on a second axis.
    """
    fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    draw_loss_curve(ax, history)
    if title:
        ax.set_title(title)
    plt.close(fig)
    return fig
