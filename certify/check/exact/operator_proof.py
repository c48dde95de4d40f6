"""The operator proof: exact rational verification of BM-sensing certificates — **the trusted
part** of certify.

Everything else in the project (the SDPs, the solvers, the floating-point verifier of
:mod:`certify.check.format`) produces *evidence*; this module turns a certificate into a *proof*,
or refuses to.  It imports no solver, no cvxpy and no SciPy; every decision it takes is made in
exact rational arithmetic (python-flint's ``fmpq`` / ``fmpq_mat``, ``pip install 'certify[exact]'``).
NumPy is used to read the certificate's float arrays and to make *proposals* — the optimal
scaling ``t``, the reduced basis of a compact operator, the eigenvectors tried as witnesses, the
direction of the optional repair step — and every consequence of a proposal is re-checked
exactly, so no number computed in floating point is trusted.

What is proved
--------------
Conventions of docs/mathematics.md §1: ``f(X) = ||A(XX^T - M*)||^2 = e^T H e`` (no ½), ``e = vec(XX^T - M*)``,
``M* = ZZ^T``, ``H = 𝐀^T𝐀``, ``∇f = 2 𝐗^T H e``, ``∇²f = 2 (𝐗^T H 𝐗 + 2 [I_r ⊗ sym(mat(He))])``.

:func:`verify_exact` builds a rational instance ``(X_q, M*_q, H_q)`` next to the certificate's
floats and checks, exactly,

(i)   ``𝐗_q^T H_q e_q = 0``                               (first order: the gradient is zero);
(ii)  ``C^T ∇²f C - μ C^T C ⪰ 0``, ``C`` a rational basis of the orthogonal complement of the
      rotation directions ``{X Ω : Ω = -Ω^T}``            (second order; strict minimum if μ > 0);
(iii) ``(1 - δ) I ⪯ H_q ⪯ (1 + δ) I`` on all ``n x n`` matrices (or the symmetric ones with
      ``domain="symmetric"``; then the basis is not orthonormal either and the test is
      ``B^T H B ⪰ (1 - δ) B^T B`` and so on);
(iv)  ``e_q ≠ 0`` and ``f(X_q) = e_q^T H_q e_q > 0``        (X is spurious: ``X X^T ≠ M*``),

with rational ``δ`` slightly above the certificate's float δ and ``μ`` slightly below its claimed
curvature (``formulation["hess_min"]``; ``μ = 0`` exactly for a second-order-critical claim).
``H_q ⪰ (1 - δ) I ≻ 0`` is a Gram matrix, so ``H_q = 𝐀^T𝐀`` for some real measurement matrices:
**the result is a proof that a δ-RIP instance (in the convex sufficient sense of JMLR19 eq. 20)
exists at which X_q is a spurious second-order critical point, a strict local minimum (up to the
rotations X ↦ XR when r > 1) with Hessian ⪰ μ on the rotation complement when μ > 0.**

How the rational instance is made
---------------------------------
* *Reduction.*  An :class:`~certify.check.operators.ExplicitOperator` is used with its full Gram matrix
  (``n^2 x n^2``; refused, outcome "undecided", above ``n^2 = MAX_EXPLICIT_GRAM``).  A
  :class:`~certify.check.operators.CompactOperator` is used on its reduced instance ``(P^T X, P^T Z, Ĥ)``
  (or on ``orth([P, X, Z])`` when X, Z leave the range of P).  What is proved then is the reduced
  statement plus the lift: for **every** ``n >= d`` and every ``n x d`` ``P`` with orthonormal
  columns, ``H = 𝐏 Ĥ_q 𝐏^T + s (I - 𝐏𝐏^T)`` (``𝐏 = P ⊗ P``, ``s`` the rational scale ``t_q``)
  satisfies the same band when ``1 - δ <= s <= 1 + δ`` (checked, JMLR19 Lemma 9), ``X = P X_q``
  is critical, and the Hessian is block diagonal with the reduced block and
  ``4 s (X_q^T X_q ⊗ I_{n-d})`` on the directions ``P_⊥ W`` — so (ii) also checks
  ``4 s X_q^T X_q - μ I ⪰ 0`` exactly when ``n > d``.
* *Scale.*  δ and criticality are invariant under ``(X, Z) ↦ (cX, cZ)`` (gradient ×c³, Hessian
  ×c², f ×c⁴).  ``c = 1 / max |X_ij|`` (the binary value of that float, ``c_q``); the checks run on
  the scaled instance and μ is reported in the certificate's own scale: the proved instance in
  that scale is ``(X_q / c_q, M*_q / c_q^2, H_q)`` with Hessian ``⪰ μ_q``.
* *Rounding.*  ``cX``, ``c^2 ZZ^T`` and ``tH`` (each as a whole array) are first recognized as
  rationals of denominator ``<= max_den`` (continued fractions, ``Fraction.limit_denominator``),
  accepted only when every entry is reproduced to ``1e-13`` of the array's largest entry;
  otherwise each entry is rounded to the dyadic grid ``2^-GRID_BITS`` (80 bits) relative to the
  array's largest entry — the float's own value for every entry within a factor 2^27 of the
  largest, and bounded denominators always, so the exact arithmetic stays of bounded size.
  ``M*_q`` recognized that way must be PSD of rank ``<= r*`` (checked exactly); otherwise
  ``M*_q = Z_q Z_q^T`` with ``Z_q`` the dyadic rounding of ``cZ``.  This turns the published 2×2
  example into ``X = (0, 1)``, ``M* = diag(2, 0)``, ``H`` with entries 3/4, 1/2, ..., which is
  proved with δ = 1/2 and μ = 0 exactly.
* *First order.*  ``H_q`` is replaced by the symmetric matrix nearest to it (Frobenius) with
  ``𝐗^T H e = 0``: ``H_q + sym(w e^T)``, ``w = 𝐗 y``, ``G y = -𝐗^T H_q e`` with
  ``G = ½ ((𝐗^T𝐗) e^Te + (𝐗^Te)(𝐗^Te)^T)`` (solved exactly; consistent even when singular).
* *Relaxation.*  δ: the claimed float if it is a small-denominator rational and passes, else the
  simplest rational in ``[δ + rtol·max(1, δ), δ + 2 rtol·max(1, δ)]``.  μ (> 0): likewise, in
  ``[μ - 2 rtol·h, μ - rtol·h]``, ``h`` the Hessian's largest |eigenvalue|.
* *Repair (optional).*  A second-order critical point at an SDP optimum has a singular Hessian;
  after rounding its zero eigenvalue may be ``-1e-13``.  Then (and only when the failure is within
  rounding) the δ relaxation is spent: ``H`` moves by ``ε K`` with ``K`` the sum over the
  near-null Hessian directions ``u`` of the gradient of ``H ↦ u^T ∇²f u``
  (``2 w w^T + 2 (e b^T + b e^T)``, ``w = 𝐗u``, ``b = vec(U U^T)``), projected onto the
  first-order constraints, with ``||ε K||_2`` half the band's slack; the result is projected
  exactly again and all four checks are rerun.  This is a constructive step: the proved operator
  lies within ``1e-9`` of the certificate's, and the report says by how much.

PSD tests
---------
:func:`~certify.check.exact.psd.psd_test`: exact ``LDL^T`` with symmetric (diagonal) pivoting, robust to zero pivots (a zero
diagonal with a nonzero off-diagonal entry is indefinite; the all-zero Schur complement is PSD), with
a witness ``v`` (``v^T M v < 0``) built by back-substitution.  Above ``LDL_MAX`` rows (the
``n^2 x n^2`` band of an explicit operator) a Python ``LDL^T`` on rationals with thousands of digits is
slow, so: a matrix that is clearly definite in floating point is proved definite by rounding it to
a dyadic grid ``h`` and checking ``M_0 - (τ/2) I ⪰ 0`` exactly on the small-integer matrix, with
``||M - M_0||_2 <= N h / 2 <= τ/4`` by construction (Weyl); anything else gets the exact inertia from
the characteristic polynomial (FLINT's multimodular ``charpoly``; a real symmetric matrix has only
real eigenvalues, so Descartes' rule of signs is exact), and a witness from a float eigenvector
(evaluated exactly) or, failing that, from the ``LDL^T``.

Outcomes
--------
``proved`` — all four checks hold exactly.  ``disproved`` — a violation that is real: a witness
evaluated exactly on the certificate's own numbers (the binary values of its floats, original
scale; for a compact operator its reduced instance) — the descent direction ``-∇f`` when the
relative gradient exceeds ``1e-6``; a direction ``u`` on the rotation complement with
``u^T ∇²f u < μ u^T u`` by more than ``1e-6`` relative; two vectors whose exact Rayleigh quotients
force the optimally scaled RIP constant above the relaxed δ (no scaling ``t`` can help); or
``XX^T = ZZ^T`` (to ``1e-9`` relative).  ``undecided`` — a check failed only within rounding (or
the instance is too large); the reason says which.

Stages
------
:func:`verify_exact` normalizes ``(X, Z)`` by ``2^k`` and runs :func:`_verify_exact`, a sequence of
stages on one :class:`_Run` (each stage returns a report to stop, or None to go on):

1. :func:`_arguments`, :func:`_malformed_operator` — bad arguments raise
   :class:`~certify.errors.InputError`; a compact operator with ``P^T P ≠ I`` or ``Ĥ`` not symmetric
   is disproved; an explicit operator above ``MAX_EXPLICIT_GRAM`` is undecided.
2. the instance (:mod:`~certify.check.exact.instance`): the certificate's own numbers and the
   rational instance;
3. :func:`_stage_spurious` — (iv) ``X_q X_q^T ≠ M*_q``;
4. :func:`_stage_first_order` — (i) on the certificate's numbers: a real gradient is disproved with
   its witness; :func:`_stage_projection` — the exact first-order projection of ``H_q``;
5. :func:`_stage_candidates` — the candidate values of δ (μ: :func:`_mu_candidates`);
6. :func:`_stage_prove` — (iii) and (ii) on the projected operator (:func:`_attempt`, with
   :mod:`~certify.check.exact.conditions`), the repair step (:mod:`~certify.check.exact.repair`)
   when only (ii) fails within rounding, then :func:`_proved_report` or
   :func:`_classify_failure` (witnesses: :mod:`~certify.check.exact.witnesses`).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ...errors import InputError
from .conditions import _Attempt, _band, _hessian_check, _Tried
from .derivatives import _Deriv, _derivs, _project_first_order, _rotation_complement
from .instance import MAX_EXPLICIT_GRAM, _build_instance, _Instance, _read
from .rational import (
    _F,
    _Q,
    _entries,
    _float,
    _frob2,
    _qd,
    _qstr,
    _recognize_scalar,
    _sym_basis_exact,
    _to_np,
    flint,
    simplest_between,
)
from .repair import _repair
from .report import ExactReport, _undecided_report
from .witnesses import _first_order_witness, _hessian_witness, _isometry_witness

__all__ = ["verify_exact", "DISPROOF_RTOL", "SPURIOUS_RTOL"]

#: a violation larger than this (relative) is "real": outcome "disproved"; below it "undecided"
DISPROOF_RTOL = 1e-6
#: smallest ``||XX^T - ZZ^T|| / ||ZZ^T||`` accepted as spurious (as the float verifier)
SPURIOUS_RTOL = 1e-9


# ---------------------------------------------------------------------------------------------
# the entry point: 2^k normalization
# ---------------------------------------------------------------------------------------------
def verify_exact(operator, X, Z, delta, mu=None, *, domain: str = "all", rtol: float = 1e-9,
                 max_den: int = 10**6, repair: bool = True) -> ExactReport:
    """Prove (or disprove) exactly that ``X`` is a spurious second-order critical point — a strict
    local minimum with Hessian ``⪰ mu`` when ``mu > 0`` — of a ``delta``-RIP instance next to
    ``operator``.  See the module docstring for the procedure and what "proved" means.

    ``delta``: the claimed RIP constant (optimal scaling), in ``[0, 1)``.  ``mu``: ``None`` or a
    claimed lower bound ``>= 0`` on the Hessian on the rotation complement, in the instance's
    scale with the operator scaled by its optimal ``t`` (``formulation["hess_min"]``).
    ``rtol``: relaxation of δ and μ.  ``max_den``: largest denominator recognized.  ``repair``:
    allow the repair step for singular Hessians.  Bad arguments raise :class:`InputError`;
    without python-flint, :class:`ExactUnavailableError`.
    """
    from ...linalg import normalize_pair  # noqa: PLC0415 - argument validation (NumPy only)

    # δ and criticality are invariant under (X, Z) -> 2^k (X, Z) (exact in binary); the Hessian
    # scales by 4^k.  Work on the normalized instance (largest entry in [1/2, 1)) so that nothing
    # overflows or underflows, and report μ in the certificate's own scale.
    pair = normalize_pair(X, Z)
    k = pair.exponent
    mu_n = None
    if mu is not None:
        try:
            mu_n = math.ldexp(float(mu), 2 * k)
        except (TypeError, ValueError) as exc:
            raise InputError(f"mu: expected a number >= 0, got {mu!r}") from exc
        except OverflowError:
            mu_n = math.inf
    if not float(np.linalg.norm(pair.Zn.T @ pair.Zn)) > 0.0:
        return ExactReport("undecided", "Z Z^T underflows next to X (|Z| below about 1e-154 |X|): the instance cannot "
                           "be represented in double precision", "second-order-critical-point")
    sink: dict = {}
    report = _verify_exact(operator, pair.Xn, pair.Zn, delta, mu_n, domain=domain, rtol=rtol, max_den=max_den,
                           repair=repair, sink=sink)
    report.instance_q = sink.get("instance")
    if report.instance_q is not None:
        report.instance_q["k"] = k
    _rescale_mu(report, k, mu)
    return report


def _rescale_mu(report, k: int, mu) -> None:
    """μ of a report on the instance normalized by ``2^k`` -> the certificate's own scale (``4^-k``)."""
    f = Fraction(2) ** (-2 * k)
    if report.mu:
        q = Fraction(report.mu["exact"]) if "~" not in str(report.mu["exact"]) else None
        if q is not None:
            report.mu.update(exact=_qstr(q * f), float=_float(q * f))
        else:
            report.mu.update(float=report.mu["float"] * float(f) if f < 2**1000 else math.inf)
        report.mu["claimed"] = mu
        if k:
            report.mu["normalization"] = f"the checks ran on 2^{k} (X, Z); mu is reported in the certificate's scale"
    if report.proof:
        report.proof["mu"] = report.proof["mu"] * f
        report.proof["k"] = k
    _rescale_witness(report.witness, k, f)


