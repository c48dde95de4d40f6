"""The orthogonal family at the sharp overparameterized threshold: the point, its symmetry-reduced
SDPs, and its exact certificate over ``Q(√(r r*))``.

The family (REFERENCE §1.1): ``Z = [e_1 … e_{r*}]``, ``X = a [e_{r*+1} … e_{r*+r}]`` in ``R^d``,
``d = r + r*``, ``a² = √r* / (√r + √r*)``.  Write ``p = r*``, ``q = r``, ``A`` the first ``p``
coordinates and ``B`` the last ``q``.

Symmetry.  ``g = diag(Q₁, Q₂) ∈ O(p) × O(q)`` maps ``(X, Z)`` to ``(X Q₂, Z Q₁)``, the same instance,
so the feasible set of ``LMI(X, Z)`` is invariant under ``H ↦ (g ⊗ g) H (g ⊗ g)^T`` and (averaging)
has an invariant optimal point.  Under ``O(p) × O(q)`` the symmetric matrices split into
``span(I_A) ⊕ span(I_B)`` (the trivial representation, twice), ``Sym₀(A)``, ``Sym₀(B)`` (traceless)
and ``C`` (the off-diagonal ``A × B`` block), all irreducible and pairwise inequivalent, so an
invariant ``H`` is a ``2 x 2`` block ``T`` on ``(u₁, u₂) = (vec I_A / √p, vec I_B / √q)`` and three
scalars ``h_A, h_B, h_C`` — six numbers.  The Hessian directions ``U = [U_A; U_B]`` split likewise
(``U_A``: std ⊗ std; ``U_B``: trivial, ``Sym₀``, skew = the rotations).  :class:`FamilySDP` builds the
reduced SDP *numerically from the full-size formulas* (every coefficient is a trace of a full
``LMI(X, Z)`` matrix against a block projector, and the block structure is checked to rounding),
solves it (a handful of variables, ``2 x 2`` LMIs) and lifts the primal and dual solutions to a
full certificate ``(Ĥ on R^{d² x d²}, y, V)`` that the kernel verifies like any other.

Closed form (every ``(r, r*)``; proved per instance by the exact kernel, and symbolically in
``docs/atlas.md``): with ``δ = 1/(1 + √(r*/r)) = (r - √(r r*)) / (r - r*)``, the operator
``T = [[1, δ], [δ, 1]]``, ``h_C = 1 + δ``, ``h_A = h_B = 1`` (free: any value in the band works; the
interior-point solver returns the centre of that face) and the identity on antisymmetric matrices
makes ``X`` a spurious second-order critical point; the dual point ``y = -(r* + √(r r*)) vec(X)``
(instance scaled to ``X = [0; I_r]``), ``V`` the projector onto the ``U_A`` directions and
``P = (v^T G v) v v^T``, ``v = (u₁ - u₂)/√2``, certifies ``δ(X, Z) >= δ``.  In ``vec`` coordinates ``Ĥ``
is the identity except ``Ĥ[(i,i),(j,j)] = δ/√(r r*)`` (``i ∈ A``, ``j ∈ B``) and the ``2 x 2`` blocks
``[[1 + δ/2, δ/2], [δ/2, 1 + δ/2]]`` on ``(vec E_ij, vec E_ji)``; raising those blocks to ``δ₁`` gives a
strict spurious minimum at ``δ₁``.  :func:`threshold_certificate` writes this as an
:class:`~certify.check.exact.algebraic.AlgebraicCertificate` over ``Q(√(r r*))``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..check.duality import dual_lower_bound, lmi_data, project_first_order, second_order_matrix
from ..check.operators import CompactOperator
from ..errors import InputError, SolverError
from ..linalg import sym, vec
from ..options import integer

__all__ = ["sharp_family", "sufficient_condition", "published_counterexample", "threshold_certificate",
           "FamilySDP", "ReducedSolution", "family_delta", "family_curvature", "STRICT_MARGIN", "DiagonalFamilySDP",
           "diagonal_search"]

#: δ₁ - δ of the strict certificates above the threshold
STRICT_MARGIN = Fraction(1, 100)


def _ranks(r, r_star) -> tuple[int, int]:
    r = integer(r, "r", lo=1)
    r_star = integer(r_star, "r_star", lo=1)
    if r_star > r:
        raise InputError(f"r_star: expected an integer r* <= r (got r = {r}, r* = {r_star})")
    return r, r_star


def sufficient_condition(r: int, r_star: int) -> float:
    """``1/(1 + √(r*/r))``: no spurious second-order critical point below it (R. Y. Zhang 2021)."""
    r, r_star = _ranks(r, r_star)
    return 1.0 / (1.0 + math.sqrt(r_star / r))


def published_counterexample(r: int, r_star: int) -> float:
    """``1/(1 + 1/√(r − r* + 1))``: published counterexamples exist at and above it (R. Y. Zhang 2021)."""
    r, r_star = _ranks(r, r_star)
    return 1.0 / (1.0 + 1.0 / math.sqrt(r - r_star + 1))


def sharp_family(r: int, r_star: int, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The family point ``(X, Z)`` in ``R^n`` (default ``n = r + r*``): ``Z = [e_1 … e_{r*}]``,
    ``X = a [e_{r*+1} … e_{r*+r}]``, ``a² = √r* / (√r + √r*)``."""
    r, r_star = _ranks(r, r_star)
    n = r + r_star if n is None else integer(n, "n", lo=r + r_star)
    a = math.sqrt(math.sqrt(r_star) / (math.sqrt(r) + math.sqrt(r_star)))
    X = np.zeros((n, r))
    X[r_star + np.arange(r), np.arange(r)] = a
    Z = np.zeros((n, r_star))
    Z[np.arange(r_star), np.arange(r_star)] = 1.0
    return X, Z


