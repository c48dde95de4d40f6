"""One reader for every file ``certify verify`` and ``certify validate`` take — part of the trusted
kernel: :func:`load_any` reads a file through the hardened JSON reader
(:func:`certify.check.schema.read_json_file`) and dispatches on ``format`` and ``kind``:

=========================  ============================================  ==============================================
``format``                 ``kind``                                      object
=========================  ============================================  ==============================================
``certify.certificate``    ``bm-sensing/spurious-second-order-point``    :class:`~certify.check.format.Certificate`
``certify.certificate``    ``nimc/population-hessian``                   :class:`~certify.check.nimc.NIMCCertificate`
``certify.certificate``    ``nmf/segment-convexity``                     :class:`~certify.check.nmf.NMFCertificate`
``certify.curvature``      (any)                                         :class:`~certify.check.curvature.CurvatureFile`
=========================  ============================================  ==============================================

and ``format = "certify.algebraic-certificate"`` (kind ``bm-sensing/sharp-threshold``): an exact
sharp-threshold certificate over Q(sqrt(m)),
:class:`~certify.check.exact.algebraic.AlgebraicCertificate`.

Every object has ``kind``, a float verification (``verify()``) and an exact one
(``verify(exact=True)`` for a BM certificate, ``verify_exact()`` for the others); each checker
rejects a file whose numbers its data do not certify.  Anything else is refused with the BM
reader's one-line :class:`~certify.errors.CertificateFormatError`.
"""

from __future__ import annotations

from .format import KIND as BM_KIND
from .kindfile import NIMC_KIND, NMF_KIND

__all__ = ["KINDS", "BM_KIND", "NIMC_KIND", "NMF_KIND", "CURVATURE_FORMAT", "ALGEBRAIC_FORMAT", "from_dict_any", "load_any",
           "kind_of"]

CURVATURE_FORMAT = "certify.curvature"
#: the exact sharp-threshold certificates over Q(sqrt(m)) (:mod:`certify.check.exact.algebraic`)
ALGEBRAIC_FORMAT = "certify.algebraic-certificate"
#: the kinds of ``format = "certify.certificate"`` files, with a word on each
KINDS = {
    BM_KIND: "BM sensing: a delta-RIP operator with a spurious second-order critical point",
    NIMC_KIND: "NIMC: lambda_min of the population Hessian at the truth against Lemma C.1 / Theorem D.5",
    NMF_KIND: "NMF: convexity of the loss along a segment to an optimum",
}


def from_dict_any(d):
    """The object of a parsed file (the table in the module docstring)."""
    if isinstance(d, dict) and d.get("format") == CURVATURE_FORMAT:
        from .curvature import CurvatureFile  # noqa: PLC0415

        return CurvatureFile.from_dict(d)
    if isinstance(d, dict) and d.get("format") == ALGEBRAIC_FORMAT:
        from .exact.algebraic import AlgebraicCertificate  # noqa: PLC0415 - pure Python, no flint to read it

        return AlgebraicCertificate.from_dict(d)
    kind = d.get("kind") if isinstance(d, dict) else None
    if kind == NIMC_KIND:
        from .nimc import NIMCCertificate  # noqa: PLC0415

        return NIMCCertificate.from_dict(d)
    if kind == NMF_KIND:
        from .nmf import NMFCertificate  # noqa: PLC0415

        return NMFCertificate.from_dict(d)
    from .format import Certificate  # noqa: PLC0415 - BM sensing, and the error message for anything else

    return Certificate.from_dict(d)


def load_any(path):
    """Read any certificate file (BM sensing, NIMC, NMF, or a curvature result file)."""
    from .schema import read_json_file  # noqa: PLC0415

    return from_dict_any(read_json_file(path))


def kind_of(obj) -> str:
    """The kind of an object of :func:`load_any` (``"certify.curvature"`` for a curvature file)."""
    return getattr(obj, "kind", None) or (BM_KIND if type(obj).__name__ == "Certificate" else CURVATURE_FORMAT)
