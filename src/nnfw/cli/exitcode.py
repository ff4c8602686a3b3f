"""The exit codes of every ``nnfw`` command, defined once (they follow ruff's)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What an ``nnfw`` command's exit status means."""

    #: everything done, nothing to look at
    OK = 0
    #: the command ran and found a problem (submissions that need attention, a task that
    #: does not pass yet, ``course/`` out of date, a notebook that breaks a rule)
    PROBLEM = 1
    #: a usage or configuration error: nothing was done; the message says what to change
    USAGE = 2
