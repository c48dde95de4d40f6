"""NIMC Hessian certificates (``kind = "nimc/population-hessian"``): the object, its file, the float
verification and the exact (interval) verification of every claim — part of the trusted kernel.

A certificate states, for an activation φ and a ground truth ``U*, V* ∈ R^{d×k}``:

* the Gaussian moments α, β, γ and ρ as enclosures (:mod:`certify.check.nimc_constants`);
* ``λ_min(H*)`` of the population Hessian at the truth: a **proved** enclosure when ``U*, V*``
  have orthonormal columns (``method = "moments"``; closed form from the moments, interval
  arithmetic), otherwise a **statistical** estimate with its stated error (``"quadrature"``:
  node-refinement estimate; ``"monte-carlo"``: Chebyshev confidence radius,
  :mod:`certify.check.nimc_population`);
* the theorem bounds it is compared with: Lemma C.1 (``λ_min(H*) >= ρ``, orthogonal ``U*, V*``
  with ``d = k`` — and with orthonormal columns for ``d > k``, whose complement block is
  ``>= α₂₀β₂₀ − α₁₀²β₁₀² >= t₁``; needs ``β₁₁ = 0``) and Theorem D.5 (``λ_min(H*) >= ρ /
  (λ(U*)λ(V*) max κ)``, ``σ_k = 1``), each with a status: ``proved`` (the identity of
  :mod:`~certify.check.nimc_constants` on a proved enclosure), ``certified`` (the estimate minus its
  error is above the bound), ``tight`` (equal within the error), ``rejected``, ``not applicable``.

:meth:`NIMCCertificate.verify` recomputes every number (Arb for the moments, ρ and the proved
enclosure; the kernel's own quadrature or Monte Carlo, same seed, for an estimate) and compares;
:meth:`NIMCCertificate.verify_exact` decides each claim in interval arithmetic (an enclosure is
proved when the recomputed ball lies inside it and disproved when they are disjoint) and reports
the statistical parts as "not a proof claim".  Format: ``docs/certificate-format.md``, schema
``nimc-certificate.schema.json``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import CertificateFormatError, InputError
from ..io import utc_now
from . import kindfile
from . import nimc_constants as K
from . import nimc_population as P

__all__ = ["KIND", "METHODS", "ORTHONORMAL_TOL", "NIMCCertificate", "derive", "load_nimc"]

KIND = kindfile.NIMC_KIND
#: how λ_min(H*) is obtained: proved (moments) or estimated (quadrature, Monte Carlo)
METHODS = ("moments", "quadrature", "monte-carlo")
#: U*, V* count as orthonormal (the proved case) when max |MᵀM − I| <= this (checked exactly)
ORTHONORMAL_TOL = 1e-12
#: a stated enclosure end must equal the recomputed one to this (relative to max(1, |x|))
ENCLOSURE_TOL = 1e-12
#: a stated estimate must equal the recomputed one to this (relative to max(1, |x|))
ESTIMATE_TOL = 1e-10
#: largest d·k of a statistical certificate (the quadrature runs k² two-dimensional rules)
MAX_DK = 400
CONVENTIONS = {
    "model": "A(x, y) = phi(U*^T x)^T phi(V*^T y), x, y ~ N(0, I_d)",
    "risk": "f_D(U, V) = 1/2 E[(phi(U^T x)^T phi(V^T y) - A(x, y))^2] (ZJSD18 eq. (7)); H* its Hessian at (U*, V*)",
    "packing": "w = [vec(U); vec(V)], columns stacked (u_1..u_k, v_1..v_k)",
    "moments": "alpha_ij = E[phi(z)^i z^j], beta_ij = E[phi'(z)^i z^j], gamma = E[phi(z) phi'(z) z], z ~ N(0, 1)",
    "rho": "min{a20 b20 - a10^2 b10^2 - b10^2 a11^2, a20 b22 - a10^2 b12^2 - gamma^2} (ZJSD18 eq. (9))",
    "enclosures": "[lo, hi] floats rounded outward: lo <= value <= hi",
}
_STATEMENT_C1 = "lambda_min(H*) >= rho (ZJSD18 Lemma C.1: U*, V* orthonormal, beta_11 = 0)"
_STATEMENT_D5 = "lambda_min(H*) >= rho / (lambda(U*) lambda(V*) max kappa) (ZJSD18 Theorem D.5: sigma_k = 1, beta_11 = 0)"


def _interval(lo: float, hi: float, **extra) -> dict:
    return {"lo": float(lo), "hi": float(hi), **extra}


def _status(lo: float, hi: float, b_lo: float, b_hi: float) -> str:
    """How an interval ``[lo, hi]`` for λ_min compares with a bound ``[b_lo, b_hi]``."""
    if lo >= b_hi:
        return "certified"
    if hi >= b_lo:
        return "tight"
    return "rejected"


def _orthonormal(U, V) -> bool:
    return max(P.orthonormality_error(U), P.orthonormality_error(V)) <= ORTHONORMAL_TOL


def _lambda_min_claim(activation, U, V, method, digits, options) -> tuple[dict, dict]:
    """``(lambda_min, settings)`` of :func:`derive`."""
    d, k = U.shape
    if method == "moments":
        proof = K.lambda_min_enclosure(activation, k, d, digits)
        return {**proof.to_dict(), "rigorous": True, "estimator": "moments"}, {}
    N = 2 * d * k
    if method == "quadrature":
        H, err, nodes = P.quadrature_hessian(U, V, activation, options.get("nodes"))
        lam = float(np.linalg.eigvalsh(H)[0])
        error = float(N * err + 16 * N * np.finfo(float).eps * float(np.linalg.norm(H, 2)))
        out = {"estimate": lam, "error": error, "error_kind": "estimate: 2dk max|H(n) - H(1.5n)| + eigvalsh rounding "
               "(quadrature node refinement; not a bound)", "nodes": nodes}
        settings = {"nodes": nodes}
    else:
        settings = {"samples": int(options.get("samples", 200_000)), "batches": int(options.get("batches", 20)),
                    "confidence": float(options.get("confidence", 0.95)), "seed": int(options.get("seed", 0))}
        mc = P.monte_carlo_hessian(U, V, activation, **settings)
        out = {"estimate": float(mc.lam_min), "error": float(mc.radius), "error_kind": f"Monte Carlo confidence radius at "
               f"{mc.confidence:g} (Chebyshev on {mc.batches} batch means; approximate)", **settings}
    out.update(lo=out["estimate"] - out["error"], hi=out["estimate"] + out["error"], rigorous=False, estimator=method)
    return out, settings


def _lemma_c1(activation, U, V, lam: dict, rho: K.Enclosure, digits: int) -> dict:
    applies, why = K.lemma_c1_applies(activation, digits)
    if applies and not _orthonormal(U, V):
        applies, why = False, f"U*, V* are not orthonormal (max |M^T M - I| > {ORTHONORMAL_TOL:g}); {why}"
    out = {"statement": _STATEMENT_C1, "applies": applies, "reason": why, "margin": float(lam["lo"] - rho.hi)}
    if not applies:
        out["status"] = "not applicable"
    elif lam["rigorous"]:
        out["status"] = "proved"
    else:
        out["status"] = _status(lam["lo"], lam["hi"], rho.lo, rho.hi)
    return out


def _theorem_d5(activation, U, V, lam: dict, rho: K.Enclosure, digits: int) -> dict:
    f = P.theorem_d5_factor(U, V)
    b11, _ = K.lemma_c1_applies(activation, digits)
    unit = abs(f["sigma_k_U"] - 1) <= 1e-8 and abs(f["sigma_k_V"] - 1) <= 1e-8
    if _orthonormal(U, V):  # the polar factors have lambda = kappa = sigma = 1 exactly: the bound is rho
        b_lo, b_hi, how = rho.lo, rho.hi, "U*, V* orthonormal: lambda = kappa = 1, the bound is rho"
    else:
        s = 1e-12  # the float SVD's relative error, allowed on both sides (not a proof)
        b_lo, b_hi = sorted((rho.lo / f["factor"] * (1 - s), rho.hi / f["factor"] * (1 + s)))
        how = "rho / factor, factor from the float SVD (relative allowance 1e-12)"
    out = {"statement": _STATEMENT_D5, "applies": bool(b11 and unit), "factors": f, "bound": _interval(b_lo, b_hi),
           "how": how, "margin": float(lam["lo"] - b_hi)}
    if not out["applies"]:
        out["status"] = "not applicable"
        out["reason"] = "beta_11 != 0" if not b11 else "sigma_k(U*) or sigma_k(V*) differs from 1 by more than 1e-8"
    elif lam["rigorous"] and _orthonormal(U, V):
        out["status"] = "proved"
    else:
        out["status"] = _status(lam["lo"], lam["hi"], b_lo, b_hi)
    return out


def derive(activation: str, U_star, V_star, method: str = "auto", digits: int = K.DEFAULT_DIGITS, **options) -> dict:
    """Every number of a certificate for ``(activation, U*, V*)``: ``method`` (``"auto"``: moments
    when ``U*, V*`` are orthonormal, else quadrature), ``moments``, ``rho``, ``lambda_min``,
    ``bounds`` and ``settings`` (``nodes``, or ``samples``, ``batches``, ``confidence``, ``seed``).
    The producer (:func:`certify.nimc.certificate`) and the verifier both call it."""
    activation = K.check_activation(activation)
    U, V = P._factors(U_star, V_star)
    d, k = U.shape
    if method == "auto":
        method = "moments" if _orthonormal(U, V) and k <= K.MAX_K else "quadrature"
    if method not in METHODS:
        raise InputError(f"method: expected 'auto' or one of {', '.join(METHODS)}, got {method!r}")
    if method == "moments" and not (_orthonormal(U, V) and k <= K.MAX_K):
        raise InputError(f"method 'moments' needs U*, V* with orthonormal columns (max |M^T M - I| <= "
                         f"{ORTHONORMAL_TOL:g}) and k <= {K.MAX_K}; use 'quadrature' or 'monte-carlo'")
    if d * k > MAX_DK:
        raise InputError(f"U_star: d k = {d * k} exceeds {MAX_DK}, the largest instance of an NIMC certificate")
    mom = {name: _interval(e.lo, e.hi, text=e.text) for name, e in K.moments(activation, digits).items()}
    rho = K.rho(activation, digits)
    lam, settings = _lambda_min_claim(activation, U, V, method, digits, options)
    bounds = {"lemma_c1": _lemma_c1(activation, U, V, lam, rho, digits),
              "theorem_d5": _theorem_d5(activation, U, V, lam, rho, digits)}
    return {"method": method, "digits": digits, "moments": mom, "rho": _interval(rho.lo, rho.hi, text=rho.text),
            "lambda_min": lam, "bounds": bounds, "settings": settings}


@dataclass
class NIMCCertificate:
    """A NIMC Hessian certificate (module docstring): the instance (``activation``, ``U_star``,
    ``V_star``), the claims of :func:`derive` and the records."""

    activation: str
    U_star: np.ndarray
    V_star: np.ndarray
    method: str
    digits: int
    moments: dict
    rho: dict
    lambda_min: dict
    bounds: dict
    settings: dict = field(default_factory=dict)
    name: str | None = None
    description: str | None = None
    created: str | None = None
    package_version: str = __version__
    verification: dict | None = None
    validations: list = field(default_factory=list)
    exact: dict | None = None

    kind = KIND

    def __post_init__(self):
        self.U_star = np.array(self.U_star, dtype=float)
        self.V_star = np.array(self.V_star, dtype=float)
        if self.created is None:
            self.created = utc_now()

    @property
    def d(self) -> int:
        return self.U_star.shape[0]

    @property
    def k(self) -> int:
        return self.U_star.shape[1]

    @property
    def rigorous(self) -> bool:
        """True when λ_min is a proved enclosure (``method = "moments"``)."""
        return self.method == "moments"

    @classmethod
    def build(cls, activation, U_star, V_star, method="auto", digits=K.DEFAULT_DIGITS, **kw) -> NIMCCertificate:
        """The certificate of :func:`derive` (``kw``: the estimator's options, then ``name``,
        ``description``)."""
        meta = {key: kw.pop(key) for key in ("name", "description") if key in kw}
        claims = derive(activation, U_star, V_star, method, digits, **kw)
        return cls(activation=K.check_activation(activation), U_star=U_star, V_star=V_star, **claims, **meta)

    # -- verification ------------------------------------------------------------------------------
    def verify(self) -> kindfile.KindReport:
        """Recompute every claim and compare (the float verification; needs python-flint for the
        Arb moments); keeps the report in ``self.verification``."""
        rep = kindfile.KindReport()
        try:
            again = derive(self.activation, self.U_star, self.V_star, self.method, self.digits, **self.settings)
        except InputError as exc:
            rep.check("instance", False, None, str(exc))
            self.verification = rep.to_dict()
            return rep
        rep.check("instance", True, [self.d, self.k], f"activation {self.activation}, d = {self.d}, k = {self.k}, "
                  f"method {self.method}")
        _compare_claims(rep, self, again)
        if self.rigorous:
            _float_cross_check(rep, self)
        rep.figures = {"rho": again["rho"], "lambda_min": again["lambda_min"],
                       "lemma_c1": again["bounds"]["lemma_c1"]["status"],
                       "theorem_d5": again["bounds"]["theorem_d5"]["status"]}
        self.verification = rep.to_dict()
        return rep

    def verify_exact(self):
        """Decide every claim in interval arithmetic (:func:`verify_nimc_exact`); keeps the report
        in ``self.exact`` and returns the :class:`~certify.check.exact.report.ExactReport`."""
        rep = verify_nimc_exact(self)
        self.exact = rep.to_dict()
        return rep

    # -- serialization ----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        if self.verification is None:
            self.verify()
        return {**kindfile.header(KIND, self, CONVENTIONS),
                "instance": {"activation": self.activation, "d": self.d, "k": self.k,
                             "U_star": self.U_star.tolist(), "V_star": self.V_star.tolist()},
                "method": self.method, "digits": self.digits, "settings": self.settings, "moments": self.moments,
                "rho": self.rho, "lambda_min": self.lambda_min, "bounds": self.bounds,
                "verification": self.verification, "validations": list(self.validations), "exact": self.exact}

    def save(self, path) -> Path:
        """Write the certificate as JSON, atomically (verifying it first if not yet verified)."""
        return kindfile.write(path, self.to_dict())

    @classmethod
    def from_dict(cls, d: dict) -> NIMCCertificate:
        shapes = kindfile.validate_kind(d, KIND)
        inst = d["instance"]
        su, sv = shapes[("instance", "U_star")], shapes[("instance", "V_star")]
        if su != (inst["d"], inst["k"]) or sv != su:
            raise CertificateFormatError(f"certificate: instance: U_star {su} and V_star {sv} must both be d x k = "
                                         f"{inst['d']} x {inst['k']}")
        pkg = d.get("package") or {}
        return cls(activation=inst["activation"], U_star=inst["U_star"], V_star=inst["V_star"], method=d["method"],
                   digits=d["digits"], moments=d["moments"], rho=d["rho"], lambda_min=d["lambda_min"],
                   bounds=d["bounds"], settings=dict(d.get("settings") or {}), name=d.get("name"),
                   description=d.get("description"), created=d.get("created"),
                   package_version=str(pkg.get("version", "unknown")), verification=d.get("verification"),
                   validations=list(d.get("validations") or []), exact=d.get("exact"))


def load_nimc(path) -> NIMCCertificate:
    """Read a NIMC certificate file (the hardened JSON reader first)."""
    from .schema import read_json_file  # noqa: PLC0415

    return NIMCCertificate.from_dict(read_json_file(path))


# ---------------------------------------------------------------------------------------------
# float verification
# ---------------------------------------------------------------------------------------------


def _close(a, b, tol) -> bool:
    return isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a) and \
        abs(a - b) <= tol * max(1.0, abs(b))


def _compare_interval(rep, name, stated: dict, again: dict, tol: float) -> None:
    ok = all(_close(stated.get(e), again[e], tol) for e in ("lo", "hi"))
    rep.check(f"{name}_matches", ok, [stated.get("lo"), stated.get("hi")],
              f"stated [lo, hi] equals the recomputed [{again['lo']!r}, {again['hi']!r}] (to {tol:g})")


def _compare_claims(rep, cert: NIMCCertificate, again: dict) -> None:
    """Every stated number against its recomputation."""
    bad = [n for n in K.MOMENT_NAMES if n not in cert.moments
           or not all(_close(cert.moments[n].get(e), again["moments"][n][e], ENCLOSURE_TOL) for e in ("lo", "hi"))]
    rep.check("moments_match", not bad and set(cert.moments) == set(K.MOMENT_NAMES), bad,
              "every stated moment enclosure equals the recomputed Arb enclosure")
    _compare_interval(rep, "rho", cert.rho, again["rho"], ENCLOSURE_TOL)
    lam, lam2 = cert.lambda_min, again["lambda_min"]
    if cert.rigorous:
        _compare_interval(rep, "lambda_min", lam, lam2, ENCLOSURE_TOL)
        rep.check("lambda_min_rigorous", lam.get("rigorous") is True, lam.get("rigorous"),
                  "a 'moments' certificate states a proved enclosure")
    else:
        ok = _close(lam.get("estimate"), lam2["estimate"], ESTIMATE_TOL) and _close(lam.get("error"), lam2["error"], 1e-6)
        ok = ok and _close(lam.get("lo"), lam2["lo"], ESTIMATE_TOL) and _close(lam.get("hi"), lam2["hi"], ESTIMATE_TOL)
        rep.check("lambda_min_matches", ok and lam.get("rigorous") is False, [lam.get("estimate"), lam.get("error")],
                  f"stated estimate and error equal the recomputed {lam2['estimate']!r} +/- {lam2['error']:.3g} "
                  f"({cert.method}, labelled statistical)")
    for key in ("lemma_c1", "theorem_d5"):
        s, a = (cert.bounds or {}).get(key) or {}, again["bounds"][key]
        ok = s.get("applies") == a["applies"] and s.get("status") == a["status"] and _close(s.get("margin"), a["margin"], 1e-9)
        if key == "theorem_d5":
            ok = ok and all(_close((s.get("bound") or {}).get(e), a["bound"][e], 1e-9) for e in ("lo", "hi"))
        rep.check(f"{key}_matches", ok, s.get("status"),
                  f"stated applies/status/margin/bound equal the recomputed ({a['applies']}, {a['status']})")
    rep.check("ordered", cert.rho.get("lo", 1) <= cert.rho.get("hi", 0) and lam.get("lo", 1) <= lam.get("hi", 0),
              None, "every enclosure has lo <= hi")


#: the quadrature cross-check of a few recent instances (a float computation; the same inputs give the same numbers)
_QUADRATURE_CACHE: dict = {}


def _float_cross_check(rep, cert: NIMCCertificate) -> None:
    """An independent route for the proved case: the float population Hessian of the stored
    ``U*, V*`` by quadrature; its λ_min must lie in the stated enclosure (to 1e-12·scale)."""
    key = (cert.activation, cert.U_star.shape, cert.U_star.tobytes(), cert.V_star.tobytes())
    if key not in _QUADRATURE_CACHE:
        H, err, _ = P.quadrature_hessian(cert.U_star, cert.V_star, cert.activation)
        if len(_QUADRATURE_CACHE) >= 8:
            _QUADRATURE_CACHE.pop(next(iter(_QUADRATURE_CACHE)))
        _QUADRATURE_CACHE[key] = (float(np.linalg.eigvalsh(H)[0]), H.shape[0], err, float(np.abs(H).max()))
    lam, size, err, hmax = _QUADRATURE_CACHE[key]
    tol = 2 * size * err + 1e-12 * max(1.0, hmax)
    lo, hi = cert.lambda_min.get("lo", math.nan), cert.lambda_min.get("hi", math.nan)
    rep.check("lambda_min_quadrature", lo - tol <= lam <= hi + tol, lam,
              f"lambda_min of the quadrature Hessian of the stored U*, V* lies in [lo, hi] (+/- {tol:.2g})")


# ---------------------------------------------------------------------------------------------
# exact (interval) verification
# ---------------------------------------------------------------------------------------------


def _contains(lo, hi, ball, flint) -> str:
    """proved (the ball inside [lo, hi]), disproved (disjoint) or undecided."""
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in (lo, hi)):
        return "undecided"
    a, b = flint.arb(lo), flint.arb(hi)
    if ball.lower() >= a and ball.upper() <= b:
        return "proved"
    if ball.upper() < a or ball.lower() > b:
        return "disproved"
    return "undecided"


def _exact_orthonormal(M) -> Fraction:
    """``max |MᵀM − I|`` exactly (the floats taken at their binary values)."""
    Q = [[Fraction(float(x)) for x in row] for row in np.asarray(M, dtype=float)]
    d, k = len(Q), len(Q[0])
    worst = Fraction(0)
    for i in range(k):
        for j in range(i, k):
            s = sum((Q[p][i] * Q[p][j] for p in range(d)), Fraction(0)) - (1 if i == j else 0)
            worst = max(worst, abs(s))
    return worst


def _claims_moments(cert, flint) -> list:
    out = []
    digits = cert.digits
    for name in K.MOMENT_NAMES:
        st = cert.moments.get(name) or {}
        ball = K._moment_ball(cert.activation, *K._split(name), digits)
        v = _contains(st.get("lo"), st.get("hi"), ball, flint)
        out.append(kindfile.claim(f"moments.{name}", f"{name} in [lo, hi]", [st.get("lo"), st.get("hi")], v,
                                  f"Arb ball {ball.str(12, radius=True)} ({'inside' if v == 'proved' else v})"))
    rball = K.rho_ball(cert.activation, digits)
    v = _contains(cert.rho.get("lo"), cert.rho.get("hi"), rball, flint)
    out.append(kindfile.claim("rho", "rho in [lo, hi]", [cert.rho.get("lo"), cert.rho.get("hi")], v,
                              f"Arb ball {rball.str(15, radius=True)}"))
    return out


def _claim_orthonormal(cert) -> dict:
    worst = max(_exact_orthonormal(cert.U_star), _exact_orthonormal(cert.V_star))
    v = "proved" if worst <= Fraction(ORTHONORMAL_TOL) else "disproved"
    return kindfile.claim("instance.orthonormal", f"max |M^T M - I| <= {ORTHONORMAL_TOL:g} for U* and V* (the claims are "
                          "for their orthonormal polar factors)", True, v, f"exact value {float(worst):.3g}")


def _claims_lambda(cert, flint) -> list:
    lam = cert.lambda_min
    if not cert.rigorous:
        return [kindfile.claim("lambda_min", "lambda_min(H*) in [lo, hi]", [lam.get("lo"), lam.get("hi")],
                               "not a proof claim", f"statistical: {lam.get('error_kind')}")]
    proof = K.lambda_min_enclosure(cert.activation, cert.k, cert.d, cert.digits)
    e = proof.enclosure
    lo, hi = lam.get("lo"), lam.get("hi")
    if not (isinstance(lo, (int, float)) and isinstance(hi, (int, float))):
        v, why = "undecided", "no numeric enclosure stated"
    elif lo > e.hi or hi < e.lo:
        v, why = "disproved", f"lambda_min(H*) is in the proved [{e.lo!r}, {e.hi!r}], outside the stated enclosure"
    elif lo <= e.lo and hi >= e.hi:
        v, why = "proved", f"proved [{e.lo!r}, {e.hi!r}] ({proof.lower} / {proof.upper}) inside the stated enclosure"
    else:
        v, why = "undecided", f"the proved [{e.lo!r}, {e.hi!r}] is not inside the stated enclosure"
    return [kindfile.claim("lambda_min", "lambda_min(H*) in [lo, hi] for U*, V* with orthonormal columns",
                           [lo, hi], v, why)]


def _claims_bounds(cert, flint) -> list:
    out = []
    applies = K._beta11_is_zero(cert.activation, cert.digits)
    for key, statement in (("lemma_c1", _STATEMENT_C1), ("theorem_d5", _STATEMENT_D5)):
        b = (cert.bounds or {}).get(key) or {}
        if b.get("status") != "proved":
            out.append(kindfile.claim(key, statement, b.get("status"), "not a proof claim",
                                      f"status {b.get('status')!r}: a comparison with a statistical estimate (or none)"))
            continue
        if not (cert.rigorous and applies):
            v = "disproved" if not applies and not K._Balls(cert.activation, cert.digits).b11.contains(0) else "undecided"
            out.append(kindfile.claim(key, statement, "proved", v, "beta_11 = 0 is not proved exactly, or the "
                                      "estimate is statistical: the identity of Lemma C.1 does not apply"))
            continue
        why = "the identity of Lemma C.1 (beta_11 = 0 exactly)"
        v = "proved"
        if key == "theorem_d5":  # the bound equals rho for orthonormal polar factors: the stated bound must contain it
            bb = b.get("bound") or {}
            v = _contains(bb.get("lo"), bb.get("hi"), K.rho_ball(cert.activation, cert.digits), flint)
            why += f"; the bound is rho (lambda = kappa = 1), stated bound [{bb.get('lo')!r}, {bb.get('hi')!r}]: {v}"
        out.append(kindfile.claim(key, statement, "proved", v, why))
    return out


def verify_nimc_exact(cert: NIMCCertificate):
    """Every claim of a NIMC certificate in interval arithmetic (python-flint): ``instance.orthonormal``
    (exact rationals), ``moments.*`` and ``rho`` (the Arb ball inside the stated enclosure: proved;
    disjoint: disproved), ``lambda_min`` (proved case: the proved enclosure inside the stated one),
    ``lemma_c1`` and ``theorem_d5`` (status "proved": the identity of Lemma C.1); statistical
    parts and records are "not a proof claim".  The outcome is proved only if every proof claim is."""
    from .exact.report import ExactReport  # noqa: PLC0415

    if not isinstance(cert, NIMCCertificate):
        raise InputError(f"cert: expected an NIMCCertificate, got {type(cert).__name__}")
    flint = K._flint()
    t0 = time.perf_counter()
    float_report = cert.verify()
    claims = [_claim_orthonormal(cert)] if cert.rigorous else []
    try:
        with flint.ctx.workprec(K._prec_bits(cert.digits) + 30):
            claims += _claims_moments(cert, flint)
            claims += _claims_lambda(cert, flint)
            claims += _claims_bounds(cert, flint)
    except InputError as exc:  # an instance the checker cannot decide (e.g. k above MAX_K for 'moments')
        claims.append(kindfile.claim("instance", "an instance the checker can decide", None, "disproved", str(exc)))
    kindfile.agree_with_float(claims, float_report)
    claims += kindfile.records(cert)
    outcome, reason = kindfile.combine(claims)
    return ExactReport(outcome=outcome, reason=reason, claim="nimc-population-hessian", claims=claims,
                       seconds=time.perf_counter() - t0,
                       instance={"activation": cert.activation, "d": cert.d, "k": cert.k, "method": cert.method})
