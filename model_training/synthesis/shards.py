"""Synthesis at scale: a deterministic share of the items per job, and merging the shares.

Item ``K`` of a run is a pure function of the run's settings, its seed and ``K``
(:func:`model_training.synthesis.item.item_seed`), so any job can make any item. Shard
``K/N`` makes the items whose index is ``K`` modulo ``N``: the shards are disjoint, together
they are the whole run, and :func:`merge_shards` joins their folders into the dataset an
unsharded run writes (same files, same bytes, one manifest).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from liversynth.atomic import atomic_write
from liversynth.errors import LiverSynthError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
#: Manifest keys that differ between the shards of one run (everything else must agree).
_PER_SHARD = ("shard", "items", "merged_from", "run_id")


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` → ``(K, N)`` with ``0 <= K < N``.

    Raises:
        LiverSynthError: anything else.
    """
    match = _SHARD.match(text)
    if not match or not 0 <= int(match.group(1)) < int(match.group(2)):
        raise LiverSynthError(f"--shard must be K/N with 0 <= K < N (e.g. 0/4), got {text!r}")
    return int(match.group(1)), int(match.group(2))


def shard_indices(count: int, shard: tuple[int, int] | None) -> list[int]:
    """The item indices of one shard (all of ``range(count)`` without a shard)."""
    if shard is None:
        return list(range(count))
    k, n = shard
    return list(range(k, count, n))


def _manifest_root(folder: Path) -> Path:
    """The folder holding ``manifest.json``: ``folder`` or its one ``Dataset*`` child."""
    if (folder / "manifest.json").is_file():
        return folder
    children = [p for p in folder.glob("Dataset*_*") if (p / "manifest.json").is_file()]
    if len(children) == 1:
        return children[0]
    raise LiverSynthError(f"{folder}: no manifest.json (is it the --out of a synthesize run?)")


def _read_manifest(root: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((root / "manifest.json").read_text())
    except (OSError, ValueError) as err:
        raise LiverSynthError(f"{root / 'manifest.json'}: unreadable ({err})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("items"), list):
        raise LiverSynthError(f"{root / 'manifest.json'}: not a synthesize manifest")
    return manifest


def _settings(manifest: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in manifest.items() if k not in _PER_SHARD}


def plan_merge(shard_dirs: list[Path]) -> tuple[list[Path], dict[str, Any]]:
    """Check that the folders are the shards of one run; returns their roots and the merged
    manifest (items of all shards by index, ``shard`` None).

    Raises:
        LiverSynthError: different settings, an item in two shards, or missing items.
    """
    roots = [_manifest_root(Path(d)) for d in shard_dirs]
    manifests = [_read_manifest(r) for r in roots]
    first = _settings(manifests[0])
    for root, manifest in zip(roots[1:], manifests[1:], strict=True):
        differ = sorted(
            k for k in set(first) | set(_settings(manifest)) if first.get(k) != manifest.get(k)
        )
        if differ:
            raise LiverSynthError(f"{root}: not a shard of the same run as {roots[0]} ({differ})")
    owner: dict[int, Path] = {}
    items = []
    for root, manifest in zip(roots, manifests, strict=True):
        for record in manifest["items"]:
            index = int(record["index"])
            if index in owner:
                raise LiverSynthError(f"item {index} is in both {owner[index]} and {root}")
            owner[index] = root
            items.append(record)
    expected = (
        {int(first["only_item"])}
        if first.get("only_item") is not None
        else set(range(first["count"]))
    )
    missing = sorted(expected - set(owner))
    if missing:
        raise LiverSynthError(
            f"{len(missing)} item(s) missing from the shards (first: {missing[:10]}); "
            "run the missing shards, then merge again"
        )
    merged = {**manifests[0], "shard": None, "items": sorted(items, key=lambda r: r["index"])}
    merged["merged_from"] = sorted(str(m.get("shard")) for m in manifests)
    return [owner[int(r["index"])] for r in merged["items"]], merged


def merge_shards(shard_dirs: list[Path], root: Path) -> dict[str, Any]:
    """Copy every shard's items into ``root`` and write one manifest (last).

    Args:
        shard_dirs: the ``--out`` folders of the shard runs.
        root: the merged dataset folder (created by the caller, empty).

    Returns:
        the merged manifest.
    """
    sources, manifest = plan_merge(shard_dirs)
    for source, record in zip(sources, manifest["items"], strict=True):
        for name in record["files"]:
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target)
    if manifest.get("format") == "nnunet":
        from liversynth.export.nnunet import write_dataset_json

        write_dataset_json(root, len(manifest["items"]), name=root.name.split("_", 1)[-1])
    text = json.dumps(manifest, indent=1) + "\n"
    atomic_write(root / "manifest.json", text.encode("utf-8"))
    return manifest


def run_merge(args: Any) -> int:
    """``synthesize merge SHARD_DIR... --out DIR``: the merged dataset (nnU-Net: the shards'
    ``DatasetNNN_NAME`` folder inside ``--out``, unless ``--out`` is named like one)."""
    from model_training.synthesis.layout import check_empty, created_on_success

    for folder in args.shards:
        if not Path(folder).is_dir():
            raise FileNotFoundError(f"{folder}: no such folder")
    first = _manifest_root(Path(args.shards[0]))
    root = args.out
    if first.name.startswith("Dataset") and not args.out.name.startswith("Dataset"):
        root = args.out / first.name
    check_empty(root, args.overwrite)
    with created_on_success(root):
        manifest = merge_shards([Path(d) for d in args.shards], root)
    print(f"merged {len(manifest['items'])} item(s) from {len(args.shards)} shard(s) into {root}")
    return 0
