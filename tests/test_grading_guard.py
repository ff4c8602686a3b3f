"""The guard's kernel side (:mod:`nnfw.grading.run.kernel_guard`), in-process, in a private shell.

Each test gets a fresh ``InteractiveShell`` (not the singleton), installs the guard in it,
runs "learner" cells that tamper with genuine objects, then the guard cell, and reads the
signed verdicts from stdout. Whatever a test tampers with is also put back by ``monkeypatch``
at teardown, so a guard that fails to restore something cannot break the tests after it.
The guard's ``sys.settrace(None)`` & co. are recorded, not made (they would stop coverage).

The tests marked ``xfail(strict=True)`` are known gaps in the guard (see each reason): most
are learner code that still runs after the guard has restored everything and printed ``ok``.
"""

from __future__ import annotations

import _hashlib
import asyncio
import atexit
import builtins
import contextlib
import hmac
import io
import sys
import threading
import types
from collections.abc import Iterator
from typing import Any

import numpy
import pytest
from IPython.core.interactiveshell import InteractiveShell
from nbformat.notebooknode import NotebookNode
from traitlets.config import Config

import nnfw.checks
from nnfw.grading.run import guard, kernel_guard

SECRET = "unit-test secret"
MARK = guard.GUARD_MARK
GUARD_CELL = MARK + "\n"  # as add_hidden_cells writes it
IMPORTS = ["numpy", "nnfw.checks"]
REIMPORTS = ["import numpy as np"]
FAKE_ALLCLOSE = "import numpy\nnumpy.allclose = lambda *args, **kwargs: True\n"


def _mac(text: str, secret: str = SECRET) -> str:
    return guard._mac(secret, text)


def _line(count: int, status: str, secret: str = SECRET) -> str:
    return f"nnfw-guard {count} {_mac(f'{count} {status}', secret)} {status}\n"


def verdicts(stdout: str) -> dict[int, str]:
    """The verdicts the trusted side accepts in ``stdout`` (guard._verdicts, as merge_back)."""
    output = NotebookNode(output_type="stream", name="stdout", text=stdout)
    return guard._verdicts(NotebookNode(outputs=[output]), SECRET)


def protect(monkeypatch: pytest.MonkeyPatch, target: Any, *names: str) -> None:
    """Have ``monkeypatch`` put ``target.<name>`` back at teardown, whatever happens to it."""
    for name in names:
        monkeypatch.setattr(target, name, getattr(target, name))


class Kernel:
    """A private shell; ``run`` returns what a cell printed to stdout.

    Cells run with the Kernel's own streams: the guard keeps the streams it was installed
    with and puts them back, and pytest's capture changes its own between a test's phases.
    """

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        self.stdout, self.stderr = io.StringIO(), io.StringIO()
        self.result: Any = None
        self.state: dict[str, Any] = {}

    @contextlib.contextmanager
    def streams(self) -> Iterator[None]:
        with contextlib.redirect_stdout(self.stdout), contextlib.redirect_stderr(self.stderr):
            yield

    def _read(self) -> str:
        text = self.stdout.getvalue()
        self.stdout.seek(0)
        self.stdout.truncate()
        return text

    def install(self, imports: list[str] = IMPORTS, reimports: list[str] = REIMPORTS) -> str:
        with self.streams():
            self.state = kernel_guard.install(
                SECRET.encode(), imports, reimports, MARK, shell=self.shell
            )
        return self._read()

    def run(self, source: str) -> str:
        with self.streams():
            self.result = self.shell.run_cell(source)
        return self._read()

    def run_async(self, source: str) -> str:
        """Run a cell the way ipykernel runs one with top-level ``await``."""
        transformed = self.shell.transform_cell(source)
        with self.streams():
            self.result = asyncio.run(
                self.shell.run_cell_async(source, transformed_cell=transformed)
            )
        return self._read()

    def guard(self) -> dict[int, str]:
        return verdicts(self.run(GUARD_CELL))