def _rescale_witness(w, k: int, f: Fraction) -> None:
    """A witness is evaluated on the certificate's numbers times ``2^k``: back to its own scale
    (gradient ``2^-3k``, Hessian ``2^-2k``, f ``2^-4k``; ``f = 4^-k`` for μ)."""
    power = {"first_order": 3, "second_order": 2, "spurious": 4}.get((w or {}).get("check"))
    if power and k and "value" in w and "~" not in str(w["value"]):
        v = Fraction(w["value"]) * Fraction(2) ** (-power * k)
        w.update(value=_qstr(v, 4000), value_float=_float(v))
        if "mu_claimed" in w:
            w["mu_claimed"] = _qstr(Fraction(w["mu_claimed"]) * f) if "~" not in w["mu_claimed"] else w["mu_claimed"]


# ---------------------------------------------------------------------------------------------
# the state of one run
# ---------------------------------------------------------------------------------------------
@dataclass
class _Run:
    """One run of :func:`_verify_exact`: the arguments, the instance, the report's sections as the
    stages fill them, and what each stage hands on to the next."""

    delta: float
    mu: float | None
    rtol: float
    max_den: int
    repair: bool
    t0: float
    inst: _Instance
    checks: dict  # the report's "checks"
    instance: dict  # the report's "instance"
    scale: dict  # the report's "scale"
    # handed on by the stages
    Eb: object = None  # X_b X_b^T - M*_b (spurious), the certificate's numbers
    rel_E: float = math.inf  # ||X_q X_q^T - M*_q|| / ||M*_q|| (spurious)
    grad_rel: float = math.inf  # relative gradient on the certificate's numbers (first order)
    ds: _Deriv | None = None  # derivatives at H_q, before the projection (first order)
    H1: object = None  # H_q projected onto the first-order constraints
    repair_info: dict | None = None  # the report's "repair"
    d_cands: list = field(default_factory=list)  # [(δ, relaxed)], in the order tried
    d_relaxed: Fraction | None = None  # the relaxed δ (None: too close to 1)
    C: object = None  # rational basis of the rotation complement of X_q

    @property
    def fl(self):
        """The python-flint module."""
        return self.inst.fl

    @property
    def strict(self) -> bool:
        """A strict-local-minimum claim (μ > 0)."""
        return self.mu is not None and self.mu > 0.0

    @property
    def claim(self) -> str:
        """The report's ``claim``."""
        return _claim_of(self.mu)

    def seconds(self) -> float:
        """Time since the run started."""
        return time.perf_counter() - self.t0


