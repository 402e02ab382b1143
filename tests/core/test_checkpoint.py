"""Model files: atomic safetensors round trip, and every refusal (never unpickling anything)."""

from __future__ import annotations

import json
import pickle
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from liversynth.checkpoint import (
    CONFIG_KEY,
    atomic_save_safetensors,
    atomic_write,
    atomic_write_bytes,
    load_extra_tensors,
    load_model,
    read_config,
    save_model,
)
from liversynth.errors import ModelFileError
from liversynth.networks import ModelConfig, UNetGenerator, build_generator

torch.set_num_threads(1)


@pytest.fixture
def cfg() -> ModelConfig:
    return ModelConfig(crop_px=32, ngf=4, num_downs=5, n_layers=2, training={"epochs": 1})


@pytest.fixture
def trained(cfg: ModelConfig) -> UNetGenerator:
    """A tiny generator whose BatchNorm running statistics moved away from their defaults."""
    torch.manual_seed(0)
    g = build_generator(cfg).train()
    with torch.no_grad():
        for _ in range(3):
            g(torch.randn(2, cfg.in_channels, 32, 32) * 3 + 1)
    return g


@pytest.fixture
def model_file(tmp_path: Path, cfg: ModelConfig, trained: UNetGenerator) -> Path:
    return save_model(tmp_path / "tiny.safetensors", trained, cfg)


def _write_raw(path: Path, state: dict[str, torch.Tensor], config_json: str | None) -> Path:
    metadata = {CONFIG_KEY: config_json} if config_json is not None else None
    save_file({k: v.contiguous() for k, v in state.items()}, str(path), metadata=metadata)
    return path


# ----------------------------------------------------------------------------- round trip
def test_round_trip_gives_identical_outputs(model_file, cfg, trained):
    g, loaded = load_model(model_file)
    assert loaded == cfg
    assert not g.training
    assert not any(p.requires_grad for p in g.parameters())
    trained.eval()
    x = torch.randn(1, cfg.in_channels, 64, 32)
    with torch.inference_mode():
        assert torch.equal(g(x), trained(x))
    for key, value in trained.state_dict().items():
        assert torch.equal(g.state_dict()[key], value), key


def test_sidecar_json_holds_the_same_config(model_file, cfg):
    sidecar = model_file.with_suffix(".json")
    assert ModelConfig.from_json(sidecar.read_text()) == cfg
    assert read_config(model_file) == cfg


def test_extra_tensors_are_kept_apart(tmp_path, cfg, trained):
    ema = {k: v.clone() for k, v in trained.state_dict().items()}
    path = save_model(
        tmp_path / "m.safetensors",
        trained.state_dict(),
        cfg,
        extra_tensors={"ema." + k: v for k, v in ema.items()},
    )
    g, _ = load_model(path)  # extras neither break strict loading nor replace weights
    extra = load_extra_tensors(path)
    assert set(extra) == {"ema." + k for k in ema}
    assert torch.equal(extra["ema.model.down.0.weight"], ema["model.down.0.weight"])


def test_save_refuses_mismatched_state_and_bad_suffix(tmp_path, cfg):
    other = UNetGenerator(cfg.in_channels, ngf=8, num_downs=5)
    with pytest.raises(ValueError, match="shape mismatch"):
        save_model(tmp_path / "m.safetensors", other, cfg)
    with pytest.raises(ValueError, match=".safetensors"):
        save_model(tmp_path / "m.pt", build_generator(cfg), cfg)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- atomic writes
def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "sub" / "f.bin"
    atomic_write_bytes(target, b"old")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["f.bin"]


