"""A Ctrl-C that no library can swallow.

Python turns Ctrl-C (SIGINT) into a KeyboardInterrupt in whatever the main thread is running at
that moment, and a library that catches every exception there and carries on (a bare `except:`
around an optional import, say) would let the run go on to publish. So while a run lasts, a
Ctrl-C is also remembered, and the run asks before each step that changes anything after the
build (`stop_if_interrupted`): a run stopped by Ctrl-C never publishes, whatever caught it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def remembered_interrupts() -> Iterator[Callable[[], None]]:
    """For the block, Ctrl-C raises KeyboardInterrupt as usual and is remembered; yields the check
    that raises KeyboardInterrupt again when one came.

    Nothing changes where Python has no say over the signal: off the main thread (signal
    handlers belong to it), or when Ctrl-C is ignored, as for a command started in the
    background by a non-interactive shell.
    """
    came = threading.Event()

    def stop_if_interrupted() -> None:
        if came.is_set():
            raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) in (
        signal.SIG_IGN,
        None,
    ):
        yield stop_if_interrupted
        return

    def remember(signum, frame) -> None:
        came.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, remember)
    try:
        yield stop_if_interrupted
    finally:
        signal.signal(signal.SIGINT, previous)
