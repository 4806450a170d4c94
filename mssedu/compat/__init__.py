"""Optional bridges to other libraries that need a little help to run today.

``mssedu.compat.nussl`` makes nussl 1.1.9 (2021) importable on numpy 2, scipy >= 1.13 and
librosa >= 0.10, so that tests and notebooks can cross-check mssedu against it. Nothing in
mssedu needs nussl: when it is absent, :func:`import_nussl` returns ``None``.
"""
from .nussl import import_nussl, nussl_available, nussl_unavailable_reason

__all__ = ["import_nussl", "nussl_available", "nussl_unavailable_reason"]
