"""nnfw.lightning: the Lightning notebook's set-up helpers, without training anything."""

from __future__ import annotations

import logging
import subprocess
import sys
import warnings

import pytest

from nnfw import lightning as nnfw_lightning

pytest.importorskip("lightning")


@pytest.fixture
def restore_logging_and_warnings():
    levels = {name: logging.getLogger(name).level for name in nnfw_lightning.LOGGERS}
    with warnings.catch_warnings():
        yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _our_filters():
    patterns = {pattern for pattern, _category, _why in nnfw_lightning.IGNORED_WARNINGS}
    return [f for f in warnings.filters if f[1] is not None and f[1].pattern in patterns]


def test_importing_nnfw_does_not_import_lightning():
    code = (
        "import sys, nnfw, nnfw.lightning; "
        "print(any(m == 'lightning' or m.startswith('lightning.') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"


@pytest.mark.usefixtures("restore_logging_and_warnings")
def test_quiet_sets_the_loggers_and_is_idempotent():
    for name in nnfw_lightning.LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    nnfw_lightning.quiet()
    first = list(warnings.filters)
    nnfw_lightning.quiet()
    assert list(warnings.filters) == first, "a second call must not add filters"
    for name in nnfw_lightning.LOGGERS:
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING
    assert len(_our_filters()) == len(nnfw_lightning.IGNORED_WARNINGS)
    assert all(f[0] == "ignore" for f in _our_filters())


@pytest.mark.usefixtures("restore_logging_and_warnings")
def test_quiet_hides_the_listed_warnings_only():
    nnfw_lightning.quiet()
    warnings.simplefilter("always")  # goes in front; put ours back in front of it
    nnfw_lightning.quiet()
    with warnings.catch_warnings(record=True) as caught:
        for message, category in (
            ("The 'train_dataloader' does not have many workers", UserWarning),
            ("The number of training batches (12) is smaller than the logging interval", Warning),
            ("torch.utils._pytree.LeafSpec is deprecated", FutureWarning),
            ("something else the learner should see", UserWarning),
            ("LeafSpec, but as a UserWarning", UserWarning),
        ):
            warnings.warn(message, category, stacklevel=1)
    assert [str(w.message) for w in caught] == [
        "something else the learner should see",
        "LeafSpec, but as a UserWarning",
    ]


@pytest.mark.usefixtures("restore_logging_and_warnings")
def test_info_messages_are_dropped_warnings_kept():
    nnfw_lightning.quiet()
    # where Lightning's "GPU available: ..." comes from: a child of lightning.pytorch
    logger = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    assert not logger.isEnabledFor(logging.INFO)
    assert logger.isEnabledFor(logging.WARNING)


def test_progress_bar_follows_fast_mode(monkeypatch):
    from lightning.pytorch.callbacks import TQDMProgressBar

    monkeypatch.setenv("NNFW_FAST", "1")
    assert nnfw_lightning.progress_bar() == []
    monkeypatch.setenv("NNFW_FAST", "0")
    bars = nnfw_lightning.progress_bar()
    assert len(bars) == 1
    assert isinstance(bars[0], TQDMProgressBar)
    assert nnfw_lightning.progress_bar()[0] is not bars[0], "a new callback on every call"


def test_every_ignored_warning_says_why():
    for pattern, category, why in nnfw_lightning.IGNORED_WARNINGS:
        assert pattern.startswith(".*"), pattern
        assert pattern.endswith(".*"), pattern
        assert issubclass(category, Warning)
        assert len(why) > 20, f"say why {pattern!r} does not apply"