@pytest.fixture(autouse=True)
def trace_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Record the guard's ``settrace``/``setprofile`` calls instead of making them.

    The guard clears trace and profile functions (a learner's tracer could watch or patch the
    test); in this process that would also switch off coverage measurement.
    """
    calls: list[tuple[str, Any]] = []
    for module, name in ((sys, "settrace"), (sys, "setprofile"), (threading, "settrace")):
        label = f"{module.__name__}.{name}"
        monkeypatch.setattr(module, name, lambda func, label=label: calls.append((label, func)))
    return calls


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    """A fresh, private IPython shell; what creating one changes globally is undone."""
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)  # no virtualenv warning
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    added = ("__IPYTHON__", "display")
    had = {k: builtins.__dict__[k] for k in added if k in builtins.__dict__}
    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"  # plain tracebacks
    ip = InteractiveShell(config=config)
    atexit.unregister(ip.atexit_operations)
    yield ip
    for key in added:
        if key in had:
            builtins.__dict__[key] = had[key]
        else:
            builtins.__dict__.pop(key, None)


@pytest.fixture
def kernel(shell: InteractiveShell) -> Kernel:
    """The shell with the guard installed as the tests' kernels have it."""
    k = Kernel(shell)
    assert k.install() == _line(0, "ok")
    return k


# -- verdicts -------------------------------------------------------------------------------


def test_install_prints_verdict_0_signed_with_the_secret(shell) -> None:
    kernel = Kernel(shell)
    assert kernel.install() == _line(0, "ok")
    assert kernel.state == {"count": 0, "stash": {}, "hold": 0}


def test_honest_cells_then_the_guard_give_a_signed_ok(kernel, trace_calls) -> None:
    assert kernel.run("x = sum([1, 2])\nprint(x)") == "3\n"
    assert kernel.run(GUARD_CELL) == _line(1, "ok")
    assert trace_calls == [
        ("sys.settrace", None),
        ("sys.setprofile", None),
        ("threading.settrace", None),
    ]
    assert kernel.run("print(np.allclose(x, 3.0))") == "True\n"  # np bound by the reimport
    assert kernel.guard() == {2: "ok"}
    assert kernel.state["count"] == 2


def test_only_a_cell_that_is_exactly_the_mark_is_a_guard(kernel) -> None:
    assert kernel.run(MARK + "\nprint('learner')") == "learner\n"
    assert kernel.run("# nnfw: integrity check") == ""
    assert kernel.run(f"\n  {MARK}  \n\n") == _line(1, "ok")


def test_a_verdict_forged_without_the_secret_is_rejected(kernel, monkeypatch) -> None:
    protect(monkeypatch, numpy, "allclose")
    kernel.run(FAKE_ALLCLOSE)
    genuine = kernel.run(GUARD_CELL)
    status = "tampered: numpy.allclose was replaced"
    assert genuine == _line(1, status)
    assert verdicts(genuine) == {1: status}
    mac = genuine.split()[2]
    assert verdicts(f"nnfw-guard 1 {mac} ok\n") == {}  # the status edited, its MAC kept
    assert verdicts(f"nnfw-guard 2 {_mac('1 ok')} ok\n") == {}  # a MAC replayed for another count
    assert verdicts(f"nnfw-guard 1 {'0' * 32} ok\n") == {}
    assert verdicts(_line(1, "ok", secret="a guessed secret")) == {}
    assert verdicts(_line(1, "ok")) == {1: "ok"}


# -- genuine objects: named and restored ---------------------------------------------------


def test_a_replaced_numpy_function_is_named_and_restored(kernel, monkeypatch) -> None:
    genuine = numpy.allclose
    protect(monkeypatch, numpy, "allclose")
    kernel.run(FAKE_ALLCLOSE)
    assert numpy.allclose is not genuine
    assert kernel.guard() == {1: "tampered: numpy.allclose was replaced"}
    assert numpy.allclose is genuine
    assert kernel.run("print(numpy.allclose(1.0, 2.0))") == "False\n"
    assert kernel.guard() == {2: "ok"}


def test_several_findings_are_sorted_and_a_deleted_function_is_put_back(
    kernel, monkeypatch
) -> None:
    protect(monkeypatch, numpy, "allclose", "isclose")
    kernel.run(FAKE_ALLCLOSE + "del numpy.isclose\n")
    assert kernel.guard() == {
        1: "tampered: numpy.allclose was replaced; numpy.isclose was replaced"
    }
    assert kernel.run("print(numpy.isclose(1.0, 1.0))") == "True\n"


def test_replaced_code_of_a_function_is_named_and_restored(kernel, monkeypatch) -> None:
    func = nnfw.checks.assert_close
    code = func.__code__
    protect(monkeypatch, func, "__code__")
    kernel.run(
        "import nnfw.checks\nnnfw.checks.assert_close.__code__ = (lambda *a, **k: None).__code__"
    )
    assert func.__code__ is not code
    assert kernel.guard() == {1: "tampered: the code of nnfw.checks.assert_close was replaced"}
    assert func.__code__ is code
    with pytest.raises(AssertionError):
        func(1.0, 2.0)


