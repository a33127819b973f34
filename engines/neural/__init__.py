"""Neural job types (the optional ``neural`` extra: PyTorch).

* ``psi_exact`` -- exact ψ-class intersection numbers (DVV recursion; no torch);
* ``psi_intersections`` -- a DRA transformer learning them, tested on unseen genus
  against the large-genus asymptotic ("Can Transformers Do Enumerative Geometry?", ICLR 2025);
* ``sr_neural`` -- DySymNet symbolic regression (ICML 2024);
* ``operator_learning`` -- DeepONet on the antiderivative and an ODE solution operator.

Everything here imports without torch; the torch-based job types declare
``requires=("torch",)`` and ``extra="neural"`` and import torch inside ``run``.

Modules
-------
job               the four JobType declarations, estimates, discoveries, JOB_TYPES
params            the params models (bounded)
results           result models and what is shown of each result (views)
psi_exact         DVV recursion, asymptotic, the data set of psi_intersections
psi_regression    the set transformer, metrics, conformal intervals
dra               the Dynamic Range Activator
dysymnet          the controller and the search of sr_neural
symbolic_network  EQL-style networks: training, pruning, read-off, clean-up
nguyen            the Nguyen benchmarks in sr_neural's variables
deeponet          DeepONet, random input functions, reference solutions
training          torch set-up, progress, the time budget of a job
"""

from mathdisco.engines.neural.job import JOB_TYPES

__all__ = ["JOB_TYPES"]
