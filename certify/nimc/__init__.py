"""Non-linear inductive matrix completion (NIMC): the model, its Hessians, (S)GD and the studies of

* Zhong, Jain, Song, Dhillon 2018, "Nonlinear Inductive Matrix Completion based on One-layer Neural
  Networks" (**ZJSD18**), and
* Zhong, Jain, Song, Dhillon 2019, "Provable Non-linear Inductive Matrix Completion" (**ZJSD19**),

with the published constants recomputed as rigorous enclosures.  Modules:

* :mod:`.activations` — the activation names (no NumPy: the command line reads them);
* :mod:`.model` — activations φ, φ', φ'', ground truth, the data model, packing, loss and gradient
  (its docstring states every convention);
* :mod:`.hessians` — the empirical Hessian and Hessian-vector products, the population Hessian
  (moments, quadrature) and its Monte Carlo estimate;
* :mod:`.bounds` — ``λ_min``, condition numbers, the bound of Theorem D.5 and the checker of a
  claimed curvature bound;
* :mod:`.training` — perturbed starts, batched GD/SGD, relative test error, recovery criterion;
* :mod:`.experiments` — ``λ_min`` near the truth, local convergence, the phase-transition cell;
* :mod:`.constants` — the Gaussian moments α, β, γ and ρ as Arb enclosures (python-flint,
  ``pip install "certify[exact]"``; computed by the kernel, :mod:`certify.check.nimc_constants`);
* :mod:`.certificates` — :func:`certificate`, the NIMC Hessian certificate (a file checked by
  ``certify verify``, validated by ``certify validate``; the object is the kernel's
  :class:`certify.check.nimc.NIMCCertificate`).

Every public name of those modules (but :mod:`.constants`, used as a namespace) is available here;
they are imported on first use (PEP 562), so ``import certify.nimc`` loads neither NumPy nor SciPy.
Was ``certify.nonconvex.nimc`` and ``certify.constants.nimc`` (aliases for one release).
"""

from importlib import import_module

#: public name -> submodule defining it
_EXPORTS = {
    "activations": ("ACTIVATIONS", "check_activation"),
    "model": ("activation_functions", "random_truth", "NIMCData", "sample_data", "pack", "unpack", "free_indices",
              "loss", "gradient"),
    "hessians": ("hessian", "hvp", "population_hessian", "population_hessian_mc", "HessianEstimate"),
    "bounds": ("lambda_min", "condition_numbers", "theorem_d5_bound", "CurvatureCheck", "check_curvature_bound"),
    "training": ("RECOVERY_TOL", "perturbed_start", "default_step_size", "NIMCRun", "gd", "sgd",
                 "relative_test_error", "recovered"),
    "experiments": ("empirical_lambda_min", "local_convergence", "recovery_experiment"),
    "certificates": ("certificate", "orthogonal_truth", "NIMCCertificate", "load_nimc"),
}
_LAZY = {name: module for module, names in _EXPORTS.items() for name in names}
_SUBMODULES = ("activations", "model", "hessians", "bounds", "training", "experiments", "constants", "certificates")


def __getattr__(name):
    if name in _LAZY:
        value = getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    elif name in _SUBMODULES:
        value = import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))


__all__ = sorted(_LAZY)