def test_a_replaced_function_whose_code_was_replaced_too_is_fully_restored(
    kernel, monkeypatch
) -> None:
    func = nnfw.checks.assert_close
    code = func.__code__
    protect(monkeypatch, func, "__code__")
    protect(monkeypatch, nnfw.checks, "assert_close")
    kernel.run(
        "import nnfw.checks\nf = nnfw.checks.assert_close\n"
        "f.__code__ = (lambda *a, **k: None).__code__\nnnfw.checks.assert_close = print"
    )
    assert kernel.guard() == {
        1: "tampered: nnfw.checks.assert_close was replaced; "
        "the code of nnfw.checks.assert_close was replaced"
    }
    assert nnfw.checks.assert_close is func
    assert func.__code__ is code


def test_a_replaced_builtin_is_named_and_restored(kernel, monkeypatch) -> None:
    genuine = builtins.isinstance
    protect(monkeypatch, builtins, "isinstance")
    kernel.run(
        "import builtins\n_real = builtins.isinstance\n"
        "builtins.isinstance = lambda obj, cls: _real(obj, cls)"
    )
    assert builtins.isinstance is not genuine
    assert kernel.guard() == {1: "tampered: builtins.isinstance was replaced"}
    assert builtins.isinstance is genuine


def test_replaced_builtins_module_and_namespace_builtins_are_restored(kernel, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "builtins", builtins)
    kernel.run(
        "import sys, types\nsys.modules['builtins'] = types.ModuleType('builtins')\n"
        "__builtins__ = {'len': lambda obj: 0}"
    )
    assert kernel.guard() == {
        1: "tampered: __builtins__ was replaced; sys.modules['builtins'] was replaced"
    }
    assert sys.modules["builtins"] is builtins
    assert kernel.shell.user_ns["__builtins__"] is builtins


def test_a_replaced_sys_modules_entry_is_restored_before_the_reimports(shell, monkeypatch):
    monkeypatch.setitem(sys.modules, "nnfw.checks", nnfw.checks)
    kernel = Kernel(shell)
    assert kernel.install(reimports=["from nnfw.checks import assert_close"]) == _line(0, "ok")
    kernel.run(
        "import sys, types\nfake = types.ModuleType('nnfw.checks')\n"
        "fake.assert_close = lambda *a, **k: None\nsys.modules['nnfw.checks'] = fake"
    )
    assert kernel.guard() == {1: "tampered: sys.modules['nnfw.checks'] was replaced"}
    assert sys.modules["nnfw.checks"] is nnfw.checks
    assert kernel.shell.user_ns["assert_close"] is nnfw.checks.assert_close


def test_a_method_patched_onto_the_shell_or_its_class_is_removed(kernel, monkeypatch) -> None:
    protect(monkeypatch, InteractiveShell, "showtraceback")
    genuine = InteractiveShell.__dict__["showtraceback"]
    kernel.run(
        "ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\n"
        "type(ip).showtraceback = lambda *a, **k: None"
    )
    assert kernel.guard() == {
        1: "tampered: IPython.core.interactiveshell.InteractiveShell.showtraceback was replaced; "
        "a method of the IPython shell (showtraceback) was replaced"
    }
    assert "showtraceback" not in vars(kernel.shell)
    assert InteractiveShell.__dict__["showtraceback"] is genuine


def test_torch_only_the_functions_tests_use_and_tensor_methods_are_watched(
    shell, monkeypatch
) -> None:
    torch = types.ModuleType("torch")
    tensor = type("Tensor", (), {"__module__": "torch", "allclose": lambda self, other: False})
    torch.Tensor = tensor
    torch.allclose = lambda a, b: False
    torch.manual_seed = lambda seed: None
    monkeypatch.setitem(sys.modules, "torch", torch)
    kernel = Kernel(shell)
    assert kernel.install() == _line(0, "ok")
    kernel.run(
        "import torch\ntorch.manual_seed = print\ntorch.allclose = lambda *a: True\n"
        "torch.Tensor.allclose = lambda *a: True"
    )
    assert kernel.guard() == {
        1: "tampered: torch.Tensor.allclose was replaced; torch.allclose was replaced"
    }
    assert torch.manual_seed is print  # torch patches its own top level: not watched
    assert kernel.run("print(torch.allclose(1, 2), torch.Tensor().allclose(2))") == "False False\n"