# ---------------------------------------------------------------------------------------------
# the exact certificate (closed form)
# ---------------------------------------------------------------------------------------------
def threshold_certificate(r: int, r_star: int, *, strict: bool = True, margin=STRICT_MARGIN):
    """The closed-form certificate at the threshold over ``K = Q(√(r r*))`` (module docstring): an
    :class:`~certify.check.exact.algebraic.AlgebraicCertificate` with the operator (δ exactly
    ``1/(1 + √(r*/r))``), the dual point (``δ(X, Z) >= δ``) and, with ``strict``, the operator at
    ``δ₁ = δ + margin`` with ``μ₁ > 0``.  ``.verify(exact=True)`` proves every claim."""
    from ..check.exact.algebraic import AlgebraicCertificate  # noqa: PLC0415
    from ..check.exact.quadratic import QuadraticField, dual_matrix, squarefree_part  # noqa: PLC0415

    r, r_star = _ranks(r, r_star)
    p, q = r_star, r
    d = p + q
    K = QuadraticField(squarefree_part(p * q)[1])
    root = K.sqrt(p * q)
    delta = K("1/2") if p == q else (q - root) / (q - p)
    X = [[K.one if (i == p + k) else K.zero for k in range(q)] for i in range(d)]
    inv_a2 = (1 - delta).inverse()
    M = [[inv_a2 if (i == j and i < p) else K.zero for j in range(d)] for i in range(d)]
    H = _closed_form_operator(K, p, q, delta, delta)
    y = {(p + k) + d * k: -(p + root) for k in range(q)}
    V = {i + d * k: {i + d * k: K.one} for k in range(q) for i in range(p)}
    G = dual_matrix(X, M, y, V, K)
    P = _positive_part(G, K, p, q, root)
    cert = AlgebraicCertificate(field=K, X=X, M=M, H=H, delta=delta, threshold={"r": r, "r_star": r_star},
                                dual={"y": y, "V": V, "P": P}, name=f"threshold_r{r}_rstar{r_star}",
                                description=(f"the orthogonal family at (r, r*) = ({r}, {r_star}), instance scaled to "
                                             f"X = [0; I_{r}], M = Z Z^T = (1/a^2) diag(I_{r_star}, 0): delta(X, Z) = "
                                             f"1/(1 + sqrt(r*/r)) exactly, over {K.name}"),
                                source="closed-form",
                                provenance={"module": "certify.rip.family", "function": "threshold_certificate"})
    if strict:
        m = K(Fraction(margin).numerator) / Fraction(margin).denominator
        d1 = delta + m
        H1 = _closed_form_operator(K, p, q, delta, d1)
        # ∇²f ⪰ 4 (δ₁ - δ) on the rotation complement, exactly (the U_A block; the other blocks are larger)
        cert.strict = {"H": H1, "delta": d1, "mu": 4 * m}
    return cert


