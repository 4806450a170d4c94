"""Is a server reachable? One quick probe, used before every download so that an offline
machine gets a clear error at once instead of after a library's retries.

Examples
--------
>>> from mssedu.network import reachable
>>> reachable("localhost", port=9, timeout=0.2)   # nothing listens on the discard port
False
"""
from __future__ import annotations

import os
import socket
import threading

__all__ = ["reachable", "offline_requested", "PROBE_SECONDS"]

#: How long a probe may take before the host counts as unreachable.
PROBE_SECONDS = 2.0


def offline_requested() -> bool:
    """Whether the user asked for no network at all.

    Returns
    -------
    bool
        True when ``MSSEDU_OFFLINE`` or ``HF_HUB_OFFLINE`` is 1/true/yes/on.
    """
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
               for v in ("MSSEDU_OFFLINE", "HF_HUB_OFFLINE"))


def reachable(host: str, port: int = 443, timeout: float = PROBE_SECONDS) -> bool:
    """Can a TCP connection to ``host:port`` be opened within ``timeout`` seconds?

    The probe runs in a thread, so even a hanging name lookup cannot hold the caller longer.

    Parameters
    ----------
    host : str
        Host name or address.
    port : int
        TCP port (443: HTTPS).
    timeout : float
        Seconds to wait.

    Returns
    -------
    bool
        False also when :func:`offline_requested`.
    """
    if offline_requested():
        return False
    result = []

    def probe():
        try:
            socket.create_connection((host, int(port)), timeout=timeout).close()
            result.append(True)
        except Exception:  # no route, no name, refused, timed out...
            result.append(False)

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout + 0.2)
    return bool(result and result[0])
