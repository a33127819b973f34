"""Neural job types (the optional ``neural`` extra: PyTorch).

* ``psi_exact`` -- exact ψ-class intersection numbers (DVV recursion; no torch);
* ``psi_intersections`` -- a DRA transformer learning them, tested on unseen genus
  against the large-genus asymptotic ("Can Transformers Do Enumerative Geometry?", ICLR 2025);
* ``sr_neural`` -- DySymNet symbolic regression (ICML 2024);
* ``operator_learning`` -- DeepONet on the antiderivative and an ODE solution operator.

Everything here imports without torch; the torch-based job types declare
``requires=("torch",)`` and ``extra="neural"`` and import torch inside ``run``.
"""

from engines.neural.deeponet import OPERATOR_LEARNING
from engines.neural.dysymnet import SR_NEURAL
from engines.neural.psi_exact import PSI_EXACT
from engines.neural.psi_regression import PSI_INTERSECTIONS

JOB_TYPES = [PSI_EXACT, PSI_INTERSECTIONS, SR_NEURAL, OPERATOR_LEARNING]
