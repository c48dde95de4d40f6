"""NMF segment certificates as files, the producer: :func:`certificate` wraps the float
certificate of one segment (:func:`certify.nmf.segments.segment_certificate`, with its rigorous
error bound) and its instance into the kernel's :class:`~certify.check.nmf.NMFCertificate`
(``kind = "nmf/segment-convexity"``), which ``certify verify`` re-checks in exact rational
arithmetic and ``certify validate`` validates by running the solvers from perturbed starts;
:func:`planted_certificate` draws the instance and the segment's start from the planted model
(SC-NMF Assumption 1).
"""

from __future__ import annotations

import numpy as np

from ..check.nmf import NMFCertificate, load_nmf
from ..errors import InputError
from .model import planted
from .segments import segment_certificate

__all__ = ["certificate", "planted_certificate", "NMFCertificate", "load_nmf"]


def certificate(W, H, W_star, H_star, X, mask=None, *, model: dict | None = None, name: str | None = None,
                description: str | None = None) -> NMFCertificate:
    """The certificate file object of the segment ``(W, H) → (W*, H*)`` on ``X`` (``mask``: 1 =
    observed; None: all observed).  ``model``: how the instance was drawn (e.g. ``{"planted":
    {...}}``, read by the validation protocol to draw its random starts).  Verified (exactly)
    before it is returned."""
    for nm, F in (("W", W), ("H", H), ("W_star", W_star), ("H_star", H_star)):
        if np.ndim(F) != 2:
            raise InputError(f"{nm}: expected a matrix (one segment), got shape {np.shape(F)}")
    seg = segment_certificate(W, H, W_star, H_star, X, mask)
    Xc = np.where(np.ones(np.shape(X), bool) if mask is None else np.asarray(mask, bool), np.asarray(X, float), 0.0)
    cert = NMFCertificate(X=Xc, mask=None if mask is None else np.asarray(mask, bool), W=W, H=H, W_star=W_star,
                          H_star=H_star, segment=seg, model=model, name=name, description=description)
    cert.verify()
    return cert


def planted_certificate(n: int, m: int | None = None, rank: int | None = None, *, gamma: float = 0.5,
                        distribution: str = "half-normal", observed_fraction: float = 1.0, seed: int = 0,
                        point_seed: int | None = None, name: str | None = None,
                        description: str | None = None) -> NMFCertificate:
    """The certificate of the segment from a random point (drawn from the planted factors'
    distribution, ``point_seed``; default ``seed + 1``) to the planted optimum ``(W*, H*)`` of
    :func:`certify.nmf.planted` (SC-NMF Theorem 1's setting).  The instance records the planted
    model's settings (``model = {"planted": ...}``)."""
    inst = planted(n, m, rank, gamma=gamma, distribution=distribution, observed_fraction=observed_fraction, seed=seed)
    W0, H0 = inst.random_points(1, seed=seed + 1 if point_seed is None else point_seed)
    model = {"planted": {**inst.settings, "seed": inst.seed,
                         "point_seed": seed + 1 if point_seed is None else int(point_seed)}}
    mask = None if observed_fraction >= 1 else inst.mask
    return certificate(W0[0], H0[0], inst.W_star, inst.H_star, inst.X, mask, model=model, name=name,
                       description=description)
