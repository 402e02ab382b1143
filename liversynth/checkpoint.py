"""Model files: atomic safetensors checkpoints with the JSON config, loaded without executing code.

A LiverSynth model is one ``.safetensors`` file: the generator's tensors plus, in the
safetensors metadata under ``liversynth_config``, the :class:`ModelConfig` JSON. A sidecar
``<name>.json`` holds the same JSON for people and model cards (the embedded copy is the one
that is read). Pickles (``torch.save``) are never written and never opened: a model file can
come from anywhere, and unpickling runs arbitrary code.

``load_model`` validates everything it can from the raw bytes before handing the file to
``safetensors``: the 8-byte header length, the JSON header, the config, and that the tensor
names and shapes are exactly those of the configured architecture.

Example:
    >>> import tempfile, pathlib
    >>> from liversynth.networks import ModelConfig, build_generator
    >>> cfg = ModelConfig(crop_px=32, ngf=4, num_downs=5, n_layers=2)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.safetensors"
    >>> _ = save_model(path, build_generator(cfg), cfg)
    >>> generator, loaded = load_model(path)
    >>> loaded == cfg, generator.training
    (True, False)
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from liversynth.atomic import atomic_write
from liversynth.errors import LoadError, ModelFileError
from liversynth.io.safe_files import require_regular_file
from liversynth.networks import ModelConfig, UNetGenerator, build_generator

#: safetensors metadata key holding the ModelConfig JSON.
CONFIG_KEY = "liversynth_config"
#: Tensors saved under this prefix (e.g. EMA weights, a discriminator) are not the generator's.
EXTRA_PREFIX = "extra."
#: Real headers are a few kB; a larger length means a corrupt or hostile file.
MAX_HEADER_BYTES = 16 * 1024 * 1024
#: safetensors dtype name → bytes per element (the ones a generator may reasonably hold).
_DTYPE_BYTES = {
    "F64": 8,
    "F32": 4,
    "F16": 2,
    "BF16": 2,
    "I64": 8,
    "I32": 4,
    "I16": 2,
    "I8": 1,
    "U8": 1,
}


# ---------------------------------------------------------------------------- atomic writes
def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """:func:`atomic_write` for bytes."""
    return atomic_write(path, bytes(data))


def atomic_save_safetensors(
    path: str | Path, tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None
) -> Path:
    """Atomically write ``tensors`` (contiguous CPU copies are made) as safetensors."""
    cpu = {name: t.detach().to("cpu").contiguous() for name, t in tensors.items()}
    meta = dict(metadata) if metadata else None
    return atomic_write(path, lambda tmp: save_file(cpu, str(tmp), metadata=meta))


# ---------------------------------------------------------------------------- saving
def save_model(
    path: str | Path,
    generator_state: Mapping[str, torch.Tensor] | nn.Module,
    cfg: ModelConfig,
    extra_tensors: Mapping[str, torch.Tensor] | None = None,
) -> Path:
    """Save a generator with its config (safetensors + sidecar ``<name>.json``), atomically.

    Args:
        path: destination, must end in ``.safetensors``.
        generator_state: the generator's ``state_dict()`` (or the module itself).
        cfg: its configuration (validated; the state must match its architecture exactly).
        extra_tensors: optional further tensors (e.g. EMA weights) stored as ``extra.<name>``;
            :func:`load_model` ignores them, :func:`load_extra_tensors` returns them.

    Returns:
        the path written.

    Raises:
        ValueError: bad suffix, invalid config, or a state that does not fit the config.
    """
    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"{path}: a model file must end in .safetensors")
    cfg.validate()
    state = (
        generator_state.state_dict() if isinstance(generator_state, nn.Module) else generator_state
    )
    problem = _state_mismatch(cfg, {k: tuple(v.shape) for k, v in state.items()})
    if problem:
        raise ValueError(f"generator state does not fit the config: {problem}")
    tensors = dict(state)
    for name, tensor in (extra_tensors or {}).items():
        tensors[EXTRA_PREFIX + name] = tensor
    atomic_save_safetensors(path, tensors, {CONFIG_KEY: cfg.to_json(), "format": "pt"})
    atomic_write(path.with_suffix(".json"), (cfg.to_json() + "\n").encode("utf-8"))
    return path


# ---------------------------------------------------------------------------- loading
def read_header(path: str | Path) -> tuple[dict[str, dict], dict[str, str]]:
    """Validate a safetensors file from its raw bytes, without loading any tensor.

    Returns:
        ``(tensors, metadata)``: tensor name → ``{"dtype", "shape", "data_offsets"}``, and the
        string metadata.

    Raises:
        ModelFileError: missing file, pickle or zip (``torch.save``) content, truncation,
            a malformed header, or an unsupported dtype.
    """
    path = Path(path)
    try:
        size = require_regular_file(
            path, missing="no such model file"
        )  # stat only: a FIFO must not block the open
    except LoadError as err:
        raise ModelFileError(path, err.problem) from None
    with open(path, "rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            raise ModelFileError(path, f"only {size} bytes: too short to be a safetensors file")
        if head.startswith(b"PK\x03\x04"):
            raise ModelFileError(
                path,
                "is a zip archive (a torch.save checkpoint?); refusing: only safetensors "
                "model files are loaded, because pickled models can run code",
            )
        (header_len,) = struct.unpack("<Q", head)
        plausible = 2 <= header_len <= MAX_HEADER_BYTES and 8 + header_len <= size
        raw = handle.read(header_len) if plausible else b""
    if not raw.startswith(b"{"):
        if head[0] == 0x80 and 2 <= head[1] <= 5:
            raise ModelFileError(
                path,
                "is a Python pickle (a legacy torch.save checkpoint?); refusing: only "
                "safetensors model files are loaded, because unpickling can run code",
            )
        if not plausible:
            reason = (
                f"header length {header_len} is implausible"
                if header_len > MAX_HEADER_BYTES
                else f"header length {header_len} does not fit in the file's {size} bytes"
            )
            raise ModelFileError(path, f"not a safetensors file, or truncated: {reason}")
        raise ModelFileError(path, "not a safetensors file: the header is not a JSON object")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ModelFileError(path, f"corrupt safetensors header: {err}") from None
    if not isinstance(header, dict):
        raise ModelFileError(path, "corrupt safetensors header: not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise ModelFileError(path, "corrupt safetensors header: metadata is not string → string")
    data_bytes = size - 8 - header_len
    for name, info in header.items():
        _check_tensor_entry(path, name, info, data_bytes)
    return header, metadata


def _check_tensor_entry(path: Path, name: str, info: object, data_bytes: int) -> None:
    if not isinstance(info, dict):
        raise ModelFileError(path, f"corrupt safetensors header: entry {name!r} is not an object")
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if dtype not in _DTYPE_BYTES:
        raise ModelFileError(path, f"tensor {name!r} has unsupported dtype {dtype!r}")
    if not (isinstance(shape, list) and all(_is_int(s) and s >= 0 for s in shape)):
        raise ModelFileError(path, f"tensor {name!r} has an invalid shape {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) for o in offsets)):
        raise ModelFileError(path, f"tensor {name!r} has invalid data offsets {offsets!r}")
    begin, end = offsets
    if not 0 <= begin <= end:
        raise ModelFileError(path, f"tensor {name!r} has invalid data offsets {offsets!r}")
    if end > data_bytes:
        raise ModelFileError(
            path,
            f"truncated: tensor {name!r} needs {end} data bytes but the file holds {data_bytes}",
        )
    if end - begin != math.prod(shape) * _DTYPE_BYTES[dtype]:
        raise ModelFileError(path, f"tensor {name!r}: byte size does not match shape {shape}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def read_config(path: str | Path) -> ModelConfig:
    """The :class:`ModelConfig` embedded in a model file (no tensor is loaded).

    Raises:
        ModelFileError: as :func:`read_header`, or a missing / invalid / too new config.
    """
    path = Path(path)
    _, metadata = read_header(path)
    text = metadata.get(CONFIG_KEY)
    if text is None:
        raise ModelFileError(
            path,
            f"has no {CONFIG_KEY!r} metadata: not a LiverSynth model "
            "(write one with liversynth.checkpoint.save_model)",
        )
    try:
        return ModelConfig.from_json(text)
    except (ValueError, TypeError, RecursionError) as err:
        raise ModelFileError(path, f"invalid model config: {err}") from None


def _state_mismatch(cfg: ModelConfig, shapes: Mapping[str, tuple[int, ...]]) -> str:
    """Describe how ``shapes`` differs from the generator ``cfg`` builds ("" if it does not)."""
    # The meta device gives every name and shape without allocating the weights.
    with torch.device("meta"):
        expected = {
            k: tuple(v.shape) for k, v in build_generator(cfg, init=False).state_dict().items()
        }
    missing = sorted(set(expected) - set(shapes))
    unexpected = sorted(set(shapes) - set(expected))
    wrong = sorted(k for k in set(expected) & set(shapes) if expected[k] != shapes[k])
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing tensor(s) ({_few(missing)})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected tensor(s) ({_few(unexpected)})")
    if wrong:
        detail = ", ".join(
            f"{k}: file {list(shapes[k])} vs config {list(expected[k])}" for k in wrong[:3]
        )
        problems.append(
            f"{len(wrong)} shape mismatch(es) ({detail}{', ...' if len(wrong) > 3 else ''})"
        )
    return "; ".join(problems)


def _few(names: list[str]) -> str:
    return ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")


def load_model(
    path: str | Path, device: str | torch.device = "cpu"
) -> tuple[UNetGenerator, ModelConfig]:
    """Load a generator from a LiverSynth safetensors model file, in eval mode.

    Args:
        path: the ``.safetensors`` file (the content is checked, whatever the name).
        device: where to put the weights (``"cpu"``, ``"cuda"``, ``"cuda:1"`` ...).

    Returns:
        ``(generator, config)``; the generator is in eval mode with gradients off.

    Raises:
        ModelFileError: not a safetensors file (pickle, zip, truncated, corrupt), no or bad
            config, unknown architecture or newer format version, tensor names or shapes that
            do not match the configured architecture, or non-finite weights.
        ValueError: an unusable ``device``.
    """
    path = Path(path)
    cfg = read_config(path)
    header, _ = read_header(path)
    shapes = {k: tuple(v["shape"]) for k, v in header.items() if not k.startswith(EXTRA_PREFIX)}
    problem = _state_mismatch(cfg, shapes)
    if problem:
        raise ModelFileError(path, f"weights do not match the {cfg.architecture} config: {problem}")
    target = resolve_device(device)
    state = _load_tensors(path)
    state = {k: v for k, v in state.items() if not k.startswith(EXTRA_PREFIX)}
    # Checked after the cast to the generator's dtype: 1e300 is finite in float64 but becomes
    # inf once copied into a float32 parameter.
    with torch.device("meta"):
        dtypes = {k: v.dtype for k, v in build_generator(cfg, init=False).state_dict().items()}
    bad = [
        k
        for k, v in state.items()
        if v.is_floating_point() and not torch.isfinite(v.to(dtypes.get(k, v.dtype))).all()
    ]
    if bad:
        raise ModelFileError(
            path, f"non-finite weights (NaN/inf) in {_few(bad)}: training diverged?"
        )
    with torch.device("meta"):
        generator = build_generator(cfg, init=False)
    generator = generator.to_empty(device=target)
    generator.load_state_dict(state, strict=True)
    generator.eval()
    generator.requires_grad_(False)
    return generator, cfg


def load_extra_tensors(path: str | Path) -> dict[str, torch.Tensor]:
    """The ``extra_tensors`` stored by :func:`save_model` (prefix removed), on the CPU."""
    path = Path(path)
    read_config(path)
    return {
        k[len(EXTRA_PREFIX) :]: v
        for k, v in _load_tensors(path).items()
        if k.startswith(EXTRA_PREFIX)
    }


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, RuntimeError, ValueError) as err:
        raise ModelFileError(path, f"could not read the tensors: {err}") from None


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``auto`` → ``cuda`` when available, else ``cpu``; anything else as ``torch.device``.

    Raises:
        ValueError: an invalid device, or CUDA requested where it is not available.
    """
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        target = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"invalid device {device!r}: {err}") from None
    if target.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available")
    return target
