"""The catalog of counterexample certificates in ``counterexamples/``.

Each entry is a function that builds a certificate, beside the published value it reproduces
(``None`` when nothing was published); the tests compare the two (computed, published).
:func:`regenerate` writes every entry as a certificate file plus a ``README.md`` table; the command
is ``certify catalog --dir counterexamples``.

Every file also carries the verdict of the exact rational verification of all its claims
(:mod:`certify.check.exact.claims`, field ``"exact"``; needs python-flint, skipped without it): an entry
whose claims are not all *proved* is never written.  :func:`check` recomputes both verifications and
fails a file that does not load, does not verify in floating point, or whose claims are not all
proved exactly (or whose stored verdict differs).

A second section holds the certificates of the other kinds (:data:`KIND_ENTRIES`): NIMC Hessian
certificates in ``counterexamples/nimc/`` and NMF segment certificates in ``counterexamples/nmf/``
(read by :func:`certify.check.load_any`; each file stores its float and exact reports, and every
proof claim must be proved).  :func:`regenerate` writes them too (and their table in the README),
:func:`check` verifies them as well; :func:`regenerate` returns the rows of the BM files
(:func:`regenerate_kinds` those of the others).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..check.format import Certificate, load
from ..errors import CertifyError, InputError
from ..io import atomic_write_text
from . import examples
from .sdp import counterexample

__all__ = ["ENTRIES", "KIND_ENTRIES", "CatalogEntry", "KindEntry", "regenerate", "regenerate_kinds", "check",
           "published_certificate"]


def _exact(cert: Certificate):
    """The exact report of ``cert`` (stored in ``cert.exact``), or None without python-flint."""
    from ..check.exact import ExactUnavailableError  # noqa: PLC0415

    try:
        return cert.verify(exact=True)
    except ExactUnavailableError:
        return None


@dataclass(frozen=True)
class CatalogEntry:
    """``build()`` returns the certificate; ``published`` is the value it reproduces (or None)."""

    name: str
    build: Callable[[], Certificate]
    published: float | None = None
    reference: str = ""


def published_certificate(operator, x, z, *, name: str, description: str, source: str) -> Certificate:
    """A certificate for an operator built from a published formula; the dual point (lower bound)
    comes from solving ``LMI(x, z)``, so the file also proves the operator optimal."""
    sdp = counterexample(x, z)
    rip = operator.rip_constant()
    cert = Certificate(
        X=x, Z=z, operator=operator, delta=rip.delta, delta_lower=sdp.delta_lower, dual=sdp.dual,
        solver=sdp.solver, formulation=sdp.formulation, source=source, name=name, description=description,
    )
    return cert


def _zhang2018_sdp():
    x = np.array([0.0, 1.0 / np.sqrt(2.0)])
    z = np.array([1.0, 0.0])
    c = counterexample(x, z)
    c.name, c.description = "zhang2018_sdp", "2x2 example of Zhang, Josz, Sojoudi, Lavaei (2018) solved by the SDP"
    return c


def _zhang2018_published():
    op, x, z = examples.zhang2018()
    d = "the published 2x2 measurement matrices of Zhang, Josz, Sojoudi, Lavaei (2018) (JMLR19 p. 16)"
    return published_certificate(op, x, z, name="zhang2018_published", description=d, source="published")


def _example1(n: int):
    def build():
        z = np.arange(1.0, n + 1.0)
        op, x, z = examples.example1(z)
        d = f"Example 1 of Zhang, Sojoudi, Lavaei (2019), n = {n}, z = (1, ..., {n}), built from the published formula"
        return published_certificate(op, x, z, name=f"example1_n{n}", description=d, source="published-formula")

    return build


def _lift(n: int):
    def build():
        rng = np.random.default_rng(n)
        Q, _ = np.linalg.qr(rng.standard_normal((n, 2)))
        z, u2 = Q[:, 0], Q[:, 1]
        c = counterexample(u2 / np.sqrt(2.0), z)
        c.name = f"rank1_optimal_n{n}"
        c.description = (f"x = u2/sqrt(2) orthogonal to a random unit z in R^{n}: the rank-1 minimizer of delta(x, z) "
                         "(Zhang, Sojoudi, Lavaei 2019, Theorem 3); compact operator from the projected SDP")
        return c

    return build


def _random(n: int, r: int, r_star: int, seed: int):
    def build():
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((n, r))
        Z = rng.standard_normal((n, r_star))
        c = counterexample(X, Z)
        c.name = f"random_n{n}_r{r}_rstar{r_star}_seed{seed}"
        c.description = f"standard Gaussian X ({n}x{r}) and Z ({n}x{r_star}), numpy default_rng({seed})"
        return c

    return build


def _overparameterized(r: int, r_star: int):
    """X = a [e_{r*+1}, ..., e_{r*+r}] orthogonal to Z = [e_1, ..., e_{r*}] (n = r + r*), with
    a^2 = sqrt(r*) / (sqrt(r) + sqrt(r*)).

    For r* = 1 this is the sharp overparameterized threshold 1/(1 + 1/sqrt(r)) (REFERENCE §1.1; for
    r = 2: a^2 = sqrt(2) - 1, delta = 2 - sqrt(2)).  For r* > 1 the search (benchmarks/bench_search.py)
    found counterexamples below the published family 1/(1 + 1/sqrt(r - r* + 1)); a one-dimensional
    minimization of delta over a in this orthogonal family puts the minimum at the a^2 above (to 1e-7),
    where delta(X, Z) = 1/(1 + sqrt(r*/r)), the published *sufficient* condition: it is attained.
    """
    def build():
        n = r + r_star
        a = np.sqrt(np.sqrt(r_star) / (np.sqrt(r) + np.sqrt(r_star)))
        X = np.zeros((n, r))
        X[r_star:, :] = a * np.eye(r)
        Z = np.zeros((n, r_star))
        Z[:r_star, :] = np.eye(r_star)
        c = counterexample(X, Z)
        c.name = f"overparameterized_r{r}_rstar{r_star}"
        c.description = (f"r = {r} > r* = {r_star}: X = a [e{r_star + 1}..e{n}] orthogonal to Z = [e1..e{r_star}] with "
                         f"a^2 = sqrt(r*)/(sqrt(r) + sqrt(r*)) (n = {n}); attains 1/(1 + sqrt(r*/r)) = "
                         f"{1 / (1 + np.sqrt(r_star / r)):.9f}"
                         + ("" if r_star == 1 else
                            f", the published sufficient condition, below the published counterexamples "
                            f"1/(1 + 1/sqrt(r - r* + 1)) = {1 / (1 + 1 / np.sqrt(r - r_star + 1)):.9f}"))
        return c

    return build


def _sufficient(r: int, r_star: int) -> float:
    return float(1.0 / (1.0 + np.sqrt(r_star / r)))


def _strict(delta: float):
    def build():
        from .curvature import curvature  # noqa: PLC0415

        x = np.array([0.0, 1.0 / np.sqrt(2.0)])
        z = np.array([1.0, 0.0])
        res = curvature(x, z, delta)
        c = res.certificate
        c.name = f"zhang2018_strict_{round(delta * 100):03d}"
        c.description = (f"the 2x2 instance at delta = {delta:g} from the curvature SDP: the operator maximizing the smallest "
                         f"Hessian eigenvalue, mu* in [{res.mu:.9f}, {res.mu_upper:.9f}] (checked dual): a spurious strict "
                         "local minimum")
        return c

    return build


def _threshold(r: int, r_star: int):
    """The orthogonal family at the threshold 1/(1 + sqrt(r*/r)): the symmetry-reduced SDP's lifted
    certificate (float bracket, proved in rational arithmetic to ~2e-9) with the exact certificate over
    Q(sqrt(r r*)) in ``formulation["algebraic"]`` (delta(X, Z) equal to the threshold, exactly; strict
    minima above it; :mod:`certify.check.exact.algebraic`)."""
    def build():
        from .family import FamilySDP, threshold_certificate  # noqa: PLC0415

        c = FamilySDP(r, r_star).solve_delta().certificate
        alg = threshold_certificate(r, r_star)
        c.formulation["algebraic"] = alg.to_dict()
        c.name = f"threshold_r{r}_rstar{r_star}"
        c.description = (f"the orthogonal family at (r, r*) = ({r}, {r_star}) (n = {r + r_star}): the O({r_star}) x O({r}) "
                         f"invariant SDP lifted to the full operator; formulation.algebraic proves delta(X, Z) = "
                         f"sqrt({r})/(sqrt({r})+sqrt({r_star})) = {alg.delta} exactly over {alg.field.name} and strict "
                         f"spurious minima for every delta in (threshold, threshold + 1/100]")
        c.verification = None
        return c

    return build


def threshold_file_certificate(r: int, r_star: int):
    """The catalog's threshold certificate for ``(r, r*)`` (:func:`_threshold`), built now."""
    return _threshold(r, r_star)()