def test_replaced_stdout_is_put_back_and_the_verdict_still_reaches_it(kernel) -> None:
    with kernel.streams():
        kernel.shell.run_cell("import io, sys\nsys.stdout = sys.stderr = io.StringIO()")
        assert sys.stdout is not kernel.stdout
        kernel.shell.run_cell(GUARD_CELL)
        assert sys.stdout is kernel.stdout
        assert sys.stderr is kernel.stderr
    assert verdicts(kernel.stdout.getvalue()) == {1: "ok"}


# -- names in the user namespace -----------------------------------------------------------


def test_a_name_shadowing_a_builtin_is_set_aside_for_the_test_cell_only(kernel) -> None:
    kernel.run("len = lambda obj: 0")
    learner_len = kernel.shell.user_ns["len"]
    assert kernel.guard() == {1: "ok"}
    assert "len" not in kernel.shell.user_ns
    assert kernel.state["stash"]["len"] is learner_len
    assert kernel.run("print(len([1, 2, 3]))") == "3\n"  # the test cell: genuine len
    assert kernel.state["stash"] == {}
    assert kernel.shell.user_ns["len"] is learner_len  # given back after it
    assert kernel.run("print(len([1, 2, 3]))") == "0\n"


def test_a_builtin_name_the_test_cell_binds_itself_is_kept(kernel) -> None:
    kernel.run("max = lambda *args: 'learner'")
    assert kernel.guard() == {1: "ok"}
    kernel.run("max = 'test cell'")
    assert kernel.shell.user_ns["max"] == "test cell"


def test_a_rebound_notebook_import_is_named_and_bound_again(kernel) -> None:
    kernel.run("import numpy as np\nnp = 'not numpy'")
    assert kernel.guard() == {1: "tampered: np (imported by the notebook) was rebound"}
    assert kernel.shell.user_ns["np"] is numpy


def test_imports_that_fail_are_skipped(shell) -> None:
    kernel = Kernel(shell)
    out = kernel.install(
        imports=["numpy", "nnfw_no_such_module"],
        reimports=["import nnfw_no_such_module as gone", "import numpy as np"],
    )
    assert out == _line(0, "ok")
    assert kernel.guard() == {1: "ok"}
    assert "gone" not in kernel.shell.user_ns
    assert kernel.shell.user_ns["np"] is numpy


# -- IPython hooks -------------------------------------------------------------------------


def test_a_custom_exception_handler_is_named_and_removed(kernel) -> None:
    kernel.run("get_ipython().set_custom_exc((AssertionError,), lambda *args, **kwargs: None)")
    assert kernel.run("assert False, 'swallowed'") == ""
    assert kernel.guard() == {
        1: "tampered: IPython's exception handler was replaced (set_custom_exc); "
        "the IPython shell.CustomTB was replaced"
    }
    assert kernel.shell.custom_exceptions == ()
    assert "AssertionError: test failed" in kernel.run("assert False, 'test failed'")


def test_added_input_and_ast_transformers_are_named_and_removed(kernel) -> None:
    cleanup = list(kernel.shell.input_transformers_cleanup)
    kernel.run(
        "import ast\nip = get_ipython()\n"
        "ip.input_transformers_cleanup.append(lambda lines: ['print(\"rewritten\")\\n'])\n"
        "ip.ast_transformers.append(ast.NodeTransformer())"
    )
    assert kernel.run("print('test')") == "rewritten\n"
    assert kernel.guard() == {
        1: "tampered: IPython's AST transformers were changed; "
        "IPython's input transformers were changed"
    }
    assert kernel.shell.input_transformers_cleanup == cleanup
    assert kernel.shell.ast_transformers == []
    assert kernel.run("print('test')") == "test\n"


def test_an_added_pre_run_cell_callback_is_removed(kernel) -> None:
    before = {e: list(c) for e, c in kernel.shell.events.callbacks.items()}
    kernel.run("seen = []\nget_ipython().events.register('pre_run_cell', seen.append)")
    kernel.run("pass")
    assert len(kernel.shell.user_ns["seen"]) == 1
    assert kernel.guard() == {1: "ok"}  # removed, not named (libraries register callbacks too)
    assert kernel.shell.events.callbacks == before
    kernel.run("seen.clear()")
    assert kernel.shell.user_ns["seen"] == []


# -- known ways past the guard -------------------------------------------------------------


