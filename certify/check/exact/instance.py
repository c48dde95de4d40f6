"""Reading a certificate for the operator proof, and the rational instance it runs on.

Two exact versions of a certificate are made (module docstring of
:mod:`~certify.check.exact.operator_proof`, "How the rational instance is made"):

* *the certificate's own numbers* — the binary values of its floats, in its own scale
  (``X_b``, ``M*_b = Z_b Z_b^T``, ``H_b``, ``t_b``): every disproof witness is evaluated there;
* *the rational instance* — ``c X``, ``c^2 ZZ^T`` and ``t H`` recognized as small-denominator
  rationals or rounded to the dyadic grid (``X_q``, ``M*_q``, ``H_q``, ``t_q``): the proof runs there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

import numpy as np

from ...errors import InputError
from .psd import _psd
from .rational import _Q, _from_flat, _grid, _qd, _qstr, _rationalize, _recognize_scalar, _sym

__all__ = ["MAX_EXPLICIT_GRAM"]

#: an explicit operator is checked on its full ``n^2 x n^2`` Gram matrix up to this size
MAX_EXPLICIT_GRAM = 256


# ---------------------------------------------------------------------------------------------
# reading the certificate (floats)
# ---------------------------------------------------------------------------------------------
@dataclass
class _Read:
    """A certificate's operator and factors in the coordinates of the proof (floats)."""

    kind: str  # "explicit" | "compact"
    n: int
    d: int
    r: int
    r_star: int
    X: np.ndarray  # reduced (compact) or full, float
    Z: np.ndarray
    H: np.ndarray  # float Gram (reduced for compact), symmetric
    t: float
    complement: bool  # compact with n > d: identity block off the subspace
    basis: str
    A: np.ndarray | None = None  # explicit measurement matrices
    Q: np.ndarray | None = None  # compact: n x d basis of the reduced coordinates (None: identity)


def _read(operator, X, Z, domain) -> _Read:
    """The float data of the proof: a compact operator on its reduced instance, an explicit one
    with its full Gram matrix (none above ``MAX_EXPLICIT_GRAM``)."""
    from ..operators import CompactOperator, ExplicitOperator  # noqa: PLC0415 - NumPy only

    if isinstance(operator, CompactOperator):
        return _read_compact(operator, X, Z, domain)
    if isinstance(operator, ExplicitOperator):
        n = operator.n
        rip = operator.rip_constant(domain) if n * n <= MAX_EXPLICIT_GRAM else None
        H = operator.gram() if n * n <= MAX_EXPLICIT_GRAM else None
        return _Read("explicit", n, n, X.shape[1], Z.shape[1], X, Z, None if H is None else 0.5 * (H + H.T),
                     float("nan") if rip is None else rip.scale, False, "identity", A=operator.A)
    raise InputError(f"operator: expected an ExplicitOperator or a CompactOperator, got {type(operator).__name__}")


def _read_compact(operator, X, Z, domain) -> _Read:
    """A compact operator on ``(P^T X, P^T Z, Ĥ)``, or on ``orth([P, X, Z])`` when X, Z leave the
    range of ``P``."""
    P = operator.P
    n = operator.n
    resid = max(float(np.linalg.norm(M - P @ (P.T @ M))) / max(1.0, float(np.linalg.norm(M))) for M in (X, Z))
    if resid <= 1e-12:
        Xr, Zr = P.T @ X, P.T @ Z
        H = 0.5 * (operator.H_hat + operator.H_hat.T)
        d, basis, Q = operator.d, "P (the operator's basis)", P
    else:
        H, Xr, Zr, Q = operator.reduce(X, Z)
        d, basis = Q.shape[1], "orth([P, X, Z])"
    rip = operator.rip_constant(domain)
    return _Read("compact", n, d, X.shape[1], Z.shape[1], Xr, Zr, H, rip.scale, n > d, basis, Q=Q)