def _closed_form_operator(K, p: int, q: int, delta, delta_c) -> dict:
    """``Ĥ`` (vec coordinates, sparse): identity; ``δ/√(pq)`` between ``E_ii`` (A) and ``E_jj`` (B);
    ``[[1 + δ_c/2, δ_c/2], [δ_c/2, 1 + δ_c/2]]`` on ``(E_ij, E_ji)``, ``i ∈ A``, ``j ∈ B`` (``h_C = 1 + δ_c``)."""
    d = p + q
    H = {k: {k: K.one} for k in range(d * d)}
    cross = delta / K.sqrt(p * q)
    half = K("1/2") * delta_c
    for i in range(p):
        for j in range(p, d):
            ii, jj = i + d * i, j + d * j
            H[ii][jj] = cross
            H[jj][ii] = cross
            k1, k2 = i + d * j, j + d * i
            H[k1][k1] = 1 + half
            H[k2][k2] = 1 + half
            H[k1][k2] = half
            H[k2][k1] = half
    return H


def _positive_part(G: dict, K, p: int, q: int, root) -> dict:
    """``P = (v^T G v) v v^T`` with ``v = (vec I_A / √p - vec I_B / √q) / √2``: ``v v^T`` has entries
    ``1/(2p)``, ``1/(2q)`` and ``-1/(2√(pq))`` on the diagonal coordinates ``(i, i)``."""
    d = p + q
    diag = [i + d * i for i in range(d)]
    vv = {}
    for a in range(d):
        for b in range(d):
            if a < p and b < p:
                w = K(Fraction(1, 2 * p))
            elif a >= p and b >= p:
                w = K(Fraction(1, 2 * q))
            else:
                w = -(K("1/2") / root)
            vv.setdefault(diag[a], {})[diag[b]] = w
    lam = K.zero
    for i, row in vv.items():  # v^T G v = <v v^T, G>
        for j, w in row.items():
            g = G.get(i, {}).get(j)
            if g is not None:
                lam = lam + w * g
    return {i: {j: lam * w for j, w in row.items()} for i, row in vv.items()}


# ---------------------------------------------------------------------------------------------
# the symmetry-reduced SDPs (floats)
# ---------------------------------------------------------------------------------------------
@dataclass
class ReducedSolution:
    """A solved reduced SDP and its lift: ``theta`` (``t11, t12, t22, h_A, h_B, h_C``; absent blocks
    are 0), ``value`` (δ or μ of the reduced problem), the lifted verified ``certificate``, solver
    ``status`` and ``seconds``."""

    theta: dict
    value: float
    certificate: object
    status: str
    seconds: float
    extra: dict = field(default_factory=dict)