def _strict_family(r: int, r_star: int):
    """The curvature SDP (symmetry-reduced) at the family point, delta = threshold + 0.01: a strict minimum."""
    def build():
        from .family import FamilySDP  # noqa: PLC0415

        d1 = _sufficient(r, r_star) + 0.01
        sol = FamilySDP(r, r_star).solve_curvature(d1)
        c = sol.certificate
        c.source = "curvature-sdp"
        c.name = f"strict_r{r}_rstar{r_star}"
        c.description = (f"the orthogonal family at (r, r*) = ({r}, {r_star}), delta = 1/(1 + sqrt(r*/r)) + 0.01 = {d1:.9f}: "
                         f"the O({r_star}) x O({r}) invariant curvature SDP (mu* = {sol.value:.9f}, normalized "
                         "||ZZ^T||_F = 1), lifted: a spurious strict local minimum")
        c.verification = None
        return c

    return build


_R2 = "Zhang, Sojoudi, Lavaei (2019), Theorem 3 / Example 1"
_THR = ("R. Y. Zhang (2021): no spurious second-order point below 1/(1 + sqrt(r*/r)); attained here, and exactly "
        "(formulation.algebraic; docs/atlas.md)")
ENTRIES = [
    CatalogEntry("zhang2018_sdp", _zhang2018_sdp, 0.5, "Zhang, Josz, Sojoudi, Lavaei (2018)"),
    CatalogEntry("zhang2018_published", _zhang2018_published, 0.5, "Zhang, Josz, Sojoudi, Lavaei (2018)"),
    CatalogEntry("example1_n3", _example1(3), 0.5, _R2),
    CatalogEntry("example1_n5", _example1(5), 0.5, _R2),
    CatalogEntry("example1_n8", _example1(8), 0.5, _R2),
    CatalogEntry("rank1_optimal_n1000", _lift(1000), 0.5, _R2),
    CatalogEntry("random_n4_r1_rstar1_seed0", _random(4, 1, 1, 0)),
    CatalogEntry("random_n6_r1_rstar1_seed1", _random(6, 1, 1, 1)),
    CatalogEntry("random_n5_r2_rstar2_seed0", _random(5, 2, 2, 0)),
    CatalogEntry("random_n6_r2_rstar2_seed3", _random(6, 2, 2, 3)),
    CatalogEntry("overparameterized_r2_rstar1", _overparameterized(2, 1), _sufficient(2, 1),
                 "sharp threshold 1/(1 + 1/sqrt(r)) for r* = 1 (REFERENCE 1.1)"),
    CatalogEntry("overparameterized_r3_rstar2", _overparameterized(3, 2), _sufficient(3, 2),
                 "the sufficient condition 1/(1 + sqrt(r*/r)) (no counterexample below it; REFERENCE 1.1), attained here"),
    CatalogEntry("overparameterized_r4_rstar2", _overparameterized(4, 2), _sufficient(4, 2),
                 "the sufficient condition 1/(1 + sqrt(r*/r)) (no counterexample below it; REFERENCE 1.1), attained here"),
    CatalogEntry("zhang2018_strict_055", _strict(0.55)),
    CatalogEntry("threshold_r2_rstar1", _threshold(2, 1), _sufficient(2, 1), _THR),
    CatalogEntry("threshold_r3_rstar2", _threshold(3, 2), _sufficient(3, 2), _THR),
    CatalogEntry("threshold_r4_rstar3", _threshold(4, 3), _sufficient(4, 3), _THR),
    CatalogEntry("threshold_r5_rstar2", _threshold(5, 2), _sufficient(5, 2), _THR),
    CatalogEntry("strict_r3_rstar2", _strict_family(3, 2)),
]