def _claim_of(mu) -> str:
    """``"strict-local-minimum"`` when μ > 0, else ``"second-order-critical-point"``."""
    return "strict-local-minimum" if mu is not None and mu > 0.0 else "second-order-critical-point"


def _new_checks() -> dict:
    """The report's four checks, none reached yet."""
    return {
        "first_order": {"label": "i", "passed": None, "detail": "grad f(X) = 2 X^T H e = 0 exactly"},
        "second_order": {"label": "ii", "passed": None, "detail": "C^T (Hessian - mu I) C >= 0 on the rotation complement"},
        "isometry": {"label": "iii", "passed": None, "detail": "(1 - delta) I <= H <= (1 + delta) I"},
        "spurious": {"label": "iv", "passed": None, "detail": "X X^T != Z Z^T and f(X) > 0"},
    }


# ---------------------------------------------------------------------------------------------
# the procedure, stage by stage
# ---------------------------------------------------------------------------------------------
def _verify_exact(operator, X, Z, delta, mu, *, domain, rtol, max_den, repair, sink) -> ExactReport:
    """:func:`verify_exact` on the normalized instance, as a sequence of stages (module docstring,
    "Stages"); ``sink["instance"]`` receives the rational instance once it is built."""
    t0 = time.perf_counter()
    fl = flint()
    X, Z, delta, mu = _arguments(operator, X, Z, delta, mu, domain, rtol)
    malformed = _malformed_operator(operator, _claim_of(mu), t0)
    if malformed is not None:
        return malformed
    rd = _read(operator, X, Z, domain)
    instance = {"n": rd.n, "r": rd.r, "r_star": rd.r_star, "operator": rd.kind, "d": rd.d, "basis": rd.basis,
                "domain": domain, "lift": rd.complement}
    if rd.kind == "explicit" and rd.n * rd.n > MAX_EXPLICIT_GRAM:
        return _undecided_report(
            f"explicit operator with n = {rd.n}: its n^2 x n^2 = {rd.n**2}^2 Gram matrix exceeds the exact checker's limit "
            f"n^2 <= {MAX_EXPLICIT_GRAM} (use a compact operator)", t0, claim=_claim_of(mu), instance=instance)
    inst = _build_instance(rd, domain, max_den, fl)
    instance["rounding"] = inst.rounding
    sink["instance"] = inst.sink()
    instance["t"] = inst.t_section()
    run = _Run(delta, mu, rtol, max_den, repair, t0, inst, _new_checks(), instance, inst.scale_section())
    for stage in (_stage_spurious, _stage_first_order, _stage_projection, _stage_candidates):
        report = stage(run)
        if report is not None:
            return report
    return _stage_prove(run)


