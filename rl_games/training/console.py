"""Progress and checkpoint lines reach the console even when the host program set up no logging.

rl_games prints; we log. A script that embeds the Runner (Isaac Lab's and IsaacGymEnvs' train and
play scripts) usually configures no logging, so Python would drop every INFO record. When nothing
is configured, :func:`ensure_console` attaches one stdout handler to the ``rl_games`` logger. If
the host configures logging later, that handler hands each record to the host's handlers instead
of printing it itself, so no line appears twice.
"""

from __future__ import annotations

import logging
import sys

PACKAGE_LOGGER = "rl_games"


class ConsoleFormatter(logging.Formatter):
    """The message alone; warnings and errors prefixed with ``warning:`` / ``error:``."""

    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage()
        if record.levelno >= logging.ERROR:
            return f"error: {msg}"
        if record.levelno >= logging.WARNING:
            return f"warning: {msg}"
        return msg


class _FallbackHandler(logging.StreamHandler):
    """Prints to stdout while the root logger has no handlers; afterwards forwards to them."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)
        self.setFormatter(ConsoleFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        root = logging.getLogger()
        if root.handlers:  # configured after us: behave as plain propagation would
            if record.levelno >= root.getEffectiveLevel():
                root.handle(record)
            return
        self.stream = sys.stdout  # follow a redirected stdout
        super().emit(record)


def host_configured_logging() -> bool:
    """Whether the root or the ``rl_games`` logger already has handlers (or a level of its own)."""
    pkg = logging.getLogger(PACKAGE_LOGGER)
    return bool(logging.getLogger().handlers or pkg.handlers or pkg.level != logging.NOTSET)


def ensure_console() -> bool:
    """Attach the fallback console handler when the host configured no logging; True if attached.

    Idempotent. Never called at import time: the Runner calls it when it starts training or play.
    """
    if host_configured_logging():
        return False
    pkg = logging.getLogger(PACKAGE_LOGGER)
    pkg.addHandler(_FallbackHandler())
    pkg.setLevel(logging.INFO)
    pkg.propagate = False  # the handler forwards to the root's handlers once there are any
    return True