class FamilySDP:
    """``LMI(X, Z)`` (and the curvature SDP) at the family point ``(r, r*)``, restricted to the
    ``O(r*) x O(r)``-invariant operators and block-diagonalized (module docstring).

    ``a2``: the family parameter ``a²`` (default: the threshold's ``√r*/(√r + √r*)``).  The
    structure (block projectors, coefficients of every LMI in the six parameters) is computed once,
    from the full-size data of :func:`certify.check.duality.lmi_data`; :attr:`block_residual` is the
    largest deviation of the full matrices from the claimed block structure (rounding: ~1e-15)."""

    NAMES = ("t11", "t12", "t22", "h_A", "h_B", "h_C")

    def __init__(self, r: int, r_star: int, a2: float | None = None):
        r, r_star = _ranks(r, r_star)
        self.r, self.r_star = r, r_star
        p, q = r_star, r
        d = p + q
        self.d = d
        if a2 is None:
            a2 = math.sqrt(p) / (math.sqrt(q) + math.sqrt(p))
        X = np.zeros((d, q))
        X[p:, :] = math.sqrt(a2) * np.eye(q)
        Z = np.zeros((d, p))
        Z[:p, :] = np.eye(p)
        self.X, self.Z = X, Z
        self.scale = 1.0 / math.sqrt(float(np.linalg.norm(Z @ Z.T)))  # ||Z Z^T||_F = 1 in the SDP
        self.data = lmi_data(self.scale * X, self.scale * Z, "svec")
        self._band_structure()
        self._constraint_structure()

    # -- structure --------------------------------------------------------------------------
    def _band_structure(self) -> None:
        d, p = self.d, self.r_star
        B = self.data.B
        inA = np.arange(d) < p

        def proj(mask2d):
            return B.T @ np.diag(vec(mask2d.astype(float))) @ B

        IA, IB = np.diag(inA.astype(float)), np.diag((~inA).astype(float))
        u1 = B.T @ vec(IA) / math.sqrt(p)
        u2 = B.T @ vec(IB) / math.sqrt(self.r)
        DA, DB = proj(np.outer(inA, inA)), proj(np.outer(~inA, ~inA))
        DC = proj(np.outer(inA, ~inA) | np.outer(~inA, inA))
        self.u = (u1, u2)
        basis = [np.outer(u1, u1), np.outer(u1, u2) + np.outer(u2, u1), np.outer(u2, u2),
                 DA - np.outer(u1, u1), DB - np.outer(u2, u2), DC]
        self.basis = basis
        self.dims = [int(round(np.trace(P))) for P in basis[3:]]  # multiplicities of h_A, h_B, h_C
        total = np.outer(u1, u1) + np.outer(u2, u2) + basis[3] + basis[4] + basis[5]
        self.block_residual = float(np.abs(total - np.eye(B.shape[1])).max())

    def _constraint_structure(self) -> None:
        data, d, p, q = self.data, self.d, self.r_star, self.r
        F = np.column_stack([data.J.T @ (Bi @ data.e) for Bi in self.basis])  # first order, d r x 6
        U, s, _ = np.linalg.svd(F, full_matrices=False)
        k = int(np.sum(s > 1e-10 * max(s[0], 1e-300)))
        self.W = U[:, :k]
        self.F = self.W.T @ F
        # Hessian blocks on U = [U_A; U_B] (vec index a + d k): projectors
        n = d * q
        PA = np.zeros((n, n))
        for kk in range(q):
            for a in range(p):
                PA[a + d * kk, a + d * kk] = 1.0
        t = np.zeros(n)
        for kk in range(q):
            t[p + kk + d * kk] = 1.0 / math.sqrt(q)
        Psym, Pskew = np.zeros((n, n)), np.zeros((n, n))
        for i in range(q):
            for j in range(q):
                a, b = (p + i) + d * j, (p + j) + d * i  # U_B[i, j] and U_B[j, i]
                Psym[a, a] += 0.5
                Psym[a, b] += 0.5
                Pskew[a, a] += 0.5
                Pskew[a, b] -= 0.5
        blocks = {"U_A": PA, "U_B_trivial": np.outer(t, t), "U_B_sym0": Psym - np.outer(t, t), "U_B_skew": Pskew}
        self.hblocks = {k: P for k, P in blocks.items() if np.trace(P) > 0.5}
        Ms = [second_order_matrix(data, Bi) for Bi in self.basis]
        self.hcoef = {}
        resid = 0.0
        for name, P in self.hblocks.items():
            dim = float(np.trace(P))
            self.hcoef[name] = np.array([float(np.trace(P @ M)) / dim for M in Ms])
        for i, M in enumerate(Ms):
            rec = sum(self.hcoef[name][i] * P for name, P in self.hblocks.items())
            resid = max(resid, float(np.abs(M - rec).max()) / max(1.0, float(np.abs(M).max())))
        self.block_residual = max(self.block_residual, resid)
        if self.block_residual > 1e-9:
            raise SolverError(f"the invariant block structure does not hold (residual {self.block_residual:.2e})")

    # -- the reduced problems ---------------------------------------------------------------
    def _problem(self, kind: str, delta_fixed: float | None):
        import cvxpy as cp  # noqa: PLC0415

        th = cp.Variable(6)
        T = cp.bmat([[th[0], th[1]], [th[1], th[2]]])
        if kind == "delta":
            dl = cp.Variable()
            obj = cp.Minimize(dl)
        else:
            dl = delta_fixed
            mu = cp.Variable()
            obj = cp.Maximize(mu)
        cons = [self.F @ th == 0]
        hess = {}
        for name, c in self.hcoef.items():
            if kind == "delta":
                hess[name] = c @ th >= 0
            elif name != "U_B_skew":
                hess[name] = c @ th >= mu / 2  # the block of ½∇²f >= μ/2
        cons += list(hess.values())
        cons += [T - (1 - dl) * np.eye(2) >> 0, (1 + dl) * np.eye(2) - T >> 0]
        for k, dim in zip((3, 4, 5), self.dims, strict=True):
            if dim > 0:
                cons += [th[k] >= 1 - dl, th[k] <= 1 + dl]
            else:
                cons += [th[k] == 1]
        return cp.Problem(obj, cons), th, cons[0], hess

    def solve_delta(self, *, verify: bool = True, name: str | None = None) -> ReducedSolution:
        """``min δ`` over invariant operators; the lift is a verified :class:`~certify.check.format.Certificate`
        with ``delta`` (the operator's RIP constant) and ``delta_lower`` (the lifted dual point)."""
        from ..solvers import solve_problem  # noqa: PLC0415

        t0 = time.perf_counter()
        prob, th, first, hess = self._problem("delta", None)
        info = solve_problem(prob)
        if th.value is None:
            raise SolverError(f"the reduced SDP returned no point (status {info.status})")
        y = self.W @ np.asarray(first.dual_value, dtype=float).reshape(-1)
        V = sum(float(c.dual_value) / float(np.trace(self.hblocks[k])) * self.hblocks[k] for k, c in hess.items())
        cert = self._lift(th.value, y, V, info, name, verify)
        return ReducedSolution(dict(zip(self.NAMES, map(float, th.value), strict=True)), float(prob.value), cert,
                               info.status, time.perf_counter() - t0)

    def solve_curvature(self, delta: float, *, verify: bool = True, name: str | None = None) -> ReducedSolution:
        """``max μ`` (``∇²f ⪰ μ`` on the rotation complement) over invariant operators in the δ-band;
        the lift is a verified strict certificate (``formulation.hess_min``) when ``μ > 0``."""
        from ..solvers import solve_problem  # noqa: PLC0415

        t0 = time.perf_counter()
        prob, th, _, _ = self._problem("curvature", float(delta))
        info = solve_problem(prob)
        if th.value is None:
            raise SolverError(f"the reduced curvature SDP returned no point (status {info.status})")
        mu = float(prob.value)
        cert = self._lift(th.value, None, None, info, name, verify, delta_target=float(delta)) if mu > 0 else None
        return ReducedSolution(dict(zip(self.NAMES, map(float, th.value), strict=True)), mu, cert, info.status,
                               time.perf_counter() - t0, {"mu_reduced": mu, "delta_target": float(delta)})

    def _lift(self, theta, y, V, info, name, verify, delta_target=None):
        """The full certificate of a reduced point: ``Ĥ = B H_s B^T + (I - B B^T)`` on ``R^{d² x d²}``,
        ``P = I_d``, the dual ``(y, V)`` when given; verified by the float kernel."""
        from ..check.format import Certificate, DualCertificate  # noqa: PLC0415

        data, d = self.data, self.d
        Hs = sum(float(t) * Bi for t, Bi in zip(theta, self.basis, strict=True))
        Hs = project_first_order(data, sym(Hs))
        H_hat = sym(data.B @ Hs @ data.B.T + (np.eye(d * d) - data.B @ data.B.T))
        rip = CompactOperator(np.eye(d), H_hat).rip_constant()
        op = CompactOperator(np.eye(d), sym(rip.scale * H_hat))
        formulation = {"project": True, "basis": "svec", "d": d, "gap_tol": 1e-6,
                       "symmetry": f"O({self.r_star}) x O({self.r}) invariant SDP (certify.rip.family.FamilySDP)",
                       "reduced_theta": dict(zip(self.NAMES, map(float, theta), strict=True))}
        dual, dl = None, None
        if y is not None:
            dl = float(dual_lower_bound(data, y, V))
            dual = DualCertificate(P=np.eye(d), scale=self.scale, basis="svec", y=y, V=sym(V), delta_lower=dl)
        if delta_target is not None:
            formulation["delta_target"] = delta_target
        cert = Certificate(X=self.X, Z=self.Z, operator=op, delta=float(op.rip_constant().delta), delta_lower=dl,
                           dual=dual, solver={**info.to_dict(), "backend": "cvxpy (reduced)"}, formulation=formulation,
                           source="invariant-sdp", name=name)
        if verify:
            rep = cert.verify()
            if delta_target is not None and rep.ok:
                cert.formulation["hess_min"] = rep.hess_min
                rep = cert.verify()
            if not rep.ok:
                raise SolverError("the lifted family certificate failed verification: " + "; ".join(rep.failures))
        return cert


