"""The catalog of counterexample certificates in ``counterexamples/``.

Each entry is a function that builds a certificate, beside the published value it reproduces
(``None`` when nothing was published); the tests compare the two (computed, published).  :func:`regenerate` writes every entry as a
certificate file plus a ``README.md`` table; the command is ``certify catalog --dir counterexamples``.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .certificates import Certificate, load
from .errors import InputError
from .io import atomic_write_text
from .rip import examples
from .rip.sdp import counterexample

__all__ = ["ENTRIES", "CatalogEntry", "regenerate", "check", "published_certificate"]


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


def _overparameterized():
    # r = 2 > r* = 1: X = a [e2, e3], z = e1.  A one-dimensional search over a put the minimum of
    # delta at a^2 = sqrt(2) - 1 (to 1e-6), where delta(X, z) = 1/(1 + 1/sqrt(2)) = 2 - sqrt(2),
    # the sharp overparameterized threshold 1/(1 + 1/sqrt(r)) for r* = 1 (REFERENCE §1.1).
    a = np.sqrt(np.sqrt(2.0) - 1.0)
    X = np.array([[0.0, 0.0], [a, 0.0], [0.0, a]])
    z = np.array([1.0, 0.0, 0.0])
    c = counterexample(X, z)
    c.name = "overparameterized_r2_rstar1"
    c.description = "r = 2 > r* = 1: X = a [e2, e3] with a^2 = sqrt(2) - 1, z = e1 (n = 3); attains 1/(1 + 1/sqrt(2))"
    return c


def _strict(delta: float):
    def build():
        from .rip.curvature import curvature  # noqa: PLC0415

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


_R2 = "Zhang, Sojoudi, Lavaei (2019), Theorem 3 / Example 1"
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
    CatalogEntry("overparameterized_r2_rstar1", _overparameterized, float(1.0 / (1.0 + 1.0 / np.sqrt(2.0))),
                 "sharp threshold 1/(1 + 1/sqrt(r)) for r* = 1 (REFERENCE 1.1)"),
    CatalogEntry("zhang2018_strict_055", _strict(0.55)),
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
        "they carry no delta_lower (their dual point bounds the curvature instead, recorded in the description).",
        "Regenerate all of them with `certify catalog --dir counterexamples`; check them with",
        "`certify catalog --dir counterexamples --check` (the test suite loads and verifies each one).",
        "",
        "| file | n | r | r* | operator | delta | delta_lower | published | min Hessian eig | source | verified |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        pub = "" if row["published"] is None else f"{row['published']:.9f}"
        lines.append(
            f"| `{row['file']}` | {row['n']} | {row['r']} | {row['r_star']} | {row['operator']} | {row['delta']:.9f} | "
            f"{'-' if row['delta_lower'] != row['delta_lower'] else format(row['delta_lower'], '.9f')} | {pub} | "
            f"{row['hess_min']:.3g} | {row['source']} | {'yes' if row['ok'] else 'NO'} |"
        )
    lines += ["", "Descriptions:", ""]
    lines += [f"* `{row['file']}`: {row['description']}." + (f" Published value: {row['reference']}." if row["reference"] else "")
              for row in rows]
    lines.append("")
    return "\n".join(lines)


def regenerate(directory="counterexamples", *, only: list[str] | None = None, progress=True) -> list[dict]:
    """Rebuild every catalog file in ``directory`` (atomically) and its README table."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    names = [e.name for e in ENTRIES]
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
                rows.append(_row(path, cert, cert.verify().ok, entry))
            continue
        t0 = time.perf_counter()
        cert = entry.build()
        report = cert.verify()
        if not report.ok:
            raise InputError(f"catalog entry {entry.name} failed verification: {'; '.join(report.failures)}")
        cert.save(path)
        rows.append(_row(path, cert, report.ok, entry))
        if progress:
            print(f"[{i}/{len(ENTRIES)}] {path}  delta = {cert.delta:.9f}  ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    atomic_write_text(folder / "README.md", _readme(rows))
    return rows


def _row(path: Path, cert: Certificate, ok: bool, entry: CatalogEntry) -> dict:
    return {
        "file": path.name, "n": cert.n, "r": cert.r, "r_star": cert.r_star,
        "operator": cert.operator.to_dict()["type"], "delta": cert.delta,
        "delta_lower": float("nan") if cert.delta_lower is None else cert.delta_lower,
        "hess_min": float((cert.verification or {}).get("hess_min", float("nan"))),
        "published": entry.published, "reference": entry.reference, "source": cert.source, "ok": ok, "description": cert.description or "",
    }


def check(directory="counterexamples") -> list[tuple[str, bool, str]]:
    """Load and verify every ``*.json`` certificate in ``directory``."""
    out = []
    for path in sorted(Path(directory).glob("*.json")):
        cert = load(path)
        rep = cert.verify()
        out.append((path.name, rep.ok, "; ".join(rep.failures)))
    return out
