"""Every subcommand answers --help, and project errors reach the user as one line."""

from __future__ import annotations

import pytest

from model_training.__main__ import main


@pytest.mark.parametrize("command", ["prepare", "train", "evaluate"])
def test_help_of_every_subcommand(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "--out" in capsys.readouterr().out


def test_top_level_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("prepare", "train", "evaluate"):
        assert command in out


def test_train_help_shows_table1_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for text in ("default 0.0002", "default 0.5", "default 100.0", "default 1.0", "default 10"):
        assert text in out


def test_missing_dataset_is_a_one_line_error(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "run")])
    assert code == 2
    err = capsys.readouterr().err
    assert "error:" in err and "manifest" in err and "Traceback" not in err
