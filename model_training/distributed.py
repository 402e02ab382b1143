"""Multi-process training through ``torchrun`` (DistributedDataParallel), or one process.

``torchrun --nproc_per_node N -m model_training train ...`` sets ``RANK``, ``WORLD_SIZE`` and
``LOCAL_RANK``; we then join a process group (NCCL on CUDA, gloo on the CPU), wrap both networks
in DDP, give each rank its share of every epoch's draws (:class:`model_training.dataset.CropDataset`)
and let only rank 0 log, validate and write files. Multi-node runs work the same way
(``torchrun --nnodes ... --rdzv-endpoint ...``).

Example:
    >>> ctx = DistContext.from_env({})
    >>> ctx.world, ctx.rank, ctx.is_main
    (1, 0, True)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.distributed as dist

from liversynth.checkpoint import resolve_device


@dataclass(frozen=True)
class DistContext:
    """Where this process stands in a (possibly one-process) job."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Rank 0 logs, validates and writes checkpoints."""
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        """More than one process."""
        return self.world > 1

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DistContext:
        """Read torchrun's variables (one process when they are absent)."""
        env = os.environ if env is None else env
        return cls(
            rank=int(env.get("RANK", "0")),
            world=int(env.get("WORLD_SIZE", "1")),
            local_rank=int(env.get("LOCAL_RANK", "0")),
        )


def setup(ctx: DistContext, device: torch.device) -> None:
    """Join the process group when ``ctx`` has several processes (no-op otherwise)."""
    if not ctx.enabled or dist.is_initialized():
        return
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend=backend)


def teardown(ctx: DistContext) -> None:
    """Leave the process group."""
    if ctx.enabled and dist.is_initialized():
        dist.destroy_process_group()


def device_for(ctx: DistContext, requested: str) -> torch.device:
    """The device of this process: ``cuda:<local_rank>`` under torchrun with CUDA.

    Raises:
        ValueError: CUDA requested but absent.
    """
    device = resolve_device(requested)
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", ctx.local_rank if ctx.enabled else torch.cuda.current_device())
    return device


def wrap(module: torch.nn.Module, ctx: DistContext, device: torch.device) -> torch.nn.Module:
    """DistributedDataParallel around ``module`` when distributed, else ``module`` itself."""
    if not ctx.enabled:
        return module
    ids = [device.index] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(module, device_ids=ids)


def any_rank(flag: bool, ctx: DistContext, device: torch.device) -> bool:
    """True on every rank when ``flag`` is true on any (so all ranks stop together)."""
    if not ctx.enabled:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def barrier(ctx: DistContext) -> None:
    """Wait for every rank (no-op in one process)."""
    if ctx.enabled:
        dist.barrier()
