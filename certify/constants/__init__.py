"""Published constants recomputed with proofs: :mod:`.nimc` (Gaussian moments α, β, γ of an
activation and the curvature constant ρ of non-linear inductive matrix completion, as
interval-arithmetic enclosures; needs python-flint, ``pip install "certify[exact]"``)."""

from . import nimc

__all__ = ["nimc"]
