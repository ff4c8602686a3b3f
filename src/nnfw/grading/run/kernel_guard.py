"""The guard's kernel side: runs inside the learner's kernel, before any learner code.

:func:`install` is called by the grader's hidden preamble cell
(:func:`nnfw.grading.run.guard.preamble_source`), which executes this file's source in a
private namespace (it is not imported, so it is not in ``sys.modules``). It imports the
modules the tests use, snapshots the genuine objects (see :mod:`nnfw.grading.run.guard` for
the list), and registers two IPython event hooks:

``pre_run_cell``
    on the guard cell before each graded test (its source is ``mark``): restore every
    genuine object, drop learner hooks and transformers added since, set aside learner names
    that shadow builtins, and print a verdict signed with ``secret`` (HMAC-SHA256):
    ``nnfw-guard N MAC ok`` or ``nnfw-guard N MAC tampered: ...``;
``post_run_cell``
    after the test cell, give the set-aside names back.

The state (snapshots, the secret) lives in the closures of those hooks. The trusted side
checks each verdict (:func:`nnfw.grading.run.guard.merge_back`).
"""

from __future__ import annotations

import builtins
import hmac
import importlib
import sys
import threading
import types
from typing import Any


def install(
    secret: bytes, imports: list[str], reimports: list[str], mark: str, shell: Any = None
) -> dict[str, Any]:
    """Snapshot the genuine objects and register the hooks; print verdict 0.

    ``shell`` is the IPython shell (default: the running one). Returns the guard's state
    (for tests; the kernel's copy is kept only by the hooks).
    """
    for _name in imports:
        try:
            importlib.import_module(_name)
        except Exception:  # noqa: BLE001, S110 - a module the kernel lacks is not watched
            pass

    from IPython import get_ipython

    _ip = shell if shell is not None else get_ipython()
    _FULL = (
        "numpy",
        "nnfw",
        "math",
        "cmath",
        "operator",
        "functools",
        "IPython",
        "ipykernel",
        "jupyter_client",
        "zmq",
        "traitlets",
        "comm",
        "importlib",
        "hmac",
        "hashlib",
        "types",
    )
    _TOP = ("torch", "torch.testing", "torch.nn.functional", "tensorflow")
    _CLASS_PREFIXES = ("nnfw", "IPython", "ipykernel", "jupyter_client", "zmq", "traitlets", "comm")
    _Mod = types.ModuleType

    def _watched(name):
        return (
            name in _TOP
            or name in _FULL
            or name.startswith((*(p + "." for p in _FULL), "tensorflow._api.v2."))
        )

    def _callables(ns):
        out = {}
        for key, value in list(ns.items()):
            if callable(value) and not isinstance(value, _Mod):
                code = (
                    getattr(value, "__code__", None)
                    if isinstance(value, types.FunctionType)
                    else None
                )
                out[key] = (value, code)
        return out

    _builtins_snap = {
        k: v
        for k, v in builtins.__dict__.items()
        if type(v) in (types.BuiltinFunctionType, type) and k not in ("input", "display")
    }
    _modules = {n: m for n, m in list(sys.modules.items()) if isinstance(m, _Mod) and _watched(n)}
    _mod_snap = {n: _callables(vars(m)) for n, m in _modules.items()}
    # torch's top level is patched by torch itself (torch._dynamo wraps torch.manual_seed, ...):
    # there, only the functions tests rely on are checked
    _TORCH = (
        "allclose",
        "isclose",
        "equal",
        "is_tensor",
        "is_floating_point",
        "tensor",
        "as_tensor",
        "from_numpy",
        "zeros",
        "ones",
        "zeros_like",
        "ones_like",
        "full",
        "eye",
        "arange",
        "all",
        "any",
        "abs",
        "isfinite",
        "isnan",
        "max",
        "min",
        "sum",
        "mean",
        "argmax",
        "stack",
        "cat",
        "exp",
        "log",
        "sqrt",
        "diagonal",
        "randn",
        "rand",
        "randint",
        "Tensor",
        "Generator",
        "no_grad",
        "equal",
        "where",
        "clone",
        "numel",
    )
    if "torch" in _mod_snap:
        _mod_snap["torch"] = {k: v for k, v in _mod_snap["torch"].items() if k in _TORCH}
    _classes = {}
    for _n in _modules:
        for _v, _c in _mod_snap[_n].values():
            if isinstance(_v, type) and getattr(_v, "__module__", "").startswith(_CLASS_PREFIXES):
                _classes[id(_v)] = _v
    if "torch" in sys.modules:
        _classes[id(sys.modules["torch"].Tensor)] = sys.modules["torch"].Tensor
    _class_snap = {k: (c, _callables(dict(vars(c)))) for k, c in _classes.items()}
    _objects = {
        "the IPython shell": _ip,
        "the kernel": getattr(_ip, "kernel", None),
        "the display publisher": _ip.display_pub,
        "the display hook": _ip.displayhook,
        "IPython's events": _ip.events,
    }
    _objects["the kernel session"] = getattr(_objects["the kernel"], "session", None)
    _obj_snap = {
        k: (o, _callables(dict(getattr(o, "__dict__", {}))))
        for k, o in _objects.items()
        if o is not None
    }
    _stdout, _stderr = sys.stdout, sys.stderr
    _custom = (_ip.custom_exceptions, _ip.CustomTB)
    _lists = {
        "input transformers": _ip.input_transformers_cleanup,
        "input transformers (post)": _ip.input_transformers_post,
        "AST transformers": _ip.ast_transformers,
    }
    _list_snap = {k: list(v) for k, v in _lists.items()}
    _events_snap = {e: list(_ip.events.callbacks[e]) for e in _ip.events.callbacks}
    _state = {"count": -1, "stash": {}, "hold": 0}
    # the C function itself, taken now: a learner who replaces hmac.HMAC's methods or
    # _hashlib's functions later runs no code in, and never sees the secret of, a verdict
    try:
        import _hashlib

        _sign = _hashlib.hmac_digest
    except (ImportError, AttributeError):
        _sign = hmac.digest  # type: ignore[assignment]

    def _check_ns(label, ns, snap, found, setter):
        for key, (value, code) in snap.items():
            now = ns.get(key, _Mod)
            if now is not value:
                found.append(f"{label}.{key} was replaced")
                setter(key, value)
            if code is not None and value.__code__ is not code:
                found.append(f"the code of {label}.{key} was replaced")
                value.__code__ = code

    def _restore():
        found = []
        sys.settrace(None)
        sys.setprofile(None)
        threading.settrace(None)
        if sys.modules.get("builtins") is not builtins:
            found.append("sys.modules['builtins'] was replaced")
            sys.modules["builtins"] = builtins
        bd = builtins.__dict__
        for key, value in _builtins_snap.items():
            if bd.get(key, _Mod) is not value:
                found.append(f"builtins.{key} was replaced")
                bd[key] = value
        for name, module in _modules.items():
            if sys.modules.get(name) is not module:
                found.append(f"sys.modules[{name!r}] was replaced")
                sys.modules[name] = module
            ns = vars(module)
            _check_ns(name, ns, _mod_snap[name], found, ns.__setitem__)
        for cls, snap in _class_snap.values():
            _check_ns(
                cls.__module__ + "." + cls.__qualname__,
                dict(vars(cls)),
                snap,
                found,
                lambda k, v, c=cls: type.__setattr__(c, k, v),
            )
        for label, (obj, snap) in _obj_snap.items():
            ns = getattr(obj, "__dict__", {})
            for key in list(ns):
                if key not in snap and callable(ns[key]) and hasattr(type(obj), key):
                    found.append(f"a method of {label} ({key}) was replaced")
                    del ns[key]
            _check_ns(label, ns, snap, found, ns.__setitem__)
        if sys.stdout is not _stdout or sys.stderr is not _stderr:
            sys.stdout, sys.stderr = _stdout, _stderr
        if (_ip.custom_exceptions, _ip.CustomTB) != _custom:
            found.append("IPython's exception handler was replaced (set_custom_exc)")
            _ip.custom_exceptions, _ip.CustomTB = _custom
        for label, current in _lists.items():
            if list(current) != _list_snap[label]:
                found.append(f"IPython's {label} were changed")
                current[:] = _list_snap[label]
        for event, callbacks in _ip.events.callbacks.items():
            wanted = _events_snap.get(event, [])
            if callbacks != wanted:  # learner hooks could patch before, or read, the test
                callbacks[:] = wanted
        ns = _ip.user_ns
        for statement in reimports:
            genuine = {"__builtins__": builtins}
            try:
                exec(statement, genuine)  # noqa: S102 - the notebook's own import lines
            except Exception:  # noqa: BLE001, S112 - an import that fails is not rebound
                continue
            for name, value in genuine.items():
                if name != "__builtins__":
                    if name in ns and ns[name] is not value:
                        found.append(f"{name} (imported by the notebook) was rebound")
                    ns[name] = value
        if ns.get("__builtins__") is not builtins:
            found.append("__builtins__ was replaced")
            ns["__builtins__"] = builtins
        stash = {}
        for key in list(ns):
            if (
                key in _builtins_snap
                and not key.startswith("_")
                and ns[key] is not _builtins_snap[key]
            ):
                stash[key] = ns.pop(key)
        _state["stash"] = stash
        return found

    def _verdict(found):
        _state["count"] += 1
        status = "ok" if not found else "tampered: " + "; ".join(sorted(set(found)))[:2000]
        text = f"{_state['count']} {status}"
        mac = _sign(secret, text.encode(), "sha256").hex()[:32]
        _stdout.write(f"nnfw-guard {_state['count']} {mac} {status}\n")
        _stdout.flush()

    def _pre_run_cell(info):
        if (getattr(info, "raw_cell", "") or "").strip() == mark:
            _verdict(_restore())
            _state["hold"] = 2  # the guard cell and the test cell after it

    def _post_run_cell(result):
        if _state["stash"]:
            _state["hold"] -= 1
            if _state["hold"] <= 0:
                ns = _ip.user_ns
                for key, value in _state["stash"].items():
                    ns.setdefault(key, value)
                _state["stash"] = {}

    _ip.events.register("pre_run_cell", _pre_run_cell)
    _ip.events.register("post_run_cell", _post_run_cell)
    _events_snap = {e: list(_ip.events.callbacks[e]) for e in _ip.events.callbacks}
    _verdict([])
    return _state
