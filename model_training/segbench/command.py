"""``python -m model_training segbench``: run the arms and write the report.

Example (the data at hand; one tumour patient, so the split is by lesion and optimistic)::

    python -m model_training segbench --real ../shared/data/3Dircadb1.1 \\
        --test ../shared/data/3Dircadb1.1 --healthy ../shared/data/3Dircadb1.7 \\
        --filler procedural --preset small --out out/segbench
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import torch

from liversynth.errors import LiverSynthError
from model_training import distributed
from model_training.records import write_json_atomic
from model_training.segbench import cases as cases_mod
from model_training.segbench import config, report, split, synthetic, training
from model_training.segbench.metrics import case_metrics

add_parser = config.add_parser


def _require_monai() -> None:
    try:
        import monai  # noqa: F401
    except ImportError:
        raise LiverSynthError(
            'segbench needs MONAI: pip install -e ".[segbench]" (or pip install "monai>=1.3")'
        ) from None


def _check_out(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(f"{out}: folder is not empty (pass --overwrite to write into it)")


def _load(specs: list[str], cache: dict[str, Any]) -> list[tuple[Any, cases_mod.CaseData]]:
    """``(Case, CaseData)`` of every case under ``specs``; a case named twice is read once."""
    from model_training.prepare import describe, load_item

    out = []
    for item in cases_mod.discover(specs):
        key = describe(item)
        if key not in cache:
            case = load_item(item)
            cache[key] = (case, cases_mod.from_case(case))
        out.append(cache[key])
    return out


def _synthetic_pool(
    args, preset, plan, real_cases, healthy_cases, known_names
) -> tuple[Any, dict[str, Any]]:
    """The synthetic pool and what the report says about it (``None`` pool: no source)."""
    if args.synthetic:
        pool, manifest = synthetic.read_pool(
            Path(args.synthetic),
            pixel_mm=preset.pixel_mm,
            side_px=preset.crop_px + 2 * preset.jitter_px,
        )
        names, bank_ids = synthetic.synthetic_case_names(manifest, known_names)
        info = {
            "source": str(args.synthetic),
            "filler": manifest.get("filler"),
            "items": len(manifest.get("items", [])),
            "slices": len(pool),
            "healthy": names,
            "bank": bank_ids,
        }
        info["summary"] = f"{len(pool)} slices from {args.synthetic} ({info['filler']})"
        return pool, info
    if not healthy_cases:
        return None, {
            "summary": "none (no --healthy and no --synthetic)",
            "bank": [],
            "healthy": [],
        }
    train_cases = [c for c, d in real_cases if d.name in plan.train_z]
    bank = synthetic.training_bank(train_cases, plan.train_lesions)
    pool, records = synthetic.generate_pool(
        [c for c, _ in healthy_cases],
        bank,
        filler_name=args.filler,
        count=preset.synthetic_count,
        seed=args.split_seed,
        contrast_hu=tuple(args.contrast_hu),
        heterogeneity=tuple(args.heterogeneity),
        pixel_mm=preset.pixel_mm,
        side_px=preset.crop_px + 2 * preset.jitter_px,
        model=args.model,
        device="cpu" if args.device == "cpu" else args.device,
    )
    info = {
        "source": "on the fly (model_training.synthesis.item.make_item)",
        "filler": args.filler,
        "model": _model_info(args) if args.filler == "gan" else None,
        "items": len(records),
        "slices": len(pool),
        "contrast_hu_range": list(args.contrast_hu),
        "heterogeneity_range": list(args.heterogeneity),
        "healthy": [d.name for _, d in healthy_cases],
        "bank": [les.lesion_id for les in bank],
        "records": records,
    }
    info["summary"] = (
        f"{len(pool)} items made on the fly with filler `{args.filler}` in "
        f"{', '.join(info['healthy'])}, lesions from a bank of {len(bank)} training lesions"
    )
    return pool, info


def _model_info(args: argparse.Namespace) -> dict[str, str]:
    """File and sha256 of the GAN model (a refit default model changes what it has seen)."""
    import hashlib

    from liversynth.fillers.gan import default_model_path

    path = Path(args.model) if args.model else Path(default_model_path())
    return {"file": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def _sources(arm: str, real, synth, ratio: tuple[float, float], preset) -> list[training.Source]:
    tf = preset.tumour_fraction
    if arm == "real_only":
        return [training.Source(real, 1.0, tf)]
    if arm == "synthetic_only":
        return [training.Source(synth, 1.0, tf)]
    return [training.Source(real, ratio[0], tf), training.Source(synth, ratio[1], tf)]


def run(args: argparse.Namespace) -> int:
    """Run ``segbench``; returns the exit code."""
    _require_monai()
    preset = config.resolve_preset(args)
    if args.threads is not None:
        torch.set_num_threads(max(1, args.threads))
    ratio = config.parse_ratio(args.ratio)
    out = Path(args.out)
    ctx = distributed.DistContext.from_env()
    device = distributed.device_for(ctx, args.device)
    if ctx.is_main:
        _check_out(out, args.overwrite)
    distributed.setup(ctx, device)
    started = time.perf_counter()
    try:
        cache: dict[str, Any] = {}
        real = _load(args.real, cache)
        test = _load(args.test, cache)
        healthy = _load(args.healthy, cache) if args.healthy else []
        plan = split.plan_split([d for _, d in real], [d for _, d in test])
        by_name = {d.name: d for _, d in list(cache.values())}
        side = preset.crop_px + 2 * preset.jitter_px
        real_pool = cases_mod.concat(
            "real",
            [
                cases_mod.stack_pool(n, by_name[n], zs, pixel_mm=preset.pixel_mm, side_px=side)
                for n, zs in plan.train_z.items()
            ],
        )
        test_pools = {
            n: cases_mod.stack_pool(
                n,
                by_name[n],
                zs,
                pixel_mm=preset.pixel_mm,
                side_px=side,
                ignore_components=tuple(plan.ignore.get(n, [])),
            )
            for n, zs in plan.test_z.items()
        }
        arms = list(args.arms)
        synth_pool, synth_info = None, {"summary": "not used", "bank": [], "healthy": []}
        if any(a != "real_only" for a in arms):
            known = [*by_name, *(c.patient_id for c in by_name.values())]
            synth_pool, synth_info = _synthetic_pool(args, preset, plan, real, healthy, known)
            if synth_pool is None:
                arms = [a for a in arms if a == "real_only"]
        split.check_no_leak(
            plan, by_name, bank_ids=synth_info["bank"], synthetic_sources=synth_info["healthy"]
        )
        results: dict[str, list[dict[str, Any]]] = {a: [] for a in arms}
        for arm in arms:
            sources = _sources(arm, real_pool, synth_pool, ratio, preset)
            for seed in range(preset.seeds):
                t0 = time.perf_counter()
                net, curve = training.train(sources, preset, seed, device, ctx)
                seconds = time.perf_counter() - t0
                if not ctx.is_main:
                    continue
                per_case = {}
                for name, pool in test_pools.items():
                    pred = training.predict(net, pool, preset, device)
                    j, s = preset.jitter_px, preset.crop_px
                    centre = (slice(None), slice(j, j + s), slice(j, j + s))
                    per_case[name] = case_metrics(
                        pred,
                        pool.tumour[centre],
                        pool.liver[centre],
                        pool.ignore[centre],
                        pool.spacing_mm,
                    )
                results[arm].append(
                    {
                        "seed": seed,
                        "train_seconds": round(seconds, 2),
                        "curve": curve,
                        "cases": per_case,
                    }
                )
                dice = sum(c["dice"] for c in per_case.values()) / max(len(per_case), 1)
                print(f"{arm} seed {seed}: Dice {dice:.3f} ({seconds:.0f} s)", flush=True)
        if ctx.is_main:
            _write(
                args, out, preset, ratio, plan, real_pool, test_pools, synth_info, results, started
            )
        distributed.barrier(ctx)
    finally:
        distributed.teardown(ctx)
    return 0


def _write(
    args, out, preset, ratio, plan, real_pool, test_pools, synth_info, results, started
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    arms = {a: report.summarise_arm(r) for a, r in results.items() if r}
    command = "python -m model_training " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    if not sys.argv[1:] or sys.argv[1] != "segbench":
        command = "python -m model_training segbench " + _argv_of(args)
    rep = {
        "software": "LiverSynth segbench",
        "command": command,
        "preset": preset.to_json(),
        "seeds": preset.seeds,
        "ratio_real_to_synthetic": list(ratio),
        "split": plan.to_json(),
        "synthetic": {k: v for k, v in synth_info.items() if k != "records"},
        "arms": arms,
        "gains": report.gains(arms),
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json_atomic(out / "segbench.json", rep)
    (out / "segbench.md").write_text(report.markdown_table(rep), encoding="utf-8")
    (out / "command.txt").write_text(command + "\n", encoding="utf-8")
    write_json_atomic(
        out / "data_manifest.json",
        {
            "split": plan.to_json(),
            "train_slices": real_pool.sources,
            "test_slices": {n: p.sources for n, p in test_pools.items()},
            "synthetic": synth_info,
        },
    )
    report.plot_curves(arms, out / "curves.png")
    print((out / "segbench.md").read_text(encoding="utf-8"))


def _argv_of(args: argparse.Namespace) -> str:
    """The command line an API caller's arguments correspond to (for the report)."""
    parts = ["--real", *args.real, "--test", *args.test]
    if args.healthy:
        parts += ["--healthy", *args.healthy]
    if args.synthetic:
        parts += ["--synthetic", args.synthetic]
    parts += ["--filler", args.filler, "--preset", args.preset, "--device", args.device]
    if args.seeds is not None:
        parts += ["--seeds", str(args.seeds)]
    if args.steps is not None:
        parts += ["--steps", str(args.steps)]
    parts += ["--ratio", args.ratio, "--out", str(args.out)]
    return " ".join(shlex.quote(p) for p in parts)
