"""``python -m liversynth_gui [VOLUME] [--labels LABELS] [--model CKPT]`` — the desktop app.

With no arguments it opens the demo phantom and the bundled model (falling back to the
``biharmonic`` filler, with a note, when the model file is missing). Heavy imports (torch, the
model) happen in a worker thread after the window shows, so the case appears quickly.
"""

from __future__ import annotations

import sys

from liversynth_gui.launch import LaunchConfig, parse_args, seconds_since_process_start

__all__ = ["LaunchConfig", "main", "parse_args", "seconds_since_process_start"]


def main(argv: list[str] | None = None) -> int:
    """Run the app; returns the exit code."""
    config = parse_args(argv)
    # Qt and pyqtgraph are imported only now, so --help stays instant.
    from liversynth.authoring.opening import default_cache_dir
    from liversynth_gui.app import make_app
    from liversynth_gui.main_window import MainWindow, WindowOptions
    from liversynth_gui.startup import Startup

    app = make_app(sys.argv[:1])
    if config.quiz is not None:
        from liversynth_gui.teaching.launch import run_quiz_app

        return run_quiz_app(config.quiz, trainee=config.trainee, review=config.review)
    window = MainWindow(WindowOptions(cache_dir=default_cache_dir()))
    startup = Startup(window, config, seconds_since_process_start)
    window.show()
    startup.begin()
    code = app.exec()
    window.files.shutdown()  # idempotent; covers a quit that bypassed closeEvent
    return startup.exit_code if startup.exit_code is not None else int(code)


if __name__ == "__main__":
    sys.exit(main())