# ---------------------------------------------------------------------------------------------
# the two exact versions
# ---------------------------------------------------------------------------------------------
@dataclass
class _Instance:
    """The certificate's own numbers (``*b``, original scale) and the rational instance (``*s``,
    ``Hq``, ``tq``; scaled by ``c``) of one operator proof.  ``rounding``: how each array of the
    rational instance was made (the report's ``instance["rounding"]``)."""

    fl: object
    rd: _Read
    domain: str
    t: float  # the operator's optimal scale (1 when unknown)
    Xb: object
    Mb: object
    Hb: object
    tb: object
    c: float
    cq: object
    Xs: object
    Ms: object
    Hq: object
    tq: object
    rounding: dict

    @cached_property
    def c2(self):
        """``c_q^2`` (exact)."""
        return self.cq * self.cq

    @cached_property
    def Hbt(self):
        """``t_b H_b``: the certificate's operator scaled by ``t``, exactly."""
        return self.Hb * self.tb

    @property
    def coords(self) -> str:
        """What the entries of a direction ``U`` (``n x r``, or reduced) mean, for a witness."""
        rd = self.rd
        return ("vec of an n x r direction U (column-major)" if rd.kind == "explicit"
                else f"vec of a d x r direction U in the reduced basis {rd.basis} (the direction in R^(n x r) is P U)")

    def scale_section(self) -> dict:
        """The report's ``scale``."""
        return {"c": self.c, "c_exact": _qstr(self.cq),
                "note": "checks run on (c X, c^2 Z Z^T); mu is reported in the original scale"}

    def sink(self) -> dict:
        """The report's ``instance_q``: what the claim-by-claim verifier builds on."""
        return {"X": self.Xs, "M": self.Ms, "c": self.cq, "Q": self.rd.Q, "n": self.rd.n, "kind": self.rd.kind}

    def t_section(self) -> dict:
        """The report's ``instance["t"]``."""
        return _qd(self.tq)


def _build_instance(rd: _Read, domain: str, max_den: int, fl) -> _Instance:
    """Both exact versions of the certificate read as ``rd``."""
    t = rd.t if math.isfinite(rd.t) and rd.t > 0 else 1.0
    Xb, Mb, Hb = _certificate_numbers(rd, fl)
    c = _scale(rd)
    xs, src_x = _rationalize(c * rd.X, max_den)
    Xs = _from_flat(xs, rd.d, rd.r, fl)
    Ms, src_m = _rational_M(rd, c, max_den, fl)
    Hf = t * rd.H
    hs_, src_h = _rationalize(0.5 * (Hf + Hf.T), max_den)
    Hq = _sym(_from_flat(hs_, rd.d * rd.d, rd.d * rd.d, fl), fl)
    tr = _recognize_scalar(t, max_den)
    tq = _Q(tr if tr is not None else Fraction(t), fl)
    rounding = {"X": src_x, "M*": src_m, "tH": src_h, "t": "recognized" if tr is not None else "binary"}
    return _Instance(fl, rd, domain, t, Xb, Mb, Hb, _Q(t, fl), c, _Q(c, fl), Xs, Ms, Hq, tq, rounding)


def _certificate_numbers(rd: _Read, fl):
    """``(X_b, M*_b, H_b)``: the certificate's floats at their exact binary values (original scale;
    ``H_b = 𝐀^T𝐀`` exactly for an explicit operator, ``sym(Ĥ)`` for a compact one)."""
    Xb = _from_flat(rd.X.ravel(), rd.d, rd.r, fl)
    Zb = _from_flat(rd.Z.ravel(), rd.d, rd.r_star, fl)
    Mb = Zb * Zb.transpose()
    if rd.kind == "explicit":
        Am = np.stack([a.T.ravel() for a in rd.A])  # rows vec(A_i)^T (column-major)
        Aq = _from_flat(Am.ravel(), Am.shape[0], Am.shape[1], fl)
        Hb = Aq.transpose() * Aq
    else:
        Hb = _sym(_from_flat(rd.H.ravel(), rd.d * rd.d, rd.d * rd.d, fl), fl)
    return Xb, Mb, Hb


def _scale(rd: _Read) -> float:
    """``c = 1 / max |X_ij|`` (``1 / sqrt(max |ZZ^T|)`` when ``X = 0``)."""
    xmax = float(np.max(np.abs(rd.X)))
    return 1.0 / xmax if xmax > 0 else 1.0 / math.sqrt(float(np.max(np.abs(rd.Z @ rd.Z.T))))


def _rational_M(rd: _Read, c: float, max_den: int, fl):
    """``M*_q``: ``c^2 ZZ^T`` recognized as small-denominator rationals when that is PSD of rank
    ``<= r*`` (checked exactly), else ``Z_q Z_q^T`` with ``Z_q`` the dyadic rounding of ``cZ``.
    Returns ``(M*_q, how)``."""
    ms, src_m = _rationalize(c * c * (rd.Z @ rd.Z.T), max_den)
    if src_m == "recognized":
        Mcand = _sym(_from_flat(ms, rd.d, rd.d, fl), fl)
        okm, _, inert, _, _, _ = _psd(Mcand, fl, "ldlt")
        if okm and inert[0] <= rd.r_star:
            return Mcand, "recognized M*"
    zs = _grid((c * rd.Z).ravel())
    Zs = _from_flat(zs, rd.d, rd.r_star, fl)
    return Zs * Zs.transpose(), "dyadic Z (M* = Z_q Z_q^T)"
