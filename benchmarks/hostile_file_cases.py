"""Hostile model files, training states, sessions, autosave folders and lesion banks."""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.hostile_inputs import Case
from benchmarks.hostile_volume_cases import fifo

DEEP = "[" * 100_000 + "]" * 100_000


def _safetensors(path: Path, tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> Path:
    """A safetensors file written by hand (so that any dtype/metadata can be planted)."""
    names = {"<f8": "F64", "<f4": "F32", "<i8": "I64", "|u1": "U8"}
    header: dict[str, Any] = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, arr in tensors.items():
        data = np.ascontiguousarray(arr).tobytes()
        header[name] = {
            "dtype": names[arr.dtype.str],
            "shape": list(arr.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    return path


def _model_parts(**changes: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    from liversynth.networks import ModelConfig, build_generator

    cfg = ModelConfig(crop_px=32, ngf=4, num_downs=5, n_layers=2)
    state = {k: v.numpy() for k, v in build_generator(cfg).state_dict().items()}
    return state, {**cfg.to_dict(), **changes}


def model(name: str, *, f64_value: float | None = None, **changes: Any) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        state, cfg = _model_parts(**changes)
        if f64_value is not None:
            state = {
                k: v.astype(np.float64) if v.dtype == np.float32 else v for k, v in state.items()
            }
            first = next(k for k, v in state.items() if v.dtype == np.float64)
            state[first] = np.full_like(state[first], f64_value)
        return _safetensors(folder / name, state, {"liversynth_config": json.dumps(cfg)})

    return build


def model_raw(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        (folder / name).write_bytes(data)
        return folder / name

    return build


def model_config_text(text: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        state, _ = _model_parts()
        return _safetensors(folder / "cfg.safetensors", state, {"liversynth_config": text})

    return build


def _state_meta(**changes: Any) -> dict[str, Any]:
    state = {
        "epoch": 0,
        "step_in_epoch": 0,
        "global_step": 3,
        "elapsed_s": 1.0,
        "best_val_mae_hu": None,
        "best_step": None,
        "loss_ema": [],
        "config_json": "{}",
        "extra": {},
    }
    meta: dict[str, Any] = {"version": 1, "state": state, "optimizers": {}, "scaler": None}
    for key, value in changes.items():
        if key in state:
            state[key] = value
        elif value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    return meta


def _rng_tensors() -> dict[str, np.ndarray]:
    from model_training.state import rng_tensors

    return {k: v.numpy() for k, v in rng_tensors().items()}


def training_state(
    meta_text: str | None = None, *, rng: dict[str, np.ndarray] | None = None, **changes: Any
) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        text = meta_text if meta_text is not None else json.dumps(_state_meta(**changes))
        tensors = {**_rng_tensors(), **(rng or {})}
        return _safetensors(
            folder / "training_state.safetensors", tensors, {"liversynth_training_state": text}
        )

    return build


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _session_meta(**changes: Any) -> dict[str, Any]:
    meta = {
        "format": "liversynth-session",
        "version": 1,
        "case_name": "memory",
        "shape": [4, 16, 16],
        "source": {},
        "slice_index": 1,
        "window": {"center_hu": 40.0, "width_hu": 400.0},
        "filler_name": "mean",
        "model_path": None,
        "fill_seed": 0,
        "brush_radius_px": 3,
        "masks": [1],
        "stamp": None,
        "session_path": None,
    }
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    return meta


def session(
    json_text: str | None = None,
    members: dict[str, bytes] | None = None,
    *,
    flag_bits: int = 0,
    mask: bytes | None = None,
    **changes: Any,
) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        text = json_text if json_text is not None else json.dumps(_session_meta(**changes))
        mask_bytes = mask if mask is not None else _npy(np.zeros((16, 16), bool))
        path = folder / "s.lsession"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            info = zipfile.ZipInfo("session.json")
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
            zf.writestr("mask_0001.npy", mask_bytes)
            for name, data in (members or {}).items():
                zf.writestr(name, data)
        if flag_bits:  # set general purpose flags (e.g. "encrypted") in both headers
            data = bytearray(path.read_bytes())
            for sig in (b"PK\x03\x04", b"PK\x01\x02"):
                at = data.find(sig)
                off = 6 if sig == b"PK\x03\x04" else 8
                data[at + off] |= flag_bits
            path.write_bytes(bytes(data))
        return path

    return build


def session_corrupt_deflate(folder: Path) -> Path:
    path = session()(folder)
    data = bytearray(path.read_bytes())
    start = 30 + len("session.json")
    for i in range(start + 5, start + 25):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


def _npy_header_only(shape: tuple[int, ...], descr: str = "|b1") -> bytes:
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}".encode()
    text += b" " * (-(10 + len(text) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def autosave(
    lock: bytes | None = b'{"pid": 1, "host": "x"}',
    *,
    fifo_lock: bool = False,
    fifo_session: bool = False,
    locks: int = 1,
) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        root = folder / "autosave"
        root.mkdir()
        for i in range(locks):
            if fifo_lock:
                os.mkfifo(root / f"a{i}.lock")
            elif lock is not None:
                (root / f"a{i}.lock").write_bytes(lock)
            if fifo_session:
                os.mkfifo(root / f"a{i}.lsession")
            else:
                (root / f"a{i}.lsession").write_bytes(b"PK")
        return root

    return build


def bank(index: str | None = None, masks: dict[str, bytes] | None = None) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        header = {"format": "liversynth-lesion-bank", "version": 1, "lesions": []}
        text = index if index is not None else json.dumps(header)
        path = folder / "bank.npz"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("index_json.npy", _npy(np.array(text)))
            for name, data in (masks or {}).items():
                zf.writestr(name, data)
        return path

    return build


def file_cases() -> list[Case]:
    m, t, s, a, b = "model", "training_state", "session", "autosave", "lesion_bank"
    return [
        Case(m, "fifo model", fifo("m.safetensors"), True),
        Case(
            m,
            "header length 2^63",
            model_raw("h.safetensors", struct.pack("<Q", 2**63) + b"{}"),
            True,
        ),
        Case(m, "pickle", model_raw("p.safetensors", b"\x80\x04\x95" + b"\x00" * 64)),
        Case(m, "zip (torch.save)", model_raw("z.safetensors", b"PK\x03\x04" + b"\x00" * 64)),
        Case(
            m,
            "header nested 100000 deep",
            model_raw("d.safetensors", struct.pack("<Q", len(DEEP)) + DEEP.encode()),
            True,
        ),
        Case(
            m,
            "config num_downs 30, crop 2^30",
            model("nd.safetensors", num_downs=30, crop_px=2**30),
            True,
        ),
        Case(m, "config window width 1e-300", model("w.safetensors", window_width_hu=1e-300), True),
        Case(m, "float64 weights 1e300", model("f64.safetensors", f64_value=1e300), True),
        Case(m, "config ngf 'x'", model("ngf.safetensors", ngf="x")),
        Case(m, "config ngf 10^6", model("big.safetensors", ngf=10**6)),
        Case(m, "config is a JSON list", model_config_text("[1, 2]"), True),
        Case(m, "config nested 100000 deep", model_config_text(DEEP)),
        Case(
            m,
            "config format_version 10^400",
            model_config_text('{"format_version": 1' + "0" * 400 + "}"),
        ),
        Case(t, "metadata is a JSON list", training_state("[]"), True),
        Case(t, "global_step is text", training_state(global_step="x"), True),
        Case(t, "no optimizers", training_state(optimizers=None)),
        Case(t, "state is a number", training_state(state=5)),
        Case(t, "unknown state field", training_state(state={"nope": 1})),
        Case(t, "metadata nested 100000 deep", training_state(DEEP)),
        Case(
            t,
            "python rng bytes are garbage",
            training_state(rng={"rng.python": np.frombuffer(b"[1, 2", np.uint8)}),
            True,
        ),
        Case(
            t, "torch rng of wrong size", training_state(rng={"rng.torch": np.zeros(3, np.uint8)})
        ),
        Case(t, "fifo", fifo("training_state.safetensors")),
        Case(s, "session.json is a list", session("[]"), True),
        Case(s, "slice_index is text", session(slice_index="x"), True),
        Case(s, "window missing", session(window=None)),
        Case(s, "window width 1e-300", session(window={"center_hu": 0, "width_hu": 1e-300})),
        Case(s, "masks lists slice 10^9", session(masks=[10**9])),
        Case(s, "stamp pose of wrong types", session(stamp={"pose": {"centre_rc": "x"}})),
        Case(
            s, "source phantom 10^5 slices", session(source={"phantom_shape": [100000, 4096, 4096]})
        ),
        Case(s, "corrupt deflate stream", session_corrupt_deflate, True),
        Case(s, "encrypted members", session(flag_bits=0x1), True),
        Case(s, "session.json nested 100000 deep", session(DEEP), True),
        Case(s, "mask header 40000x40000", session(mask=_npy_header_only((40000, 40000))), True),
        Case(s, "mask object dtype", session(mask=_npy_header_only((16, 16), "|O"))),
        Case(
            s,
            "mask values 7",
            session(mask=_npy(np.full((16, 16), 7, np.uint8)).replace(b"|u1", b"|b1")),
        ),
        Case(
            s,
            "stamp 40000x40000",
            session(
                stamp={
                    "pose": {
                        "centre_rc": [1, 1],
                        "angle_deg": 0,
                        "scale_x": 1,
                        "scale_y": 1,
                        "flip_h": False,
                        "flip_v": False,
                    }
                },
                members={"stamp_source.npy": _npy_header_only((40000, 40000))},
            ),
        ),
        Case(
            s, "session.json 20 MB", session(json.dumps(_session_meta(case_name="x" * 20_000_000)))
        ),
        Case(s, "fifo", fifo("f.lsession")),
        Case(a, "fifo lock", autosave(fifo_lock=True), True),
        Case(a, "fifo session", autosave(fifo_session=True)),
        Case(a, "lock nested 100000 deep", autosave(DEEP.encode())),
        Case(
            a, "lock pid 10^30", autosave(b'{"pid": 1000000000000000000000000000000, "host": "x"}')
        ),
        Case(a, "12000 locks", autosave(locks=12_000)),
        Case(b, "index nested 100000 deep", bank(DEEP), True),
        Case(
            b,
            "lesions is a number",
            bank('{"format": "liversynth-lesion-bank", "version": 1, "lesions": 5}'),
            True,
        ),
        Case(
            b,
            "lesion entry missing keys",
            bank('{"format": "liversynth-lesion-bank", "version": 1, "lesions": [{}]}'),
        ),
        Case(
            b, "mask header claims 10^12", bank(masks={"mask_0.npy": _npy_header_only((10**12,))})
        ),
        Case(b, "fifo", fifo("b.npz")),
    ]
