"""Keep the cycle collector away from what a server process holds for its whole life.

A full collection walks every tracked object. In a server that means the imported modules and the
suggestion index as well, about 300,000 objects, and a pause of 150 to 250 ms inside whichever request
triggered it. Once the process has settled, ``gc.freeze()`` moves all of that out of the
collector's reach: later collections walk only what requests allocate, and freeing by reference
count is unaffected.

Only server processes enable it (those of ``supportops serve``: the HTTP processes and the writer
process). Test processes build many short-lived apps, and freezing them would keep their reference
cycles alive.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_enabled = False


def enable() -> None:
    """From now on, :func:`settle` freezes; and settle once now."""
    global _enabled
    _enabled = True
    settle()


def settle() -> None:
    """Collect what is already garbage, then freeze everything still alive (when enabled). Called
    after start-up and after each full rebuild of a long-lived structure."""
    if not _enabled:
        return
    with _lock:
        gc.collect()
        gc.freeze()