def family_delta(r: int, r_star: int, *, a2: float | None = None) -> ReducedSolution:
    """``δ`` of the family point by the symmetry-reduced SDP (:class:`FamilySDP`), lifted and verified."""
    return FamilySDP(r, r_star, a2).solve_delta(name=f"family_r{r}_rstar{r_star}")


def family_curvature(r: int, r_star: int, delta: float) -> ReducedSolution:
    """``μ*`` of the family point at ``delta`` by the symmetry-reduced curvature SDP, lifted and verified."""
    return FamilySDP(r, r_star).solve_curvature(delta, name=f"strict_r{r}_rstar{r_star}")



# ---------------------------------------------------------------------------------------------
# the orthogonal diagonal family (the atlas' reduced random-restart search)
# ---------------------------------------------------------------------------------------------
class DiagonalFamilySDP:
    """``LMI(X, Z)`` for ``X = [0; diag(x)]`` orthogonal to ``Z = [diag(z); 0]`` (``x ∈ R^r``,
    ``z ∈ R^{r*}``, all nonzero), reduced by the sign symmetry ``diag(±1)`` of ``R^d``.

    Every coordinate of ``vec(X U^T + U X^T)`` and of ``Sym(R^d)`` carries a character of the sign
    group: the diagonal entries the trivial one, the off-diagonal pair ``{i, j}`` its own.  An
    invariant ``H`` is therefore a ``d x d`` block ``H_D`` on the diagonal entries and one scalar per
    off-diagonal pair; with ``ε = (-z², x²)`` and ``s = H_D ε``, the constraints of ``LMI(X, Z)`` are
    ``s_B = 0`` (first order), ``h_{i,B_j} x_j² + s_i >= 0`` for ``i ∈ A`` (the ``U_A`` directions; the
    ``U_B`` blocks are PSD for every PSD ``H`` once ``s_B = 0``) and the band; the best scalars are
    ``h = 1 + δ`` on ``A × B`` pairs.  So ``δ(X, Z)`` is the SDP in ``(H_D, δ)``: one ``d x d`` LMI pair,
    compiled once (cvxpy parameters ``ε``, ``min_j x_j²``) and re-solved per point."""

    def __init__(self, r: int, r_star: int):
        import cvxpy as cp  # noqa: PLC0415

        r, r_star = _ranks(r, r_star)
        self.r, self.r_star, self.d = r, r_star, r + r_star
        d, p = self.d, r_star
        self.eps = cp.Parameter(d)
        self.xm = cp.Parameter(nonneg=True)
        self.HD = cp.Variable((d, d), symmetric=True)
        self.dl = cp.Variable()
        s = self.HD @ self.eps
        cons = [self.HD - (1 - self.dl) * np.eye(d) >> 0, (1 + self.dl) * np.eye(d) - self.HD >> 0,
                s[p:] == 0, s[:p] + self.xm + self.xm * self.dl >= 0]
        self.problem = cp.Problem(cp.Minimize(self.dl), cons)
        self.evaluations = 0

    def instance(self, x, z) -> tuple[np.ndarray, np.ndarray]:
        x, z = np.asarray(x, float), np.asarray(z, float)
        d, p = self.d, self.r_star
        X = np.zeros((d, self.r))
        X[p + np.arange(self.r), np.arange(self.r)] = x
        Z = np.zeros((d, p))
        Z[np.arange(p), np.arange(p)] = z
        return X, Z

    def delta(self, x, z, *, grad: bool = False):
        """The reduced SDP's δ at ``(x, z)`` (1.0 when the solver fails: no counterexample found).
        With ``grad``: ``(δ, g)``, ``g`` the gradient with respect to ``(log x, log z)`` from the dual
        multipliers (envelope theorem: ``∂δ/∂ε = -H_D^T λ``, ``λ`` the multipliers of ``s = H_D ε``;
        ``∂δ/∂m = -(1 + δ) Σ ν``, ``m = min_j x_j²``), or None where it is not available."""
        x, z = np.asarray(x, float), np.asarray(z, float)
        x2, z2 = x**2, z**2
        c = float(max(x2.max(), z2.max()))
        self.eps.value = np.concatenate([-z2, x2]) / c
        self.xm.value = float(x2.min()) / c
        self.evaluations += 1
        try:
            self.problem.solve(solver="CLARABEL")
        except Exception:  # noqa: BLE001 - any solver failure is "no value" for the search
            return (1.0, None) if grad else 1.0
        if self.dl.value is None or self.problem.status not in ("optimal", "optimal_inaccurate"):
            return (1.0, None) if grad else 1.0
        dl = float(min(1.0, self.dl.value))
        if not grad:
            return dl
        cons = self.problem.constraints
        lam_B = np.asarray(cons[2].dual_value, float).reshape(-1)
        nu_A = np.asarray(cons[3].dual_value, float).reshape(-1)
        mult = np.concatenate([-nu_A, lam_B])  # L = δ + λ·s_B - ν·(s_A + m (1 + δ)) + band terms
        g_eps = np.asarray(self.HD.value, float).T @ mult  # ∂δ/∂ε (normalized ε)
        g_m = -float(nu_A.sum()) * (1.0 + dl)
        p = self.r_star
        g = np.zeros(self.r + p)
        g[: self.r] = g_eps[p:] * 2.0 * x2 / c
        g[self.r:] = g_eps[:p] * (-2.0) * z2 / c
        j = int(np.argmin(x2))
        g[j] += g_m * 2.0 * x2[j] / c
        return dl, g

    def certificate(self, x, z, name: str | None = None):
        """The lift of the reduced solution at ``(x, z)`` (``h = 1 + δ`` on ``A × B`` pairs, 1 on the
        others), projected onto the first-order constraints and verified by the float kernel: an
        upper bound on ``δ(X, Z)`` (no dual point)."""
        from ..check.format import Certificate  # noqa: PLC0415
        from ..linalg import sym_basis  # noqa: PLC0415

        dl = self.delta(x, z)
        X, Z = self.instance(x, z)
        d, p = self.d, self.r_star
        B = sym_basis(d)
        Hfull = np.eye(d * d)  # vec coordinates, then compressed to svec
        HD = np.asarray(self.HD.value, float)
        for a in range(d):
            for b in range(d):
                Hfull[a + d * a, b + d * b] = HD[a, b]
        for i in range(p):
            for j in range(p, d):
                k1, k2 = i + d * j, j + d * i
                Hfull[k1, k1] = Hfull[k2, k2] = 1.0 + dl / 2
                Hfull[k1, k2] = Hfull[k2, k1] = dl / 2
        data = lmi_data(X, Z, "svec")
        Hs = project_first_order(data, sym(B.T @ Hfull @ B))
        H_hat = sym(B @ Hs @ B.T + (np.eye(d * d) - B @ B.T))
        rip = CompactOperator(np.eye(d), H_hat).rip_constant()
        op = CompactOperator(np.eye(d), sym(rip.scale * H_hat))
        cert = Certificate(X=X, Z=Z, operator=op, delta=float(op.rip_constant().delta), source="diagonal-family-sdp",
                           formulation={"project": True, "basis": "svec", "d": d, "gap_tol": 1e-6,
                                        "symmetry": "sign-invariant SDP of the orthogonal diagonal family"}, name=name)
        rep = cert.verify()
        if not rep.ok:
            raise SolverError("the lifted diagonal-family certificate failed verification: " + "; ".join(rep.failures))
        return cert


