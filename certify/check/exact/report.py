"""The report of the exact checker (:class:`ExactReport`) and its one error of its own
(:class:`ExactUnavailableError`: python-flint is missing).  No python-flint needed to import it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields

from ..._version import __version__
from ...errors import CertifyError
from ...io import jsonable as _jsonable

__all__ = ["ExactReport", "ExactUnavailableError"]


class ExactUnavailableError(CertifyError, ImportError):
    """python-flint is not installed (``pip install 'certify[exact]'``)."""


@dataclass
class ExactReport:
    """Outcome of :func:`~certify.check.exact.verify_exact` (and of the claim-by-claim verifiers).

    ``outcome``: ``"proved"``, ``"disproved"`` or ``"undecided"``; ``reason``: one line.
    ``claim``: ``"strict-local-minimum"`` (μ > 0) or ``"second-order-critical-point"``.
    ``delta``/``mu``: the proved (or attempted) rational values, ``{"exact": "p/q", "float",
    "claimed", "relaxed"}``; μ in the certificate's own scale (operator scaled by ``t``).
    ``checks``: ``first_order``, ``second_order``, ``isometry``, ``spurious`` — each with
    ``passed`` (``None`` when not reached), an exact ``value`` string, ``value_float``, ``detail``.
    ``violating_vector``: for ``disproved``, the witness vector (floats on the 2^-40 grid, so
    exact); ``witness`` says which check, its coordinates and the exact value.  ``scale``: the
    factor ``c`` (exact and float).  ``instance``: sizes, reduction, how each array was rounded.
    ``repair``: the first-order projection and the optional repair step (relative sizes).
    """

    outcome: str
    reason: str
    claim: str = "second-order-critical-point"
    delta: dict | None = None
    mu: dict | None = None
    checks: dict = field(default_factory=dict)
    violating_vector: list | None = None
    witness: dict | None = None
    scale: dict | None = None
    instance: dict | None = None
    repair: dict | None = None
    seconds: float = 0.0
    package_version: str = __version__
    #: every claim of a certificate file with its verdict (:func:`certify.check.exact.claims.verify_certificate_exact`)
    claims: list = field(default_factory=list)
    #: the proved bracket's lower end ``{"exact", "float", "claimed", "relaxed"}`` (a dual point proved it)
    delta_lower: dict | None = None
    #: for ``proved``: the proved rational instance (not serialized) — ``X``, ``M`` (scaled by
    #: ``c``), ``H`` (reduced for a compact operator), ``t`` (scale of the lift's identity block),
    #: ``delta``, ``mu_scaled`` (μ in the scaled instance), ``c`` — as Fractions (nested lists)
    proof: dict | None = field(default=None, repr=False, compare=False)
    #: the rational instance the checks ran on (not serialized): ``X``, ``M`` (fmpq_mat, scaled by
    #: ``c``), ``c`` (fmpq), ``Q`` (float basis of the reduced coordinates, None for the identity),
    #: ``n``; present once it was built, whatever the outcome
    instance_q: dict | None = field(default=None, repr=False, compare=False)

    @property
    def proved(self) -> bool:
        """``outcome == "proved"``."""
        return self.outcome == "proved"

    def to_dict(self) -> dict:
        """The JSON-ready report (without ``proof`` and ``instance_q``)."""
        return _jsonable({f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("proof", "instance_q")})

    def summary(self) -> str:
        """A few human-readable lines."""
        lines = [f"exact verification: {self.outcome.upper()}: {self.reason}"]
        lines += self._values_lines()
        for name, c in self.checks.items():
            state = {True: "ok", False: "FAILED", None: "not reached"}[c.get("passed")]
            lines.append(f"  ({c.get('label', '?')}) {name}: {state}; {c.get('detail', '')}")
        if self.claims:
            lines.append("claims:")
            for c in self.claims:
                lines.append(f"  {c['claim']}: {c['verdict'].upper() if c['verdict'] != 'not a proof claim' else c['verdict']}"
                             f" (claimed {c['claimed']!r}); {c['detail']}")
        if self.witness:
            lines.append(f"witness ({self.witness.get('check')}): exact value {self.witness.get('value')}; "
                         f"{self.witness.get('meaning', '')}")
        if self.repair and self.repair.get("nudge") and self.repair["nudge"].get("succeeded"):
            nd = self.repair["nudge"]
            lines.append(f"repair step: operator moved by {nd['relative_change']:.2g} (relative, Frobenius) to lift "
                         f"{nd['directions']} near-null Hessian direction(s)")
        lines.append(f"time {self.seconds:.2f} s")
        return "\n".join(lines)

    def _values_lines(self) -> list[str]:
        """The summary's lines on the proved values: δ and μ, and the bracket on δ."""
        lines = []
        claim = self.claim.replace("-", " ")
        if self.delta and self.mu:
            lines.append(f"claim: {claim}; delta = {self.delta['exact']} (claimed {self.delta['claimed']!r}"
                         f"{', relaxed' if self.delta.get('relaxed') else ''}), mu = {self.mu['exact']}"
                         + (f" (claimed {self.mu['claimed']!r}, relaxed)" if self.mu.get("relaxed") else "")
                         + " in the certificate's scale")
        if self.delta_lower and self.delta:
            lines.append(f"bracket: delta(X, Z) in [{self.delta_lower['exact']}, {self.delta['exact']}] "
                         f"(~[{self.delta_lower['float']:.12g}, {self.delta['float']:.12g}]) on the rational instance")
        return lines


def _undecided_report(reason, t0, **kw) -> ExactReport:
    """An "undecided" report, timed from ``t0`` (:func:`time.perf_counter`)."""
    return ExactReport(outcome="undecided", reason=reason, seconds=time.perf_counter() - t0, **kw)