# ------------------------------------------------------------------------------------------------
# the other kinds: NIMC Hessian certificates and NMF segment certificates
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindEntry:
    """A certificate of another kind: ``build()`` returns it, ``folder`` is its subfolder of the
    catalog (``nimc``, ``nmf``), ``published`` the published value it is compared with (or None)."""

    name: str
    folder: str
    build: Callable
    published: float | None = None
    reference: str = ""


def _nimc(activation: str, d: int, k: int, seed: int):
    def build():
        from .. import nimc  # noqa: PLC0415 - the NIMC producer, only for these entries

        U, V = nimc.orthogonal_truth(d, k, seed=seed)
        shape = "orthogonal" if d == k else "with orthonormal columns"
        return nimc.certificate(U, V, activation, name=f"nimc_{activation}_d{d}_k{k}",
                                description=f"{activation}, U*, V* {shape} ({d} x {k}; Q factors of Gaussian matrices, "
                                            f"seed {seed}): lambda_min of the population Hessian against rho "
                                            "(ZJSD18 Lemma C.1, Theorem D.5)")

    return build


def _nmf_planted(n: int, seed: int):
    def build():
        from .. import nmf  # noqa: PLC0415 - the NMF producer, only for this entry

        return nmf.planted_certificate(n, seed=seed, name=f"nmf_planted_n{n}_seed{seed}",
                                       description=f"planted model (SC-NMF Assumption 1): n = m = {n}, r = round(n^0.5), "
                                                   f"half-normal factors (seed {seed}); segment from a random point of "
                                                   "the same distribution to the planted optimum")

    return build


