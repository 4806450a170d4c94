"""The no-code workshop app: the mask explorer and "separate your song" in a browser page.

``mssedu app`` copies the app notebook (``mssedu/app/workshop.ipynb``, one code cell that
calls :func:`workshop`) into a working folder and serves it with Voila on a local port: the
page shows the widgets only, no code. One concept per module:

- :mod:`~mssedu.app.page`: the page (:func:`workshop`);
- :mod:`~mssedu.app.explore`, :mod:`~mssedu.app.separate`, :mod:`~mssedu.app.listen`: its
  three parts (the listening test's ratings pooled in one CSV across the room's browsers);
- :mod:`~mssedu.app.separators`: which separators this machine offers;
- :mod:`~mssedu.app.uploads`: an uploaded song as a track (true stems or estimated ones);
- :mod:`~mssedu.app.downloads`: stems offered for download, a titled row per song;
- :mod:`~mssedu.app.style`: the projector layout and error lines;
- :mod:`~mssedu.app.server`: the Voila command (the user's options win; idle kernels culled);
- :mod:`~mssedu.app.launch`: runs Voila with the page's offline template.
"""
from .downloads import FILES_URL, download_links, result_html
from .explore import explore_section
from .listen import RATINGS_FILE, listening_section, pooled_ratings
from .page import workshop
from .separate import separate_section
from .separators import HTDEMUCS, ORACLE, UNET, available_separators, best_estimator
from .server import (APP_NOTEBOOK, KERNEL_CULLING, VOILA_DEFAULTS, app_command, prepare_app,
                     voila_arguments, voila_command)
from .style import BIG_FIGURES, STYLE, error_html
from .uploads import has_true_stems, track_from_upload

__all__ = ["APP_NOTEBOOK", "ORACLE", "UNET", "HTDEMUCS", "FILES_URL", "BIG_FIGURES", "STYLE",
           "KERNEL_CULLING", "VOILA_DEFAULTS", "available_separators", "best_estimator",
           "download_links", "result_html", "error_html", "has_true_stems", "track_from_upload",
           "explore_section", "separate_section", "listening_section", "pooled_ratings", "RATINGS_FILE",
           "workshop", "prepare_app", "voila_arguments",
           "voila_command", "app_command"]
