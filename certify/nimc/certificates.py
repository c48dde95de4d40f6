"""NIMC Hessian certificates, the producer: :func:`certificate` builds the certificate of an
activation and a ground truth ``U*, V*`` (``kind = "nimc/population-hessian"``; the object, its
file and its checks live in the kernel, :mod:`certify.check.nimc`), and :func:`orthogonal_truth`
draws the orthonormal ground truths of the proved case.

The numbers come from the kernel's own computation (:func:`certify.check.nimc.derive`: Arb for the
moments, ρ and the proved enclosure of ``λ_min(H*)``; quadrature or Monte Carlo for the estimate),
so the producer and the verifier agree by construction and a tampered file is rejected by the
recomputation.
"""

from __future__ import annotations

import numpy as np

from ..check.nimc import METHODS, NIMCCertificate, load_nimc
from ..check.nimc_constants import DEFAULT_DIGITS
from ..errors import InputError
from .activations import check_activation
from .model import _check_int, _rng

__all__ = ["certificate", "orthogonal_truth", "NIMCCertificate", "load_nimc", "METHODS"]


def orthogonal_truth(d: int, k: int | None = None, *, seed=None):
    """``(U*, V*)`` with orthonormal columns (``d x k``, ``k = d`` by default: orthogonal), the
    Q factors of independent Gaussian matrices (signs fixed so the diagonal of R is positive)."""
    d = _check_int(d, "d")
    k = d if k is None else _check_int(k, "k")
    if k > d:
        raise InputError(f"k: expected k <= d, got k = {k} > d = {d}")
    rng = _rng(seed)
    out = []
    for _ in range(2):
        Q, R = np.linalg.qr(rng.standard_normal((d, k)))
        out.append(Q * np.sign(np.diag(R))[None, :])
    return out[0], out[1]


def certificate(U_star, V_star, activation: str, *, method: str = "auto", digits: int = DEFAULT_DIGITS,
                nodes: int | None = None, samples: int = 200_000, batches: int = 20, confidence: float = 0.95,
                seed: int = 0, name: str | None = None, description: str | None = None) -> NIMCCertificate:
    """The NIMC Hessian certificate of ``(U*, V*, activation)`` (docs/certificate-format.md):
    the moment and ρ enclosures, ``λ_min(H*)`` — a proved enclosure when ``U*, V*`` have orthonormal
    columns (``method="moments"``, the default then), else a statistical estimate (``"quadrature"``,
    the default then, with ``nodes`` per axis; or ``"monte-carlo"`` with ``samples``, ``batches``,
    ``confidence`` and ``seed``) — and the comparisons with Lemma C.1 and Theorem D.5.  Verified
    before it is returned (``cert.verification``); ``cert.save(path)`` writes the file,
    ``certify verify FILE [--exact]`` checks it, ``certify validate FILE`` runs GD/SGD from
    perturbed starts."""
    activation = check_activation(activation)
    kw = {}
    if method in ("auto", "quadrature") and nodes is not None:
        kw["nodes"] = _check_int(nodes, "nodes", 4)
    if method == "monte-carlo":
        kw.update(samples=_check_int(samples, "samples", 2), batches=_check_int(batches, "batches", 2),
                  confidence=float(confidence), seed=_check_int(seed, "seed", 0))
    cert = NIMCCertificate.build(activation, U_star, V_star, method, digits, name=name, description=description, **kw)
    cert.verify()
    return cert