def _arguments(operator, X, Z, delta, mu, domain, rtol):
    """Validate the arguments (:class:`InputError`); returns ``(X, Z, delta, mu)`` as arrays and floats."""
    from ...linalg import as_factor  # noqa: PLC0415 - argument validation (NumPy only)
    from ..operators import CompactOperator, ExplicitOperator  # noqa: PLC0415 - NumPy only

    if not isinstance(operator, (CompactOperator, ExplicitOperator)):
        raise InputError(f"operator: expected an ExplicitOperator or a CompactOperator, got {type(operator).__name__}")
    X = as_factor(X, "X")
    Z = as_factor(Z, "Z")
    if X.shape[0] != Z.shape[0]:
        raise InputError(f"X, Z: must have the same number of rows, got {X.shape[0]} and {Z.shape[0]}")
    if getattr(operator, "n", None) != X.shape[0]:
        raise InputError(f"X, Z: expected {getattr(operator, 'n', '?')} rows to match the operator, got {X.shape[0]}")
    if domain not in ("all", "symmetric"):
        raise InputError(f"domain: expected 'all' or 'symmetric', got {domain!r}")
    try:
        delta = float(delta)
    except (TypeError, ValueError) as exc:
        raise InputError(f"delta: expected a number in [0, 1), got {delta!r}") from exc
    if not (0.0 <= delta < 1.0):
        raise InputError(f"delta: expected a number in [0, 1), got {delta!r}")
    if mu is not None:
        try:
            mu = float(mu)
        except (TypeError, ValueError) as exc:
            raise InputError(f"mu: expected a number >= 0, got {mu!r}") from exc
        if not (math.isfinite(mu) and mu >= 0.0):
            raise InputError(f"mu: a curvature claim must be a finite number >= 0, got {mu!r}")
    if not (0.0 < rtol < 1e-3):
        raise InputError(f"rtol: expected 0 < rtol < 1e-3, got {rtol!r}")
    if not float(np.linalg.norm(Z)) > 0.0:
        raise InputError("Z: the ground truth is zero")
    return X, Z, delta, mu


