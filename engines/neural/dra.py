"""The Dynamic Range Activator (DRA), built on first use so torch stays optional.

DRA(x) = x + a·sin²(x/b) + c·cos(b x) + d·tanh(b x) with learnable scalars
a, b, c, d (Hashemi, Corominas, Giacchetto, "Can Transformers Do Enumerative
Geometry?", ICLR 2025, §3, the activation as stated in the paper).  The
periodic terms let a network represent the oscillating and fast-growing parts
of a target with a wide dynamic range; the identity keeps it well conditioned.

Initialisation a = b = 1, c = d = 0.1: the authors' code draws a, b from
randn, which can put b near 0 and divide by it.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def dra_class() -> Any:
    """The ``DRA`` torch module class (imports torch)."""
    import torch
    from torch import nn

    class DRA(nn.Module):
        """Dynamic Range Activator with four learnable scalars."""

        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Parameter(torch.tensor(1.0))
            self.b = nn.Parameter(torch.tensor(1.0))
            self.c = nn.Parameter(torch.tensor(0.1))
            self.d = nn.Parameter(torch.tensor(0.1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            bx = self.b * x
            return (x + self.a * torch.sin(x / self.b) ** 2 + self.c * torch.cos(bx)
                    + self.d * torch.tanh(bx))

    return DRA


def activation(name: str) -> Any:
    """A fresh activation module: ``"dra"`` or ``"gelu"``."""
    if name == "dra":
        return dra_class()()
    if name == "gelu":
        from torch import nn

        return nn.GELU()
    raise ValueError(f"unknown activation {name!r}")