@pytest.mark.xfail(
    strict=True,
    reason="kernel_guard._restore resets the pre_run_cell list in place, but IPython's "
    "EventManager.trigger iterates over a copy taken before the guard's hook ran: a callback "
    "registered after the guard's still runs in the guard cell, after the restore and the ok",
)
def test_a_learner_pre_run_cell_callback_cannot_patch_after_the_guard(kernel, monkeypatch) -> None:
    protect(monkeypatch, numpy, "allclose")
    kernel.run(
        "import numpy\ndef patch(info):\n    numpy.allclose = lambda *args, **kwargs: True\n"
        "get_ipython().events.register('pre_run_cell', patch)"
    )
    assert kernel.guard() == {1: "ok"}
    assert kernel.run("print(numpy.allclose(1.0, 2.0))") == "False\n"


@pytest.mark.xfail(
    strict=True,
    reason="IPython transforms a cell before pre_run_cell, and the guard cell's transformed "
    "code runs after the restore; input_transformer_manager.line_transforms (unlike "
    "input_transformers_cleanup/_post) is not snapshotted, so a learner line transform can "
    "append code to the guard cell",
)
def test_a_learner_line_transform_cannot_patch_after_the_guard(kernel, monkeypatch) -> None:
    protect(monkeypatch, numpy, "allclose")
    kernel.run(
        "def patch(lines):\n"
        "    return lines + ['import numpy; numpy.allclose = lambda *a, **k: True\\n']\n"
        "get_ipython().input_transformer_manager.line_transforms.append(patch)"
    )
    assert kernel.guard() == {1: "ok"}
    assert kernel.run("print(numpy.allclose(1.0, 2.0))") == "False\n"


def test_a_replaced_hmac_method_cannot_patch_after_the_guard(kernel, monkeypatch) -> None:
    protect(monkeypatch, hmac.HMAC, "hexdigest")
    protect(monkeypatch, numpy, "allclose")
    kernel.run(
        "import hmac, numpy\n_hexdigest = hmac.HMAC.hexdigest\n"
        "def hexdigest(self):\n    numpy.allclose = lambda *a, **k: True\n"
        "    return _hexdigest(self)\nhmac.HMAC.hexdigest = hexdigest"
    )
    assert kernel.guard() == {1: "ok"}
    assert kernel.run("print(numpy.allclose(1.0, 2.0))") == "False\n"


def test_the_secret_does_not_reach_learner_code(kernel, monkeypatch) -> None:
    protect(monkeypatch, _hashlib, "hmac_new")
    kernel.run(
        "import _hashlib\n_hmac_new = _hashlib.hmac_new\nkeys = []\n"
        "def hmac_new(key, *args, **kwargs):\n    keys.append(key)\n"
        "    return _hmac_new(key, *args, **kwargs)\n_hashlib.hmac_new = hmac_new"
    )
    kernel.guard()
    assert SECRET.encode() not in kernel.shell.user_ns["keys"]


@pytest.mark.xfail(
    strict=True,
    reason="the verdict is written with _stdout.write, an attribute of the stream object "
    "learner code can set; IPython's run_cell resets it after each cell (_tee), but a cell "
    "run by run_cell_async (ipykernel does, for top-level await) keeps it",
)
def test_a_learner_stdout_write_cannot_patch_after_the_guard(kernel, monkeypatch) -> None:
    protect(monkeypatch, numpy, "allclose")
    kernel.run_async(
        "import sys, numpy\n_write = sys.stdout.write\n"
        "def write(text):\n    if text.startswith('nnfw-guard'):\n"
        "        numpy.allclose = lambda *a, **k: True\n    return _write(text)\n"
        "sys.stdout.write = write"
    )
    assert kernel.guard() == {1: "ok"}
    assert kernel.run("print(numpy.allclose(1.0, 2.0))") == "False\n"


# -- the preamble --------------------------------------------------------------------------


def test_the_preamble_installs_the_guard_from_the_module_file_privately(shell, monkeypatch) -> None:
    monkeypatch.setattr(InteractiveShell, "_instance", shell)  # get_ipython(), as in a kernel
    monkeypatch.delitem(sys.modules, kernel_guard.__name__)
    kernel = Kernel(shell)
    assert verdicts(kernel.run(guard.preamble_source(SECRET, IMPORTS, REIMPORTS))) == {0: "ok"}
    assert [n for n in sys.modules if "kernel_guard" in n or "nnfw_guard" in n] == []
    assert "_nnfw_guard" not in shell.user_ns
    assert kernel.guard() == {1: "ok"}
    kernel.run("np = None")
    assert kernel.guard() == {2: "tampered: np (imported by the notebook) was rebound"}
