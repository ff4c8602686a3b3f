import pytest

from nnfw import cli, device
from nnfw.cli.exitcode import ExitCode


def test_doctor_prints_versions_and_devices(capsys):
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    for name in ("python", "torch", "tensorflow", "keras", "lightning", "nbgrader", "nbval"):
        assert f"  {name}" in out
    assert "devices:" in out
    assert "all set" in out


def test_doctor_reports_missing_packages(capsys, monkeypatch):
    real = device._versions

    def without_nbval():
        found = real()
        found["nbval"] = None
        return found

    monkeypatch.setattr(device, "_versions", without_nbval)
    monkeypatch.setattr(device, "describe", lambda: device.DeviceReport("3.11", "x", []))
    assert cli.main(["doctor"]) == ExitCode.PROBLEM
    captured = capsys.readouterr()
    assert "nbval         NOT INSTALLED" in captured.out
    assert "missing: nbval" in captured.err


def test_no_command_prints_help(capsys):
    assert cli.main([]) == ExitCode.USAGE
    assert "doctor" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys):
    assert cli.main(["grade-everything"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("nnfw ")


@pytest.mark.slow
def test_console_script_is_installed():
    import shutil
    import subprocess

    exe = shutil.which("nnfw")
    assert exe, "the `nnfw` console script is not on PATH; install with pip install -e ."
    result = subprocess.run(
        [exe, "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0
    assert "doctor" in result.stdout