def test_atomic_write_failure_keeps_old_file(tmp_path):
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"old")

    def broken(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_atomic_save_safetensors_round_trip(tmp_path):
    path = atomic_save_safetensors(
        tmp_path / "t.safetensors", {"a": torch.arange(6.0).view(2, 3).t()}, {"k": "v"}
    )
    assert torch.equal(load_file(str(path))["a"], torch.arange(6.0).view(2, 3).t())


# ----------------------------------------------------------------------------- refusals
def test_refuses_torch_save_zip_named_safetensors(tmp_path, trained):
    path = tmp_path / "evil.safetensors"
    torch.save(trained.state_dict(), path)
    with pytest.raises(ModelFileError, match="zip archive") as info:
        load_model(path)
    assert info.value.path == path
    assert "evil.safetensors" in str(info.value)


def test_refuses_legacy_pickle(tmp_path, trained):
    path = tmp_path / "legacy.safetensors"
    torch.save(trained.state_dict(), path, _use_new_zipfile_serialization=False)
    with pytest.raises(ModelFileError, match="pickle"):
        load_model(path)


class _Trap:
    """Unpickling this creates a marker file: proof that the loader never unpickles."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_never_unpickles(tmp_path, protocol):
    marker = tmp_path / "was_unpickled"
    path = tmp_path / "trap.safetensors"
    path.write_bytes(pickle.dumps(_Trap(marker), protocol=protocol))
    with pytest.raises(ModelFileError, match="pickle"):
        load_model(path)
    assert not marker.exists()


def test_refuses_truncated_files(model_file, tmp_path):
    data = model_file.read_bytes()
    for name, cut in (
        ("data.safetensors", len(data) - 100),
        ("header.safetensors", 20),
        ("tiny.safetensors", 5),
    ):
        path = tmp_path / "cut" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match="truncated|too short") as info:
            load_model(path)
        assert name in str(info.value)


def test_refuses_missing_empty_and_garbage(tmp_path):
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "absent.safetensors")
    (tmp_path / "empty.safetensors").write_bytes(b"")
    with pytest.raises(ModelFileError, match="too short"):
        load_model(tmp_path / "empty.safetensors")
    (tmp_path / "garbage.safetensors").write_bytes(
        struct.pack("<Q", 10) + b"[1, 2, 3] " + b"\0" * 8
    )
    with pytest.raises(ModelFileError, match="not a JSON object"):
        load_model(tmp_path / "garbage.safetensors")
    (tmp_path / "badjson.safetensors").write_bytes(struct.pack("<Q", 10) + b"{not json}")
    with pytest.raises(ModelFileError, match="corrupt safetensors header"):
        load_model(tmp_path / "badjson.safetensors")


def test_refuses_header_offsets_beyond_the_data(tmp_path):
    header = json.dumps(
        {"w": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}}
    ).encode()
    path = tmp_path / "lying.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 16)
    with pytest.raises(ModelFileError, match="truncated"):
        load_model(path)


def test_refuses_file_without_config(tmp_path, trained):
    path = _write_raw(tmp_path / "plain.safetensors", trained.state_dict(), None)
    with pytest.raises(ModelFileError, match="not a LiverSynth model"):
        load_model(path)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"format_version": 99}, "newer"),
        ({"architecture": "stylegan"}, "unknown architecture"),
        ({"extra_key": 1}, "unknown model config keys"),
    ],
)
def test_refuses_bad_config(tmp_path, cfg, trained, change, match):
    data = json.loads(cfg.to_json())
    data.update(change)
    path = _write_raw(tmp_path / "v.safetensors", trained.state_dict(), json.dumps(data))
    with pytest.raises(ModelFileError, match=match) as info:
        load_model(path)
    assert "v.safetensors" in str(info.value)


def test_refuses_wrong_shapes(tmp_path, cfg):
    wider = UNetGenerator(cfg.in_channels, ngf=8, num_downs=cfg.num_downs)
    path = _write_raw(tmp_path / "wide.safetensors", wider.state_dict(), cfg.to_json())
    with pytest.raises(
        ModelFileError, match="shape mismatch.*file \\[8, 2, 4, 4\\] vs config \\[4, 2, 4, 4\\]"
    ):
        load_model(path)


def test_refuses_missing_and_unexpected_tensors(tmp_path, cfg, trained):
    state = dict(trained.state_dict())
    state.pop("model.down.0.weight")
    state["surprise"] = torch.zeros(3)
    path = _write_raw(tmp_path / "keys.safetensors", state, cfg.to_json())
    with pytest.raises(
        ModelFileError,
        match="1 missing tensor\\(s\\) \\(model.down.0.weight\\); 1 unexpected tensor\\(s\\) \\(surprise\\)",
    ):
        load_model(path)


def test_refuses_a_deeper_architecture(tmp_path, cfg):
    deeper = UNetGenerator(cfg.in_channels, ngf=cfg.ngf, num_downs=6)
    path = _write_raw(tmp_path / "deep.safetensors", deeper.state_dict(), cfg.to_json())
    with pytest.raises(ModelFileError, match="unexpected tensor"):
        load_model(path)


def test_refuses_non_finite_weights(tmp_path, cfg, trained):
    state = {k: v.clone() for k, v in trained.state_dict().items()}
    state["model.down.0.weight"][0, 0, 0, 0] = float("nan")
    path = _write_raw(tmp_path / "nan.safetensors", state, cfg.to_json())
    with pytest.raises(ModelFileError, match="non-finite"):
        load_model(path)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_request_without_cuda_is_a_clear_error(model_file):
    with pytest.raises(ValueError, match="CUDA is not available"):
        load_model(model_file, device="cuda")
