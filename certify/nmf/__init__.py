"""Non-negative matrix factorization (NMF) with missing data, and exact star-convexity
certificates along segments.

Source: "Star-Convexity in Non-Negative Matrix Factorization", anonymous ICLR 2020 submission
(**SC-NMF**; docs/mathematics.md §3).  The paper conjectures — and proves for a planted model
(Theorem 1) — that the NMF loss is typically convex along the straight line from a point to an
optimum.  This module turns each such statement about one segment into a certificate: the loss
along a segment is a quartic whose coefficients come from a few matrix products, its second
derivative is a convex quadratic, so the curvature ``α = min_{λ∈[0,1]} ℓ''(λ)`` is computed
exactly, with a rigorous floating-point error bound, and re-checked in rational arithmetic.

Loss convention: ``ℓ(W, H) = ½ Σ_{(i,j)∈Ω} ([WH]_ij − X_ij)²`` (SC-NMF eq. (2); "mean" divides by
``|Ω|``).  Pieces (all re-exported here):

* :mod:`.model` — loss, gradient, half-normal initialization matched to the data mean, data
  scaling to unit variance, random masks, the planted model (Assumption 1);
* :mod:`.solvers` — batched solvers :func:`mu` (masked Lee–Seung) and :func:`pgd` (projected
  gradient descent);
* :mod:`.segments` — :func:`segment_certificate` (``c.alpha``, ``c.cosine``, ``c.convex``,
  ``c.coefficients``, ``c.verdict``, ``c.error_bound``) and batched :func:`segment_certificates`,
  made in floating point with a rigorous error bound;
* :mod:`certify.check.nmf` (the trusted kernel) — the certificate object, the input checks and the
  exact re-check :func:`check_segment_certificate` / :func:`exact_segment`;
* :mod:`.certificates` — :func:`certificate` and :func:`planted_certificate`: a segment
  certificate as a file (``kind = "nmf/segment-convexity"``, the kernel's
  :class:`~certify.check.nmf.NMFCertificate`), checked by ``certify verify`` and validated by
  ``certify validate``;
* :mod:`.landscape` — :func:`trajectory` (SC-NMF Figure 6), :func:`star_convexity` and
  :func:`ablation` (Figure 5), :func:`planted_table` (Theorem 1 measured), :func:`loss_profiles`
  (Figures 3–4);
* :mod:`.data` — :func:`load_real` (scikit-learn's digits and other bundled matrices),
  :func:`load_movielens` (``u.data`` of MovieLens 100k).

Was ``certify.nonconvex.nmf`` (with ``nmf_model``, ``nmf_certificate``, ``nmf_landscape``,
``nmf_data``); those paths are aliases for one release.

Example::

    from certify import nmf
    c = nmf.segment_certificate(W, H, W_star, H_star, X, mask=None)
    c.alpha, c.cosine, c.convex, c.coefficients   # c0..c4 of ℓ(λ)
"""

from __future__ import annotations

from ..check.nmf import (
    VERDICTS,
    ExactSegment,
    SegmentCertificate,
    SegmentCheck,
    check_segment_certificate,
    exact_backend,
    exact_segment,
)
from .certificates import NMFCertificate, certificate, load_nmf, planted_certificate
from .data import (
    REAL_DATASETS,
    RealData,
    load_digits,
    load_movielens,
    load_real,
    require_sklearn,
)
from .landscape import (
    AblationRow,
    StarConvexity,
    Trajectory,
    ablation,
    ablation_table,
    loss_profiles,
    planted_table,
    rows_to_dicts,
    segment_statistics,
    star_convexity,
    trajectory,
)
from .model import (
    REDUCTIONS,
    PlantedInstance,
    check_data,
    check_rank,
    gradient,
    half_normal_init,
    init_scale,
    loss,
    planted,
    random_mask,
    scale_data,
)
from .segments import (
    SegmentBatch,
    curvature_min,
    segment_certificate,
    segment_certificates,
)
from .solvers import SOLVERS, NMFRun, mu, pgd, solve

__all__ = [
    # model and solvers
    "REDUCTIONS", "SOLVERS", "NMFRun", "PlantedInstance", "check_data", "check_rank", "gradient",
    "half_normal_init", "init_scale", "loss", "mu", "pgd", "planted", "random_mask", "scale_data", "solve",
    # certificates
    "VERDICTS", "SegmentCertificate", "SegmentBatch", "ExactSegment", "SegmentCheck", "segment_certificate",
    "segment_certificates", "exact_segment", "check_segment_certificate", "curvature_min", "exact_backend",
    "NMFCertificate", "certificate", "planted_certificate", "load_nmf",
    # landscape
    "Trajectory", "trajectory", "StarConvexity", "segment_statistics", "star_convexity", "AblationRow",
    "ablation", "ablation_table", "planted_table", "loss_profiles", "rows_to_dicts",
    # data
    "REAL_DATASETS", "RealData", "load_real", "load_digits", "load_movielens", "require_sklearn",
]
