"""The readable summary (``results.md``) of a ``results.json`` report.

Every figure is shown as ``median [p5–p95] n=N`` (or the IQR where stated); ratios are ratios
of medians measured in the same run.
"""

from __future__ import annotations

from typing import Any


def _num(x: Any, digits: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "**no**"
    if isinstance(x, int | float):
        return f"{x:.{digits}g}"
    return str(x)


def _fig(s: dict[str, Any] | None, digits: int = 3) -> str:
    """``median [p5–p95] n=N`` of a :func:`benchmarks.stats.summarize` dict."""
    if not s or s.get("median") is None:
        return "–"
    spread = f" [{_num(s['p5'], digits)}–{_num(s['p95'], digits)}]" if s["n"] > 1 else ""
    return f"{_num(s['median'], digits)}{spread} n={s['n']}"


def _load(section: dict[str, Any]) -> str:
    before, after = section.get("load_average_before"), section.get("load_average_after")
    fmt = "/".join
    b = fmt(_num(x) for x in before) if before else "?"
    a = fmt(_num(x) for x in after) if after else "?"
    return f"_load average (1/5/15 min) before {b}, after {a}; section took {_num(section.get('section_wall_s'))} s_"


def _fill(s: dict[str, Any]) -> list[str]:
    lines = [
        f"Source: {s['source']} — {s['tumour_slices']} tumour slices, fills cycle over them; "
        f"default-model crop size {_fig(s['crop_px_of_default_model'])} px.",
        "",
        "| configuration | wall ms: p50 | p95 | IQR | CPU ms p50 | n | p50 by crop size |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, f in s["fills"].items():
        w, c = f["wall_ms"], f["cpu_ms"]
        lines.append(
            f"| {name} (torch threads {f['torch_threads']}) | **{_num(w['median'])}** | "
            f"{_num(w['p95'])} | {_num(w['q1'])}–{_num(w['q3'])} | "
            f"{_num(c['median'])} | {w['n']} | {_by_crop(f)} |"
        )
    lines += [
        "",
        "Paired ratios (same slice, adjacent in time; median [p5–p95]): "
        + "; ".join(f"{k} = **{_fig(v)}**" for k, v in s["paired_ratios"].items()),
        "",
    ]
    g = s["goal"]
    lines.append(
        f"Goal: default model (flips={g['default_flips']}) p50 ≤ {_num(g['p50_ms_max'])} ms → "
        f"{_num(g['default_p50_ms'])} ms, met: {_num(g['met'])}."
    )
    return lines


def _by_crop(f: dict[str, Any]) -> str:
    parts = f.get("wall_ms_by_crop", {})
    return ", ".join(f"{k}: {_num(v['median'])} (n={v['n']})" for k, v in parts.items())


def _train(s: dict[str, Any]) -> list[str]:
    lines = [
        f"Data: {s['data']}; device {s['device']}, batch {s['batch_size']}.",
        "",
        "| configuration | it/s | s/it (median) | runs × steps |",
        "|---|---|---|---|",
    ]
    for key in ("default (crop) cpu", "default (crop) cpu, 1 thread", "paper cpu"):
        if key not in s:
            continue
        t = s[key]
        med = t["it_per_s"]["median"]
        lines.append(
            f"| {key} | **{_fig(t['it_per_s'])}** | {_num(1 / med if med else None)} | "
            f"{t['runs']} × {t['steps_per_run']} |"
        )
    g = s["cuda measured elsewhere"]
    lines.append(
        f"| default (crop), CUDA — {g['status']} | {g['it_per_s']} (batch "
        f"{g['batch_size']}, {g['precision']}, {g['device']}, {g['data_loading']}) | – | "
        f"source: `{g['source']}` |"
    )
    ratios = s["ratios_of_medians"].items()
    lines += [
        "",
        "Ratios of medians (same run): " + "; ".join(f"{k} = **{_num(v)}×**" for k, v in ratios),
    ]
    return lines


def _loading(s: dict[str, Any]) -> list[str]:
    lines = [
        "| input | load_volume s | bare read s | ratio (per-repeat) | goal ≤ 1.3× |",
        "|---|---|---|---|---|",
    ]
    for name, r in s.items():
        if not isinstance(r, dict) or "ratio" not in r:
            if isinstance(r, dict) and "skipped" in r:
                lines.append(f"| {name} | skipped: {r['skipped']} | | | |")
            continue
        secs = list(r["seconds"].items())
        bare = "; ".join(f"{k}: {_fig(v)}" for k, v in secs[1:])
        lines.append(
            f"| {name} | {_fig(secs[0][1])} | {bare} | **{_fig(r['ratio'])}** | "
            f"{_num(r['ratio']['met'])} |"
        )
    return lines


def _synthesis(s: dict[str, Any]) -> list[str]:
    lines = [
        f"Inputs: {s['inputs']}; {s['count_per_run']} items per run, format {s['format']}, "
        f"--workers {s['workers']}, device {s['device']}.",
        "",
        "| filler | steady items/s | per-item s | end-to-end items/s (incl. start-up) |",
        "|---|---|---|---|",
    ]
    for name, f in s["fillers"].items():
        lines.append(
            f"| {name} | **{_num(f['steady_items_per_s'])}** | "
            f"{_fig(f['per_item_seconds'])} | {_fig(f['end_to_end_items_per_s'])} |"
        )
    return lines


def _gui(s: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    launch = s.get("launch", {})
    if "error" in launch:
        lines.append(f"Launch: not measured ({launch['error']}).")
    elif launch:
        cold = launch["cold_cache_first_launch"]
        lines.append(
            f"Launch to first painted case (`{launch['command']}`): "
            f"**{_fig(launch['first_paint_s'])} s** (CPU {_fig(launch['first_paint_cpu_s'])} s); "
            f"first launch with a cold demo cache {_num(cold['first_paint_s'])} s."
        )
    brush = s.get("brush_release", {})
    if "error" in brush:
        lines.append(f"Brush release: not measured ({brush['error']}).")
    elif brush:
        lines += [
            "",
            f"Brush release → fill on screen ({brush['case']}, filler {brush['filler']}, "
            f"{brush['worker']}):",
            "",
            "| debounce | release → fill on screen ms | release → result in document ms |",
            "|---|---|---|",
        ]
        for key, b in brush.items():
            if isinstance(b, dict) and "release_to_fill_on_screen_ms" in b:
                lines.append(
                    f"| {key} | **{_fig(b['release_to_fill_on_screen_ms'])}** | "
                    f"{_fig(b['release_to_fill_result_ms'])} |"
                )
    return lines


def _io_memory(s: dict[str, Any]) -> list[str]:
    return [
        f"`load_volume` of a {'×'.join(map(str, s['shape']))} int16 `.nii` "
        f"({s['array_mib']} MiB): peak RSS growth {s['peak_rss_growth_x_array']}× the array, "
        f"{s['load_seconds']} s (one run, fresh process; `benchmarks/io_loading.py`)."
    ]


RENDERERS = {
    "fill": ("Live fill latency (`Filler.fill`)", _fill),
    "train": ("Training throughput", _train),
    "loading": ("Loading", _loading),
    "io_memory": ("Loading memory", _io_memory),
    "synthesis": ("Batch synthesis", _synthesis),
    "gui": ("Desktop app", _gui),
}


def render_markdown(report: dict[str, Any]) -> str:
    """Markdown summary of a whole report."""
    m = report["machine"]
    lines = [
        "# LiverSynth benchmark results",
        "",
        f"`{report['command']}` — started {report['started_utc']}.",
        "",
        f"Machine: {m['cpu_model']}, {m['usable_cpus']} usable CPUs, {m['memory_gib']} GiB, "
        f"torch {m['versions'].get('torch')} with {m['torch_threads']} threads, "
        f"Python {m['versions'].get('python')}, CUDA available: {m['cuda_available']}. "
        "The machine may be shared with other work: load averages are given per "
        "section; compare figures within a run (ratios), not across runs.",
    ]
    if report.get("quick"):
        lines += ["", "**--quick run: tiny sizes, figures are meaningless (harness check).**"]
    for note in report.get("notes", []):
        lines += ["", f"Note: {note}"]
    for name, section in report["sections"].items():
        title, render = RENDERERS.get(name, (name, None))
        lines += ["", f"## {title}", ""]
        if "error" in section:
            lines.append(f"Failed: `{section['error']}`")
        elif render is not None:
            try:
                lines += render(section)
            except (KeyError, TypeError, ZeroDivisionError) as err:
                lines.append(f"(cannot render: {type(err).__name__}: {err}; see the JSON)")
        lines += ["", _load(section)]
    return "\n".join(lines) + "\n"
