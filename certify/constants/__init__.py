"""Published constants recomputed with proofs — moved: the NIMC constants are
:mod:`certify.nimc.constants` (Gaussian moments α, β, γ and the curvature constant ρ of non-linear
inductive matrix completion, as interval-arithmetic enclosures; python-flint,
``pip install "certify[exact]"``).  ``certify.constants.nimc`` stays one release as an alias."""

from . import nimc

__all__ = ["nimc"]
