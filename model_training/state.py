"""The full training state as one safetensors file (no pickles), written atomically.

Tensors: ``G.*`` generator, ``D.*`` discriminator, ``EMA.*`` EMA generator weights (when on),
``optG.<param>.<name>`` / ``optD.*`` the Adam moments and step counters, ``rng.*`` the torch
(and CUDA) generator states as uint8 tensors, plus the Python and NumPy global generator
states as UTF-8 JSON bytes in uint8 tensors. Everything else (epoch, step, the training
config, Adam's param groups, the GradScaler state, the loss-EMA state, the best validation
score) is JSON in the safetensors metadata under ``liversynth_training_state``.

The file is replaced with ``liversynth.checkpoint.atomic_save_safetensors`` (temporary file,
fsync, rename), so a crash at any moment leaves either the previous or the new state.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open

from liversynth.checkpoint import atomic_save_safetensors
from liversynth.errors import LoadError, ModelFileError
from liversynth.io.boundary import short_reason
from liversynth.io.safe_files import parse_json, require_regular_file

STATE_KEY = "liversynth_training_state"
STATE_VERSION = 1


@dataclass
class TrainingState:
    """What a checkpoint holds besides the module weights.

    Attributes:
        epoch: the epoch in progress (0-based).
        step_in_epoch: steps of that epoch already done.
        global_step: steps done in total.
        elapsed_s: training wall time so far (all sessions).
        best_val_mae_hu: best validation lesion MAE so far (None before any validation).
        best_step: global step of that best model.
        loss_ema: :meth:`model_training.curves.LossLog.state`.
        config_json: the :class:`~model_training.config.TrainConfig` JSON.
        extra: free JSON (e.g. the data summary).
    """

    epoch: int = 0
    step_in_epoch: int = 0
    global_step: int = 0
    elapsed_s: float = 0.0
    best_val_mae_hu: float | None = None
    best_step: int | None = None
    loss_ema: list[float] = field(default_factory=list)
    config_json: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _json_tensor(obj: Any) -> torch.Tensor:
    data = json.dumps(obj).encode("utf-8")
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).clone()


def _tensor_json(t: torch.Tensor) -> Any:
    return json.loads(bytes(t.numpy().tobytes()).decode("utf-8"))


def rng_tensors() -> dict[str, torch.Tensor]:
    """Every global random generator state, as uint8 tensors."""
    # We never draw from NumPy's legacy global generator, but libraries might: save it anyway.
    np_state = np.random.get_state()  # noqa: NPY002
    out = {
        "rng.torch": torch.get_rng_state(),
        "rng.python": _json_tensor(random.getstate()),
        "rng.numpy": _json_tensor(
            [np_state[0], np_state[1].tolist(), *(float(v) for v in np_state[2:])]
        ),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            out[f"rng.cuda.{i}"] = s
    return out


def restore_rng(tensors: dict[str, torch.Tensor]) -> None:
    """Inverse of :func:`rng_tensors` (CUDA states only where the devices exist)."""
    torch.set_rng_state(tensors["rng.torch"])
    version, internal, gauss = _tensor_json(tensors["rng.python"])
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = _tensor_json(tensors["rng.numpy"])
    legacy = (name, np.asarray(keys, dtype=np.uint32), int(pos), int(has_gauss), cached)
    np.random.set_state(legacy)  # noqa: NPY002
    cuda = [tensors[k] for k in sorted(tensors, key=_cuda_index) if k.startswith("rng.cuda.")]
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


def _cuda_index(key: str) -> int:
    return int(key.rsplit(".", 1)[1]) if key.startswith("rng.cuda.") else -1


def flatten_optimizer(
    prefix: str, opt: torch.optim.Optimizer
) -> tuple[dict[str, torch.Tensor], dict]:
    """Split an optimizer ``state_dict`` into tensors and JSON (param groups, scalars)."""
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, entries in sd["state"].items():
        for name, value in entries.items():
            if torch.is_tensor(value):
                tensors[f"{prefix}.{pid}.{name}"] = value
            else:
                scalars.setdefault(str(pid), {})[name] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def unflatten_optimizer(
    prefix: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict
) -> None:
    """Load what :func:`flatten_optimizer` produced back into ``opt``."""
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith(prefix + "."):
            pid, name = key[len(prefix) + 1 :].split(".", 1)
            state.setdefault(int(pid), {})[name] = value
    for pid, entries in meta["scalars"].items():
        state.setdefault(int(pid), {}).update(entries)
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def save_training_state(
    path: Path,
    *,
    modules: dict[str, dict[str, torch.Tensor]],
    optimizers: dict[str, torch.optim.Optimizer],
    scaler_state: dict[str, Any] | None,
    state: TrainingState,
) -> None:
    """Write the checkpoint atomically.

    Args:
        path: destination (``RUN_DIR/state.safetensors``).
        modules: prefix (``G``, ``D``, ``EMA``) → state dict.
        optimizers: prefix (``optG``, ``optD``) → optimizer.
        scaler_state: ``GradScaler.state_dict()`` (fp16 AMP) or None.
        state: counters and bookkeeping.
    """
    tensors: dict[str, torch.Tensor] = {}
    for prefix, sd in modules.items():
        tensors.update({f"{prefix}.{k}": v for k, v in sd.items()})
    opt_meta = {}
    for prefix, opt in optimizers.items():
        t, meta = flatten_optimizer(prefix, opt)
        tensors.update(t)
        opt_meta[prefix] = meta
    tensors.update(rng_tensors())
    meta = {
        "version": STATE_VERSION,
        "state": state.__dict__,
        "optimizers": opt_meta,
        "scaler": scaler_state,
    }
    atomic_save_safetensors(path, tensors, {STATE_KEY: json.dumps(meta), "format": "pt"})


@dataclass
class LoadedState:
    """A checkpoint read back: tensors by prefix and the JSON parts."""

    tensors: dict[str, torch.Tensor]
    state: TrainingState
    optimizers: dict[str, dict]
    scaler: dict[str, Any] | None

    def module(self, prefix: str) -> dict[str, torch.Tensor]:
        """The state dict stored under ``prefix`` (``G``, ``D``, ``EMA``); empty if absent."""
        p = prefix + "."
        return {k[len(p) :]: v for k, v in self.tensors.items() if k.startswith(p)}


@contextmanager
def state_boundary(path: Path) -> Iterator[None]:
    """Any failure while reading or restoring a training state → ModelFileError naming it."""
    try:
        yield
    except ModelFileError:
        raise
    except MemoryError:
        raise ModelFileError(path, "training state too large for this machine") from None
    except RecursionError:
        raise ModelFileError(path, "training state nested too deeply") from None
    except Exception as err:  # the boundary: a damaged file, never our bug
        raise ModelFileError(path, f"damaged training state ({short_reason(err)})") from None


def _metadata(path: Path) -> dict[str, Any]:
    require_regular_file(path)
    try:
        with safe_open(str(path), framework="pt", device="cpu") as fh:
            meta_text = (fh.metadata() or {}).get(STATE_KEY)
    except (SafetensorError, OSError, RuntimeError, ValueError) as err:
        raise ModelFileError(path, f"unreadable training state ({err})") from None
    if meta_text is None:
        raise ModelFileError(path, "not a LiverSynth training state (no metadata)")
    try:
        meta = parse_json(meta_text, path, what="training state metadata")
    except LoadError as err:
        raise ModelFileError(path, err.problem) from None
    version = meta.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(path, f"training state version {version!r} is not an integer")
    if version > STATE_VERSION:
        raise ModelFileError(path, f"training state version {version} is too new")
    if not isinstance(meta.get("state"), dict):
        raise ModelFileError(path, "training state metadata has no 'state' object")
    if not isinstance(meta.get("optimizers"), dict) or not all(
        isinstance(v, dict) for v in meta["optimizers"].values()
    ):
        raise ModelFileError(path, "training state metadata: 'optimizers' is not an object")
    if meta.get("scaler") is not None and not isinstance(meta["scaler"], dict):
        raise ModelFileError(path, "training state metadata: 'scaler' is not an object")
    return meta


def _state_fields(path: Path, data: dict[str, Any]) -> TrainingState:
    types = {f.name: f.type for f in dataclasses.fields(TrainingState)}
    unknown = sorted(set(data) - set(types))
    if unknown:
        raise ModelFileError(path, f"unknown training state fields: {', '.join(unknown)}")
    st = TrainingState(**data)
    for name in ("epoch", "step_in_epoch", "global_step"):
        value = getattr(st, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ModelFileError(path, f"training state {name} {value!r} is not a count")
    if not isinstance(st.config_json, str) or not isinstance(st.extra, dict):
        raise ModelFileError(path, "training state config_json/extra have the wrong type")
    if not isinstance(st.loss_ema, list):
        raise ModelFileError(path, "training state loss_ema is not a list")
    return st


def load_training_state(path: Path) -> LoadedState:
    """Read a checkpoint written by :func:`save_training_state`.

    Raises:
        ModelFileError: unreadable, truncated, not a training state, a newer version, or
            metadata of the wrong shape (never another exception).
    """
    path = Path(path)
    with state_boundary(path):
        meta = _metadata(path)
        st = _state_fields(path, meta["state"])
        try:
            with safe_open(str(path), framework="pt", device="cpu") as fh:
                tensors = {k: fh.get_tensor(k) for k in fh.keys()}
        except (SafetensorError, OSError, RuntimeError, ValueError) as err:
            raise ModelFileError(path, f"unreadable training state ({err})") from None
        return LoadedState(tensors, st, meta["optimizers"], meta["scaler"])


def read_state_config(path: Path) -> str:
    """The training-config JSON stored in a checkpoint (metadata only, tensors not read).

    Raises:
        ModelFileError: unreadable or not a training state.
    """
    path = Path(path)
    with state_boundary(path):
        config_json = _state_fields(path, _metadata(path)["state"]).config_json
    return config_json
