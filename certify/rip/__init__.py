"""SDPs over RIP operators: ``δ(X, Z)``, projection, lift, closed form.

Public API::

    from certify import rip
    cert = rip.counterexample(X, Z, solver=None, project=True)
    cert.delta, cert.delta_lower, cert.operator, cert.X, cert.Z
    report = cert.verify()
    cert.save(path); rip.load(path)
    rip.verify(operator, X, Z)
    rip.MeasurementOperator.from_matrices(A)
    rip.closed_form_lower_bound(x, z)
    c = rip.curvature(X, Z, delta, grad_tol=0.0)     # c.mu, c.mu_upper, c.operator, c.verify(), c.certificate
    rip.curvature_profile(X, Z, deltas); rip.saddle_map(delta, rhos, phis)
    best = rip.search_sharp_delta(n, r, r_star, restarts=20, seed=0)   # .delta, .certificate, .history, .published
    res = rip.delta_batch(Xs, Zs)      # K instances: res.delta, res.delta_lower, res.status (compiled core)
    m = rip.gap_map(rhos, phis)        # rank-1 grid: checked brackets beside the closed form (JMLR19 Thm 12)
    rip.counterexample(X, Z, backend="cvxpy")   # the reference backend ("clarabel" is the default, "scs")
    X, Z = rip.sharp_family(r, r_star)                 # the orthogonal family at 1/(1 + sqrt(r*/r))
    rip.threshold_certificate(r, r_star).verify(exact=True)   # delta exactly, over Q(sqrt(r r*))
    a = rip.atlas(max_rank=8); a.table(); a.plot("atlas.png"); a.save("atlas.json")
"""

from ..check.format import Certificate, Tolerances, VerificationReport, load, verify
from ..check.operators import (
    CompactOperator,
    ExplicitOperator,
    MeasurementOperator,
    RipConstant,
)
from . import examples
from .atlas import AtlasResult, atlas
from .batch import BatchResult, delta_batch
from .closed_form import (
    GapMap,
    closed_form_lower_bound,
    closed_form_lower_bound_polar,
    gap_map,
    polar_coordinates,
    rank1_records,
)
from .curvature import (
    CurvatureProfile,
    CurvatureResult,
    SaddleMap,
    curvature,
    curvature_profile,
    saddle_map,
)
from .family import FamilySDP, sharp_family, threshold_certificate
from .sdp import counterexample
from .search import SearchResult, published_threshold, search_sharp_delta

__all__ = [
    "AtlasResult",
    "FamilySDP",
    "atlas",
    "sharp_family",
    "threshold_certificate",
    "Certificate",
    "CompactOperator",
    "ExplicitOperator",
    "MeasurementOperator",
    "RipConstant",
    "Tolerances",
    "VerificationReport",
    "closed_form_lower_bound",
    "closed_form_lower_bound_polar",
    "counterexample",
    "delta_batch",
    "BatchResult",
    "gap_map",
    "GapMap",
    "rank1_records",
    "curvature",
    "curvature_profile",
    "SaddleMap",
    "CurvatureProfile",
    "CurvatureResult",
    "saddle_map",
    "search_sharp_delta",
    "SearchResult",
    "published_threshold",
    "examples",
    "load",
    "polar_coordinates",
    "verify",
]
