"""Interactive widgets (ipywidgets) for the course. Each chapter's widgets live in a module of
this package (``core``, ``stft``, ``masks``, ...); everything is importable from
``mssedu.widgets`` directly."""
from .._chapters import gather as _gather

__all__ = _gather(__name__, globals())