def _malformed_operator(operator, claim, t0) -> ExactReport | None:
    """A compact operator must have orthonormal ``P`` and symmetric ``Ĥ`` (the lift of JMLR19
    Lemma 9): else "disproved" (``operator_well_formed``)."""
    from ..operators import CompactOperator  # noqa: PLC0415 - NumPy only

    if not isinstance(operator, CompactOperator):
        return None
    err = CompactOperator.orthonormality_error(operator.P)
    Hh = operator.H_hat
    asym = float(np.max(np.abs(Hh - Hh.T))) / max(1.0, float(np.max(np.abs(Hh)))) if Hh.size else 0.0
    if err > 1e-8 or asym > 1e-8:
        return ExactReport(
            "disproved", f"malformed compact operator: max |P^T P - I| = {err:.2g}, relative asymmetry of H_hat "
            f"{asym:.2g} (the lift of JMLR19 Lemma 9 needs orthonormal P and symmetric H_hat)", claim,
            witness={"check": "operator_well_formed", "value": f"{max(err, asym):.3g}"},
            seconds=time.perf_counter() - t0)
    return None


def _stage_spurious(run: _Run) -> ExactReport | None:
    """(iv), first part: ``X_q X_q^T ≠ M*_q`` by more than ``SPURIOUS_RTOL`` (relative); else X is
    a global minimum: "disproved", with ``||X X^T - Z Z^T||_F^2`` on the certificate's numbers.
    (``f(X) > 0`` is checked with the rest, on the projected operator.)"""
    inst = run.inst
    Es = inst.Xs * inst.Xs.transpose() - inst.Ms
    nE2, nM2 = _frob2(Es), _frob2(inst.Ms)
    run.rel_E = math.sqrt(float(nE2) / float(nM2)) if nM2 != 0 else math.inf
    run.Eb = inst.Xb * inst.Xb.transpose() - inst.Mb
    if not (nE2 == 0 or run.rel_E < SPURIOUS_RTOL):
        return None
    rel_E, Eb = run.rel_E, run.Eb
    run.checks["spurious"].update(
        passed=False, value=_qstr(_frob2(Eb)), value_float=float(_frob2(Eb)),
        detail=f"||X X^T - Z Z^T|| / ||Z Z^T|| = {rel_E:.3g} < {SPURIOUS_RTOL:g}: X is a global minimum")
    return ExactReport("disproved", f"X is not spurious: X X^T = Z Z^T (relative {rel_E:.2g})", run.claim,
                       checks=run.checks, scale=run.scale, instance=run.instance,
                       witness={"check": "spurious", "value": _qstr(_frob2(Eb)),
                                "coordinates": "||X X^T - Z Z^T||_F^2, certificate's numbers"},
                       seconds=run.seconds())


def _stage_first_order(run: _Run) -> ExactReport | None:
    """(i) on the certificate's own numbers: a relative gradient above ``DISPROOF_RTOL`` is real —
    "disproved" with the descent direction ``-∇f`` as witness.  Below it the gradient is removed
    by the projection (:func:`_stage_projection`)."""
    inst = run.inst
    rd = inst.rd
    db = _derivs(inst.Xb, inst.Mb, inst.Hbt, run.fl, hessian=False)
    lam_max = max(abs(float(inst.t) * v) for v in np.linalg.eigvalsh(rd.H)) if rd.H is not None else 1.0
    gnorm = 2.0 * math.sqrt(float(_frob2(db.g)))
    denom = 4.0 * lam_max * math.sqrt(float(_frob2(run.Eb))) * max(float(np.linalg.norm(rd.X, 2)), 1e-300)
    grad_rel = run.grad_rel = gnorm / denom if denom > 0 else math.inf
    if not grad_rel > DISPROOF_RTOL:
        return None
    v, val, witness = _first_order_witness(inst, db)
    run.checks["first_order"].update(passed=False, value=_qstr(_frob2(db.g) * 4), value_float=gnorm,
                                     relative=grad_rel, detail=f"relative gradient {grad_rel:.3g} > {DISPROOF_RTOL:g}")
    return ExactReport(
        "disproved", f"X is not a critical point: relative gradient {grad_rel:.3g} (<grad f, v> = {float(_F(val)):.3g} < 0 "
        "along the witness v)", run.claim, checks=run.checks, violating_vector=v, witness=witness,
        scale=run.scale, instance=run.instance, seconds=run.seconds())