_ZJSD = "Zhong, Jain, Song, Dhillon (2018), Lemma C.1: rho = 0.000658 (sigmoid), 0.0095 (tanh)"
KIND_ENTRIES = [
    KindEntry("nimc_sigmoid_d3_k3", "nimc", _nimc("sigmoid", 3, 3, 0), 0.000658, _ZJSD),
    KindEntry("nimc_tanh_d3_k3", "nimc", _nimc("tanh", 3, 3, 0), 0.0095, _ZJSD),
    KindEntry("nimc_sigmoid_d10_k5", "nimc", _nimc("sigmoid", 10, 5, 1), 0.000658, _ZJSD),
    KindEntry("nmf_planted_n12_seed0", "nmf", _nmf_planted(12, 0), None,
              "SC-NMF Theorem 1 (convex on the segment to the planted optimum with high probability)"),
]


def _readme(rows: list[dict]) -> str:
    lines = [
        "# Catalog of counterexample certificates",
        "",
        "Every file here is a certificate in the format of `docs/certificate-format.md`: an operator that",
        "satisfies delta-RIP and makes X a spurious second-order critical point of",
        "f(X) = ||A(XX^T - ZZ^T)||^2, with a dual point that certifies the lower bound delta(X, Z) >= delta_lower.",
        "The `zhang2018_strict_*` files come from the curvature SDP (`certify curvature`): delta is above",
        "delta(X, Z), so the Hessian at X is positive definite (min Hessian eig > 0, a strict local minimum);",
        "they carry no delta_lower; their curvature dual point (`formulation.curvature_dual`) bounds mu* from above.",
        "Regenerate all of them with `certify catalog --dir counterexamples`; check them with",
        "`certify catalog --dir counterexamples --check` (the test suite loads and verifies each one).",
        "",
        "The `exact` column is the verdict of the exact rational verification (`certify verify FILE --exact`,",
        "`certify.exact`, stored in each file under `\"exact\"`): X, ZZ^T and tH are rounded to rationals, H is",
        "projected exactly onto the first-order constraints, and exact arithmetic checks gradient = 0, Hessian >= mu",
        "on the rotation complement (exact LDL^T), (1 - delta) I <= H <= (1 + delta) I and f(X) > 0, with delta",
        "relaxed by at most 2e-9 (relative) above the float value unless it is recognized exactly (1/2 for the",
        "published matrices) and mu relaxed likewise below the claimed curvature (mu = 0 for second-order points).",
        "`proved` is a proof that a delta-RIP instance with that spurious point exists (`strict`: a strict local",
        "minimum, mu > 0); `repaired`: the Hessian's zero eigenvalue (an SDP optimum) came out at -1e-13 after",
        "rounding and the operator was moved by about 1e-10 within the delta relaxation before the exact proof.",
        "`proved` covers every claim of the file (`certify.exact_claims`): the dual point proves delta_lower",
        "exactly (V rounded to a rational PSD matrix, the nuclear norm bounded by tr P + tr N for an exact split",
        "G = P - N), so each file proves a rational bracket delta(X, Z) in [lower, upper]; the curvature files'",
        "mu and mu_upper are proved from the operator and the curvature dual point.",
        "The `threshold_*` files (the orthogonal family at 1/(1 + sqrt(r*/r)), docs/atlas.md) also carry an exact",
        "certificate over Q(sqrt(r r*)) in `formulation.algebraic`: `verify --exact` proves its claims `algebraic.*` —",
        "delta(X, Z) equal to the threshold exactly (an operator and a dual point), and strict spurious minima for every",
        "delta in (threshold, threshold + 1/100] (a second operator and the convex combination).",
        "",
        "| file | n | r | r* | operator | delta | delta_lower | published | min Hessian eig | source | verified | exact |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        pub = "" if row["published"] is None else f"{row['published']:.9f}"
        lines.append(
            f"| `{row['file']}` | {row['n']} | {row['r']} | {row['r_star']} | {row['operator']} | {row['delta']:.9f} | "
            f"{'-' if row['delta_lower'] != row['delta_lower'] else format(row['delta_lower'], '.9f')} | {pub} | "
            f"{row['hess_min']:.3g} | {row['source']} | {'yes' if row['ok'] else 'NO'} | {_exact_cell(row)} |"
        )
    lines += ["", "Descriptions:", ""]
    lines += [f"* `{row['file']}`: {row['description']}." + (f" Published value: {row['reference']}." if row["reference"] else "")
              + (f" Exact verification: {row['exact']}: {row['exact_reason']}." if row.get("exact") else "")
              for row in rows]
    lines.append("")
    return "\n".join(lines)


def _exact_cell(row: dict) -> str:
    outcome = row.get("exact")
    if not outcome:
        return "-"
    if outcome != "proved":
        return outcome
    tags = [t for t in ("strict", "repaired") if row.get(f"exact_{t}")]
    dq = row["exact_delta"]
    if len(dq) > 8:
        dq = f"{dq} ≈ {row['exact_delta_float']:.10f}"
    return f"proved (delta = {dq}{', ' + ', '.join(tags) if tags else ''})"


def regenerate(directory="counterexamples", *, only: list[str] | None = None, progress=True) -> list[dict]:
    """Rebuild every catalog file in ``directory`` (atomically) and its README table."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    names = [e.name for e in ENTRIES] + [e.name for e in KIND_ENTRIES]
    if only:
        bad = [o for o in only if o not in names]
        if bad:
            raise InputError(f"only: unknown catalog entries {bad}; known: {', '.join(names)}")
    rows: list[dict] = []
    for i, entry in enumerate(ENTRIES, 1):
        path = folder / f"{entry.name}.json"
        if only and entry.name not in only:
            if path.is_file():
                cert = load(path)
                ok = cert.verify().ok
                if cert.exact is None:
                    _exact(cert)  # shown in the table; the file itself is left as it is
                rows.append(_row(path, cert, ok, entry))
            continue
        t0 = time.perf_counter()
        cert = entry.build()
        report = cert.verify()
        if not report.ok:
            raise InputError(f"catalog entry {entry.name} failed verification: {'; '.join(report.failures)}")
        ex = _exact(cert)
        if ex is not None and ex.outcome != "proved":
            raise InputError(f"catalog entry {entry.name}: the exact verification says {ex.outcome} ({ex.reason}); "
                             "every catalog file must have all its claims proved")
        cert.save(path)
        rows.append(_row(path, cert, report.ok, entry))
        if progress:
            verdict = "" if ex is None else f"  exact: {ex.outcome}"
            print(f"[{i}/{len(ENTRIES)}] {path}  delta = {cert.delta:.9f}{verdict}  ({time.perf_counter() - t0:.1f} s)",
                  file=sys.stderr)
    kind_rows = regenerate_kinds(folder, only=only, progress=progress)
    atomic_write_text(folder / "README.md", _readme(rows) + _readme_kinds(kind_rows))
    return rows


def _kind_row(path: Path, cert, entry: KindEntry) -> dict:
    ex = cert.exact or {}
    row = {"file": f"{entry.folder}/{path.name}", "kind": cert.kind, "ok": bool((cert.verification or {}).get("ok")),
           "exact": ex.get("outcome"), "exact_reason": ex.get("reason"), "description": cert.description or "",
           "published": entry.published, "reference": entry.reference}
    if entry.folder == "nimc":
        lam, b = cert.lambda_min, cert.bounds
        row.update(instance=f"{cert.activation}, d = {cert.d}, k = {cert.k}",
                   claim=f"lambda_min(H*) in [{lam['lo']:.12g}, {lam['hi']:.12g}] (width {lam['hi'] - lam['lo']:.2g}); "
                         f"rho in [{cert.rho['lo']:.12g}, {cert.rho['hi']:.12g}]; Lemma C.1: {b['lemma_c1']['status']}, "
                         f"Theorem D.5: {b['theorem_d5']['status']}")
    else:
        seg = cert.segment
        n, m, r = cert.shape
        row.update(instance=f"n = {n}, m = {m}, r = {r}",
                   claim=f"alpha in [{seg.alpha_lower:.9g}, {seg.alpha_upper:.9g}]; verdict {seg.verdict}; "
                         f"cosine {seg.cosine:.4f}")
    return row


def regenerate_kinds(directory="counterexamples", *, only: list[str] | None = None, progress=True) -> list[dict]:
    """Rebuild the NIMC and NMF catalog files (:data:`KIND_ENTRIES`, in the subfolders ``nimc/``
    and ``nmf/`` of ``directory``), each verified (float) and with every proof claim proved
    exactly (else nothing is written); returns their README rows."""
    from ..check.loader import load_any  # noqa: PLC0415

    rows = []
    for i, entry in enumerate(KIND_ENTRIES, 1):
        path = Path(directory) / entry.folder / f"{entry.name}.json"
        if only and entry.name not in only:
            if path.is_file():
                rows.append(_kind_row(path, load_any(path), entry))
            continue
        t0 = time.perf_counter()
        cert = entry.build()
        report = cert.verify()
        if not report.ok:
            raise InputError(f"catalog entry {entry.name} failed verification: {'; '.join(report.failures)}")
        ex = cert.verify_exact()
        if ex.outcome != "proved":
            raise InputError(f"catalog entry {entry.name}: the exact verification says {ex.outcome} ({ex.reason})")
        path.parent.mkdir(parents=True, exist_ok=True)
        cert.save(path)
        rows.append(_kind_row(path, cert, entry))
        if progress:
            print(f"[{i}/{len(KIND_ENTRIES)}] {path}  exact: {ex.outcome}  ({time.perf_counter() - t0:.1f} s)",
                  file=sys.stderr)
    return rows


def _readme_kinds(rows: list[dict]) -> str:
    if not rows:
        return ""
    lines = [
        "## NIMC and NMF certificates",
        "",
        "The certificates of the other kinds (`docs/certificate-format.md`: `nimc/population-hessian`,",
        "`nmf/segment-convexity`), in `nimc/` and `nmf/`. A NIMC file proves, in interval arithmetic (Arb), the",
        "Gaussian moments, rho and an enclosure of lambda_min of the population Hessian H* at the truth for U*, V*",
        "with orthonormal columns, and lambda_min(H*) >= rho (ZJSD18 Lemma C.1, by the identity of",
        "`certify.check.nimc_constants`; Theorem D.5's bound is rho for orthonormal factors). An NMF file proves,",
        "in exact rational arithmetic, the quartic's coefficients, the enclosure of alpha = min l'' on the segment,",
        "the verdict and the cosine. `certify verify FILE [--exact]` checks them, `certify validate FILE` runs the",
        "solvers from perturbed starts (NIMC: GD on finite samples from (1 - alpha) W* + alpha W_rand; NMF: the",
        "solver beside the certified-convex fraction from (1 - gamma)(W*, H*) + gamma random).",
        "",
        "| file | kind | instance | claims | published | verified | exact |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        pub = "" if row["published"] is None else f"{row['published']:g}"
        lines.append(f"| `{row['file']}` | {row['kind']} | {row['instance']} | {row['claim']} | {pub} | "
                     f"{'yes' if row['ok'] else 'NO'} | {row['exact'] or '-'} |")
    lines += ["", "Descriptions:", ""]
    lines += [f"* `{row['file']}`: {row['description']}." + (f" Published: {row['reference']}." if row["reference"] else "")
              + (f" Exact verification: {row['exact']}: {row['exact_reason']}." if row.get("exact") else "")
              for row in rows]
    lines.append("")
    return "\n" + "\n".join(lines)


def _row(path: Path, cert: Certificate, ok: bool, entry: CatalogEntry) -> dict:
    return {
        "file": path.name, "n": cert.n, "r": cert.r, "r_star": cert.r_star,
        "operator": cert.operator.to_dict()["type"], "delta": cert.delta,
        "delta_lower": float("nan") if cert.delta_lower is None else cert.delta_lower,
        "hess_min": float((cert.verification or {}).get("hess_min", float("nan"))),
        "published": entry.published, "reference": entry.reference, "source": cert.source, "ok": ok,
        "description": cert.description or "",
        **_exact_fields(cert.exact),
    }


def _exact_fields(ex: dict | None) -> dict:
    if not ex:
        return {"exact": None}
    nudge = (ex.get("repair") or {}).get("nudge") or {}
    return {
        "exact": ex.get("outcome"), "exact_reason": ex.get("reason"),
        "exact_delta": (ex.get("delta") or {}).get("exact"), "exact_delta_float": (ex.get("delta") or {}).get("float"),
        "exact_mu": (ex.get("mu") or {}).get("exact"),
        "exact_strict": ex.get("claim") == "strict-local-minimum", "exact_repaired": bool(nudge.get("succeeded")),
    }


def check(directory="counterexamples") -> list[tuple[str, bool, str]]:
    """Load and verify every ``*.json`` certificate in ``directory``: the float verification, and
    the exact one (when python-flint is installed), whose recomputed verdict must be ``proved`` (and
    equal the verdict stored in the file, if any).  A file that cannot be read is a failed entry."""
    out = []
    for path in sorted(Path(directory).glob("*.json")):
        try:
            cert = load(path)
            stored = (cert.exact or {}).get("outcome")
            rep = cert.verify()
            why = list(rep.failures)
            ex = _exact(cert)
        except CertifyError as exc:  # one bad file is a failed entry, not the end of the check
            out.append((path.name, False, str(exc)))
            continue
        if ex is not None:
            if ex.outcome != "proved":
                why.append(f"exact: {ex.outcome} ({ex.reason})")
            elif stored is not None and stored != ex.outcome:
                why.append(f"exact: the file says {stored!r}, recomputed {ex.outcome!r} ({ex.reason})")
        out.append((path.name, not why, "; ".join(why)))
    return out + _check_kinds(directory)


def _check_kinds(directory) -> list[tuple[str, bool, str]]:
    """:func:`check` for the files of the other kinds (``nimc/*.json``, ``nmf/*.json``): loaded by
    :func:`certify.check.load_any`, the float verification, and the exact one, whose recomputed
    verdict must be ``proved`` (and equal the stored one)."""
    from ..check.exact import ExactUnavailableError  # noqa: PLC0415
    from ..check.loader import load_any  # noqa: PLC0415

    out = []
    for folder in sorted({e.folder for e in KIND_ENTRIES}):
        for path in sorted((Path(directory) / folder).glob("*.json")):
            name = f"{folder}/{path.name}"
            try:
                cert = load_any(path)
                stored = (cert.exact or {}).get("outcome")
                rep = cert.verify()
                why = list(rep.failures)
                try:
                    ex = cert.verify_exact()
                except ExactUnavailableError:
                    ex = None
            except CertifyError as exc:
                out.append((name, False, str(exc)))
                continue
            if ex is not None and ex.outcome != "proved":
                why.append(f"exact: {ex.outcome} ({ex.reason})")
            elif ex is not None and stored is not None and stored != ex.outcome:
                why.append(f"exact: the file says {stored!r}, recomputed {ex.outcome!r}")
            out.append((name, not why, "; ".join(why)))
    return out