#: the search box for ``log x``, ``log z`` (ratios up to e^16 between entries)
BOX = 8.0


def diagonal_search(r: int, r_star: int, *, restarts: int = 3, seed: int = 0, max_evals: int = 200) -> dict:
    """Random-restart minimization of ``δ`` over the orthogonal diagonal family
    (:class:`DiagonalFamilySDP`): ``log x``, ``log z`` standard Gaussian per restart
    (``default_rng([seed, k])``), L-BFGS-B on the dual-multiplier gradient (at most ``max_evals``
    SDPs); the best point is lifted and verified.  Returns ``best`` (the verified certificate's δ),
    ``best_reduced``, ``per_restart``, ``x``, ``z``, ``evaluations``, ``seconds``, ``certificate``."""
    from scipy.optimize import minimize  # noqa: PLC0415

    t0 = time.perf_counter()
    D = DiagonalFamilySDP(r, r_star)
    q, p = D.r, D.r_star

    def fun(th):
        v, g = D.delta(np.exp(th[:q]), np.exp(th[q:]), grad=True)
        return v, (np.zeros_like(th) if g is None or not np.all(np.isfinite(g)) else g)

    per, best = [], (math.inf, None)
    for k in range(restarts):
        rng = np.random.default_rng([seed, k])
        th0 = rng.standard_normal(q + p)
        res = minimize(fun, th0, jac=True, method="L-BFGS-B", bounds=[(-BOX, BOX)] * (q + p),
                       options={"maxfun": max_evals, "ftol": 1e-13, "gtol": 1e-10})
        per.append(float(res.fun))
        if res.fun < best[0]:
            best = (float(res.fun), res.x)
    x, z = np.exp(best[1][:q]), np.exp(best[1][q:])
    cert = D.certificate(x, z, name=f"diagonal_search_r{r}_rstar{r_star}")
    return {"kind": "orthogonal diagonal family (sign-reduced SDP), random restarts + L-BFGS-B (dual gradient)",
            "best": float(cert.delta), "best_reduced": best[0], "per_restart": per, "x": x.tolist(), "z": z.tolist(),
            "evaluations": D.evaluations, "restarts": restarts, "seed": seed, "max_evals": max_evals,
            "seconds": time.perf_counter() - t0, "certificate": cert}