def _stage_projection(run: _Run) -> ExactReport | None:
    """(i) made exact: ``H_q`` -> ``H1``, the nearest symmetric matrix with ``𝐗^T H e = 0``
    (:func:`~certify.check.exact.derivatives._project_first_order`)."""
    inst = run.inst
    run.ds = _derivs(inst.Xs, inst.Ms, inst.Hq, run.fl, hessian=False)
    run.H1, corr2 = _project_first_order(inst.Hq, run.ds, run.fl)
    if run.H1 is None:
        return _undecided_report("the exact first-order projection found an inconsistent system", run.t0,
                                 claim=run.claim, checks=run.checks, scale=run.scale, instance=run.instance)
    nH = math.sqrt(float(_frob2(inst.Hq)))
    run.repair_info = {"projection_rel": math.sqrt(float(corr2)) / nH if nH > 0 else 0.0,
                       "projection": "nearest symmetric H (Frobenius) with X^T H e = 0", "nudge": None}
    return None


def _stage_candidates(run: _Run) -> ExactReport | None:
    """The candidate values of δ, in the order tried: the claim itself when it is a small-denominator
    rational and ``tH`` was recognized exactly (a tight band can only hold exactly for exact data),
    then the simplest rational in ``[δ + rtol·max(1, δ), δ + 2 rtol·max(1, δ)]`` (when below 1)."""
    delta, rtol = run.delta, run.rtol
    drec = _recognize_scalar(delta, run.max_den)
    if drec is not None and run.inst.rounding["tH"] == "recognized":
        run.d_cands.append((drec, False))
    dF, m = Fraction(delta), max(1.0, delta)
    d_relaxed = simplest_between(dF + Fraction(rtol) * Fraction(m), dF + 2 * Fraction(rtol) * Fraction(m))
    if d_relaxed < 1:
        run.d_relaxed = d_relaxed
        run.d_cands.append((d_relaxed, True))
    if not run.d_cands:
        return _undecided_report(f"delta = {delta!r} is too close to 1 to relax", run.t0, claim=run.claim,
                                 instance=run.instance)
    return None


def _mu_candidates(run: _Run, hs_orig: float) -> list:
    """The candidate values of μ (certificate's scale), in the order tried: 0 for a
    second-order-critical claim; else the claim when it is a small-denominator rational, then the
    simplest rational in ``[μ - 2 rtol·h, μ - rtol·h]`` (``h``: the Hessian's scale ``hs_orig``, at
    least μ; ``[μ/2, μ (1 - rtol)]`` when that reaches 0)."""
    if not run.strict:
        return [(Fraction(0), False)]
    out = []
    mrec = _recognize_scalar(run.mu, run.max_den)
    if mrec is not None and mrec > 0:
        out.append((mrec, False))
    muF, rtol = Fraction(run.mu), Fraction(run.rtol)
    h = Fraction(max(hs_orig, run.mu))
    lo, hi = muF - 2 * rtol * h, muF - rtol * h
    if lo <= 0:
        lo, hi = muF / 2, muF * (1 - rtol)
    out.append((simplest_between(lo, hi), True))
    return out


# ---------------------------------------------------------------------------------------------
# the checks on the projected operator
# ---------------------------------------------------------------------------------------------
def _attempt(run: _Run, Hc, relaxed_only: bool = False) -> _Attempt:
    """(i)-(iv) exactly on one projected candidate operator ``Hc``: the gradient, the band (iii)
    with the first candidate δ that passes (relaxed ones only after a repair step), the Hessian
    (ii) with the first candidate μ that passes, and ``f``."""
    inst, fl = run.inst, run.fl
    d1 = _derivs(inst.Xs, inst.Ms, Hc, fl, hessian=True)
    grad_zero = all(x == 0 for x in d1.g.entries())
    band = None
    B = None if inst.domain == "all" else _sym_basis_exact(inst.rd.d, fl)
    for dq, relaxed in run.d_cands:
        if relaxed_only and not relaxed:
            continue
        ok, info = _band(Hc, _Q(dq, fl), inst.tq, inst.rd.complement, B, fl)
        band = _Tried(ok, dq, relaxed, info)
        if ok:
            break
    hs_scaled = _hessian_scale(run, d1)
    hess = None
    for mq, relaxed in _mu_candidates(run, hs_scaled / float(inst.c2)):
        ok, info = _hessian_check(d1.hess, run.C, _Q(mq, fl) * inst.c2, inst.Xs, inst.tq, inst.rd.complement, fl)
        hess = _Tried(ok, mq, relaxed, info)
        if ok:
            break
    return _Attempt(d1, grad_zero, band, hs_scaled, hess)


def _hessian_scale(run: _Run, d1: _Deriv) -> float:
    """The Hessian's largest |eigenvalue| on the rotation complement (floats; the generalized
    problem with ``C^T C``), and ``4 t λ_max(X^T X)`` for the complement block of a lift: the
    scale of the μ relaxation and of "relative" in a Hessian witness."""
    inst, C = run.inst, run.C
    hf = _to_np(C.transpose() * d1.hess * C)
    ctc = _to_np(C.transpose() * C)
    try:
        L = np.linalg.cholesky(ctc)
        Li = np.linalg.inv(L)
        lam = np.linalg.eigvalsh(Li @ hf @ Li.T)
    except np.linalg.LinAlgError:
        lam = np.linalg.eigvalsh(hf)
    hs_scaled = float(np.max(np.abs(lam))) if lam.size else 0.0
    if inst.rd.complement:
        xtx = _to_np(inst.Xs.transpose() * inst.Xs)
        hs_scaled = max(hs_scaled, 4.0 * float(inst.tq) * float(np.max(np.linalg.eigvalsh(xtx))))
    return hs_scaled


