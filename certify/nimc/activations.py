"""The activations of non-linear inductive matrix completion, by name — the one definition used by
the NumPy model (:mod:`.model`), the Arb constants (:mod:`.constants`) and the command line.

Imports nothing beyond :mod:`certify.errors`, so ``certify --help`` can list the names without
loading NumPy or SciPy.  The functions themselves: :func:`certify.nimc.model.activation_functions`
(vectorized NumPy) and the Arb versions in :mod:`certify.nimc.constants`.
"""

from __future__ import annotations

from ..errors import InputError

__all__ = ["ACTIVATIONS", "check_activation"]

#: sigmoid ``1/(1 + e^{−z})``, ``tanh``, ReLU ``max(z, 0)`` and the identity (linear φ: inductive
#: matrix completion, IMC).
ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")


def check_activation(activation) -> str:
    """The normalized activation name (stripped, lower case), or :class:`InputError`."""
    if not isinstance(activation, str) or activation.strip().lower() not in ACTIVATIONS:
        raise InputError(f"activation: unknown activation {activation!r}; accepted: {', '.join(ACTIVATIONS)}")
    return activation.strip().lower()
