"""LiverSynth benchmarks: ``python -m benchmarks`` times the real work and writes JSON + Markdown.

See ``benchmarks/README.md``. Each ``bench_*.py`` module exposes ``run(ctx) -> dict``.
"""