def _stage_prove(run: _Run) -> ExactReport:
    """(ii)-(iv) on the projected operator ``H1``; when only (ii) fails, and only within rounding,
    the repair step and all checks again; then the verdict: :func:`_proved_report` or
    :func:`_classify_failure`."""
    run.C = _rotation_complement(run.inst.Xs, run.fl)
    res, final_H = _attempt(run, run.H1), run.H1
    fails = res.failures()
    if fails == ["second_order"] and run.repair:
        repaired = _stage_repair(run, res)
        if repaired is not None:
            res, final_H = repaired
            fails = []
    _fill_checks(run, res)
    common = _common_sections(run, res)
    if not fails:
        return _proved_report(run, res, final_H, common)
    return _classify_failure(run, res, fails, common)


def _stage_repair(run: _Run, res: _Attempt):
    """The repair step (:mod:`~certify.check.exact.repair`), tried when the Hessian fails only
    within rounding (relative ``>= -DISPROOF_RTOL``) and δ can be relaxed.  Records the step in
    ``repair_info["nudge"]``; returns ``(attempt, H)`` when every check then passes, else None."""
    w = _hessian_witness(run.inst, res, run.C, run.mu, run.strict)
    if not (w["relative"] >= -DISPROOF_RTOL and run.d_relaxed is not None):
        return None
    nudged = _repair(run.inst, res, run.H1, run.C, run.ds, run.d_relaxed,
                     lambda H: _attempt(run, H, relaxed_only=True))
    if nudged is None:
        return None
    res2, H3, info = nudged
    run.repair_info["nudge"] = info
    info["succeeded"] = not res2.failures()
    return (res2, H3) if info["succeeded"] else None


# ---------------------------------------------------------------------------------------------
# the verdict
# ---------------------------------------------------------------------------------------------
def _fill_checks(run: _Run, res: _Attempt) -> None:
    """The report's four checks from the final attempt."""
    checks, fl, c2 = run.checks, run.fl, run.inst.c2
    g = res.deriv.g
    checks["first_order"].update(passed=res.grad_zero, value="0" if res.grad_zero else _qstr(_frob2(g)),
                                 value_float=0.0 if res.grad_zero else float(_frob2(g)),
                                 relative_certificate=run.grad_rel,
                                 detail="grad f(X) = 0 exactly after the exact first-order projection "
                                        f"(relative correction {run.repair_info['projection_rel']:.2g})")
    ok, dq, info = res.band.ok, res.band.value, res.band.info
    domain = "all" if run.inst.domain == "all" else "symmetric"
    checks["isometry"].update(passed=ok, value=info["lower"]["min_pivot"], upper_min_pivot=info["upper"]["min_pivot"],
                              value_float=info["lower"]["min_pivot_float"], delta=_qstr(dq), method=info["method"],
                              inertia_lower=info["lower"]["inertia"], inertia_upper=info["upper"]["inertia"],
                              complement_scale_in_band=info["complement_scale_in_band"],
                              detail=f"(1 - delta) I <= H <= (1 + delta) I on {domain} "
                                     f"matrices, delta = {_qstr(dq)}; value: smallest LDL^T pivot of H - (1 - delta) I "
                                     "(inertia only above LDL_MAX)")
    mq, hinfo = res.hess.value, res.hess.info
    mp, block = hinfo["min_pivot"], hinfo["block"]
    checks["second_order"].update(
        passed=res.hess.ok, value=None if mp is None else _qstr(mp), value_float=None if mp is None else float(_F(mp)),
        method=hinfo["method"], inertia=hinfo["inertia"], mu_scaled=_qstr(_Q(mq, fl) * c2),
        complement_block=None if block is None else {"psd": block["psd"], "min_pivot": block["min_pivot"]},
        detail=f"C^T Hess C - mu C^T C >= 0 (scaled instance, mu = {_qstr(_Q(mq, fl) * c2)}); value: smallest LDL^T pivot")
    checks["spurious"].update(passed=bool(res.f > 0), value=_qstr(res.f), value_float=float(_F(res.f)),
                              relative_distance=run.rel_E, detail="f(X) = e^T H e > 0 and X X^T != Z Z^T (scaled instance)")


def _common_sections(run: _Run, res: _Attempt) -> dict:
    """The report's sections shared by every verdict after the checks: claim, δ, μ, checks, scale,
    instance, repair."""
    fl = run.fl
    delta_d = {**_qd(_Q(res.band.value, fl)), "claimed": run.delta, "relaxed": bool(res.band.relaxed)}
    mu_d = {**_qd(_Q(res.hess.value, fl)), "claimed": run.mu, "relaxed": bool(res.hess.relaxed),
            "scale": "the certificate's scale (operator scaled by t, X and Z as stored)"}
    return dict(claim=run.claim, delta=delta_d, mu=mu_d, checks=run.checks, scale=run.scale, instance=run.instance,
                repair=run.repair_info)


