"""``validation``: (S)GD validation trials of a certificate (docs/mathematics.md §1.5, the protocol of
:func:`certify.validate`) split into chunks of trials with per-chunk seeds; the summary pools the
chunks (exact counts and exact error quantiles over all trials).

The options are checked by :meth:`certify.sgd.protocol.Protocol.from_options` (the checks of
:func:`certify.validate`; the number of trials in all is not limited, a chunk's is), and the
chunks are pooled by :class:`certify.sgd.protocol.Tally`, as the chunks of one ``validate`` run."""

from __future__ import annotations

import hashlib
import math

import numpy as np

from ...errors import InputError
from ..base import LazyPoints, Point, SweepKind, SweepResult, canonical
from .common import counts, failure_lines, failures, posint, unknown

__all__ = ["KIND", "chunk_seed", "validation_task", "validation_result"]

SEEDS_TEXT = "chunk c uses seed SeedSequence([seed, c]).generate_state(1, uint32)[0] (certify.sweep.chunk_seed)"


def _cert_identity(d: dict) -> str:
    core = {k: d.get(k) for k in ("instance", "operator", "delta")}
    return "sha256:" + hashlib.sha256(canonical(core).encode("utf-8")).hexdigest()


def chunk_seed(seed: int, chunk: int) -> int:
    """The seed of chunk ``chunk``: the first 32-bit word of ``SeedSequence([seed, chunk])``."""
    return int(np.random.SeedSequence([int(seed), int(chunk)]).generate_state(1, dtype=np.uint32)[0])


def prepare(params: dict):
    from ...check.format import Certificate, load  # noqa: PLC0415
    from ...sgd.protocol import MAX_TRIALS, OPTIONS, Protocol  # noqa: PLC0415

    params = dict(params)
    unknown(params, ("certificate", "chunk", *OPTIONS), "validation")
    c = params.get("certificate")
    if c is None:
        raise InputError("validation: missing parameter 'certificate' (a Certificate or a certificate file)")
    cert = c if isinstance(c, Certificate) else load(c)
    chunk = posint(params, "chunk", 1000)
    if chunk > MAX_TRIALS:
        raise InputError(f"chunk: at most {MAX_TRIALS} trials per chunk (validation.MAX_TRIALS), got {chunk}")
    # the protocol's checks (batch <= m, ...) up front, not in every chunk task
    settings = Protocol.from_options(cert, max_trials=None, **{k: params[k] for k in OPTIONS if k in params}).to_dict()
    d = cert.to_dict()
    d["validations"] = []
    spec = {"certificate": {"sha256": _cert_identity(d), "name": cert.name, "n": cert.n, "r": cert.r,
                            "r_star": cert.r_star, "delta": float(cert.delta), "source": cert.source},
            "trials": settings.pop("trials"), "chunk": chunk, **settings}
    return spec, d


def points(p: dict) -> LazyPoints:
    common = {k: v for k, v in p.items() if k not in ("trials", "chunk", "certificate")}
    common["certificate_sha256"] = p["certificate"]["sha256"]
    return LazyPoints(-(-p["trials"] // p["chunk"]), lambda c: Point(
        f"chunk={c}", {**common, "chunk": c, "trials": min(p["chunk"], p["trials"] - c * p["chunk"]),
                       "seed": chunk_seed(p["seed"], c)}))


_CERT_CACHE: dict = {}


def validation_task(p: dict, context) -> dict:
    """One chunk of validation trials: the protocol of :func:`certify.validate` (same start and
    stream derivation from ``(seed, γ)``, here with the chunk's seed), returning per γ the counts
    and the sorted per-trial errors (``None`` = diverged) so that chunks pool exactly."""
    from ...check.format import Certificate  # noqa: PLC0415
    from ...sgd.protocol import Protocol  # noqa: PLC0415

    ident = p["certificate_sha256"]
    cert = _CERT_CACHE.get(ident)
    if cert is None:
        if context is None or _cert_identity(context) != ident:
            raise InputError("validation: the certificate shipped to the worker does not match the sweep's")
        cert = _CERT_CACHE[ident] = Certificate.from_dict(context)
    proto = Protocol.from_dict(p)  # the chunk's trials and seed
    rows = [proto.tally(cert, g).part(g) for g in proto.gammas]
    return {"chunk": int(p["chunk"]), "seed": int(p["seed"]), "trials": int(proto.trials), "rows": rows}


def summarize(params: dict, records: list) -> dict:
    from ...sgd.protocol import ERROR_TEXT, INIT_TEXT, OPTIONS, Tally  # noqa: PLC0415

    ok = [r["result"] for r in records if r is not None and r["status"] == "ok"]
    rows = []
    for gi, g in enumerate(params["gammas"]):
        pooled = Tally(sum(d["rows"][gi]["trials"] for d in ok))
        for d in ok:
            pooled.add_part(d["rows"][gi])
        row = pooled.row(g)
        row["error_quantiles"] = {k: (v if v is not None and math.isfinite(v) else None)
                                  for k, v in row["error_quantiles"].items()}
        rows.append(row)
    settings = {k: params[k] for k in OPTIONS if k != "trials"}
    settings.update(trials=sum(d["trials"] for d in ok), trials_requested=params["trials"], chunk=params["chunk"],
                    seeds=SEEDS_TEXT, init=INIT_TEXT, error=ERROR_TEXT)
    cert = params["certificate"]
    return {**counts(records), "rows": rows, "settings": settings,
            "certificate": {k: cert[k] for k in ("name", "n", "r", "r_star", "delta", "source")},
            "failures": failures(records)}


def validation_result(result):
    """The pooled :class:`certify.sgd.protocol.ValidationResult` of a ``validation`` sweep (or its
    summary dict): ``.table()``, ``.plot()``, ``.save()``."""
    from ...sgd.protocol import ValidationResult  # noqa: PLC0415

    s = result.summary if isinstance(result, SweepResult) else result
    d = {"rows": [{k: row[k] for k in ("gamma", "trials", "successes", "spurious", "diverged", "other", "success_rate",
                                       "spurious_rate", "diverged_rate", "other_rate", "error_quantiles", "seconds")}
                  for row in s["rows"]],
         "settings": s["settings"], "certificate": s["certificate"], "elapsed": 0.0, "created": ""}
    for row in d["rows"]:
        for k in ("success_rate", "spurious_rate", "diverged_rate", "other_rate"):
            row[k] = float("nan") if row[k] is None else row[k]
    return ValidationResult.from_dict(d)


def describe(s: dict) -> str:
    st = s["settings"]
    lines = [f"{st['method'].upper()} from X0 = (1-gamma) X + gamma W, W ~ N(0, {st['init_scale']:.3g}^2); {st['steps']} steps, "
             f"step size {st['step_size']:.4g}" + (f", batch {st['batch']}" if st["batch"] else "")
             + f"; {st['trials']} of {st['trials_requested']} trials in chunks of {st['chunk']} ({s['ok']} of "
             f"{s['points']} chunks done); success: error <= {st['tol']:g}; spurious: within {st['tol_spurious']:g} of X"]
    if st["trials"]:
        lines.append(validation_result(s).table())
    lines += failure_lines(s)
    return "\n".join(lines)


KIND = SweepKind("validation", prepare, points, validation_task, summarize, describe,
                 "(S)GD validation trials of a certificate in chunks")