def _proved_report(run: _Run, res: _Attempt, final_H, common: dict) -> ExactReport:
    """"proved": the statement, how close the proved instance is to the certificate, and the
    proved rational instance (``proof``)."""
    inst, fl = run.inst, run.fl
    rd, dq, mq = inst.rd, res.band.value, res.hess.value
    what = ("a spurious strict local minimum" + (" (up to rotations)" if rd.r > 1 else "") if run.strict
            else "a spurious second-order critical point")
    lift = f"; lifted from d = {rd.d} to every n >= {rd.d}" if rd.kind == "compact" and rd.complement else ""
    nudge = run.repair_info["nudge"]
    repaired = " after a repair step" if nudge and nudge.get("succeeded") else ""
    reason = (f"X is {what} of a {_qstr(dq)}-RIP operator (Hessian >= {_qstr(mq)} on the rotation complement)"
              f"{repaired}{lift}")
    run.instance["closeness"] = _closeness(inst, final_H)
    proof = {"X": _fractions(inst.Xs), "M": _fractions(inst.Ms), "H": _fractions(final_H), "t": _F(inst.tq),
             "delta": _F(dq), "mu_scaled": _F(_Q(mq, fl) * inst.c2), "mu": _F(mq), "c": _F(inst.cq), "lift": rd.complement}
    return ExactReport("proved", reason, **common, seconds=run.seconds(), proof=proof)


def _fractions(M) -> list:
    """fmpq_mat -> nested lists of Fractions."""
    return [[_F(x) for x in row] for row in _entries(M)]


def _closeness(inst: _Instance, final_H) -> dict:
    """Relative Frobenius distances of the proved instance to the certificate's."""
    rd, c = inst.rd, inst.c
    XsF, MsF, HF = _to_np(inst.Xs) / c, _to_np(inst.Ms) / (c * c), _to_np(final_H)
    ZZ = rd.Z @ rd.Z.T
    tHf = inst.t * rd.H
    return {
        "X": float(np.linalg.norm(XsF - rd.X) / max(np.linalg.norm(rd.X), 1e-300)),
        "ZZ^T": float(np.linalg.norm(MsF - ZZ) / max(np.linalg.norm(ZZ), 1e-300)),
        "tH": float(np.linalg.norm(HF - tHf) / max(np.linalg.norm(tHf), 1e-300)),
        "note": "relative Frobenius distances of the proved instance (X_q / c, M*_q / c^2, H) to the certificate's "
                "(X, Z Z^T, t H), reduced coordinates for a compact operator",
    }


def _classify_failure(run: _Run, res: _Attempt, fails: list, common: dict) -> ExactReport:
    """A failed check: real ("disproved", with a witness on the certificate's numbers) or only
    rounding ("undecided", the reason says which)."""
    if "spurious" in fails:
        return ExactReport("disproved", "f(X) <= 0 for the projected operator", **common, seconds=run.seconds())
    if "first_order" in fails:  # cannot happen after the exact projection
        return ExactReport("undecided", "the gradient is not exactly zero after the projection", **common,
                           seconds=run.seconds())
    noise = []
    if "isometry" in fails:
        report = _isometry_failure(run, common, noise)
        if report is not None:
            return report
    if "second_order" in fails:
        report = _second_order_failure(run, res, common, noise)
        if report is not None:
            return report
    return ExactReport("undecided", "; ".join(noise), **common, seconds=run.seconds())


def _isometry_failure(run: _Run, common: dict, noise: list) -> ExactReport | None:
    """(iii) failed: "disproved" when two exact Rayleigh quotients force the RIP constant of the
    certificate's operator above the relaxed δ for every scaling; else a note in ``noise``."""
    lb, wit = _isometry_witness(run.inst)
    bound = run.d_relaxed if run.d_relaxed is not None else Fraction(run.delta)
    if _F(lb) > bound:
        return ExactReport("disproved", f"the operator's RIP constant is at least {float(_F(lb)):.9g} > {float(bound):.9g} "
                           f"(claimed {run.delta!r})", **common, violating_vector=wit["vectors"][1], witness=wit,
                           seconds=run.seconds())
    noise.append(f"the isometry band fails only within rounding (exact lower bound on delta {float(_F(lb)):.12g}, "
                 f"relaxed delta {float(bound):.12g}; first-order correction {run.repair_info['projection_rel']:.2g})")
    return None


def _second_order_failure(run: _Run, res: _Attempt, common: dict, noise: list) -> ExactReport | None:
    """(ii) failed: "disproved" when a direction on the rotation complement (or the lift's block)
    is below μ by more than ``DISPROOF_RTOL`` (relative); else a note in ``noise``."""
    w = _hessian_witness(run.inst, res, run.C, run.mu, run.strict)
    if w["relative"] < -DISPROOF_RTOL:
        return ExactReport("disproved", f"the Hessian is not >= mu on the rotation complement: u^T (Hess - mu) u = "
                           f"{w['value_float']:.3g} (relative {w['relative']:.2g})", **common,
                           violating_vector=w["vector"], witness=w, seconds=run.seconds())
    why = "no repair attempted" if not run.repair else (
        "the repair step did not help" if run.repair_info["nudge"] else "no repair possible")
    noise.append(f"the Hessian condition fails only within rounding (relative {w['relative']:.2g}; {why})")
    return None
