"""The (ρ, φ) grid of the ``rank1-grid`` and ``curvature-map`` kinds: the axes (checked, φ in
degrees), their size (refused above :data:`~certify.sweep.base.MAX_POINTS` before any axis is
built), the lazy points and the point ``x`` of a task (:func:`certify.rip.rank1.rank1_point`, as
:func:`certify.rip.saddle_map`)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ...errors import InputError
from ...io import parse_grid
from ..base import MAX_POINTS, LazyPoints, Point

__all__ = ["check_grid_size", "grid_axes", "grid_points", "grid_xz", "to_degrees"]


def _axis_size(value, name: str) -> int:
    """The number of values of a grid axis (a ``start:stop:num`` string, a comma list, a number or
    a list) without building a ``start:stop:num`` one."""
    if isinstance(value, str) and value.count(":") == 2:
        try:
            k = int(value.split(":")[2])
        except ValueError:
            k = 0
        if k >= 1:
            return k
    elif isinstance(value, (list, tuple, np.ndarray)):
        return int(np.size(value))
    return len(parse_grid(value, name))  # a comma list or a number (as long as its text), or the error


def check_grid_size(rhos, phis, *, names=("rhos", "phis_deg"), kind: str = "grid") -> int:
    """The number of points of a ``rhos x phis`` grid, computed without building the axes; an
    :class:`InputError` naming the count if it exceeds :data:`MAX_POINTS`."""
    a, b = _axis_size(rhos, names[0]), _axis_size(phis, names[1])
    if a * b > MAX_POINTS:
        raise InputError(f"{kind}: {a * b:,} points ({a:,} {names[0]} x {b:,} {names[1]}) exceed the maximum of "
                         f"{MAX_POINTS:,} points of one sweep; coarsen the grid or split it into several sweeps "
                         "(one store each)")
    return a * b


def _grid_values(value, name: str) -> list[float]:
    vals = parse_grid(value, name)
    if len(set(vals)) != len(vals):
        raise InputError(f"{name}: duplicate values")
    return vals


def to_degrees(v: float) -> float:
    """``v`` radians in degrees: the shortest rounding of ``math.degrees(v)`` that
    ``math.radians`` maps back to ``v`` exactly (``radians(30)`` -> 30.0, not 29.999999999999996),
    so the task computes at the very same angle; ``math.degrees(v)`` if there is none."""
    d = math.degrees(v)
    for digits in range(16):
        c = round(d, digits)
        if math.radians(c) == v:
            return c
    return d


def _old_radians(vals: list) -> list:
    """The deprecated ``phis`` (radians) in degrees (:func:`to_degrees`); values outside [0, pi]
    (degrees given under the old name) refused.  The warning points at the caller of ``run_sweep``."""
    bad = [v for v in vals if not 0.0 <= v <= math.pi]
    if bad:
        raise InputError(f"phis: {bad[0]!r} is not an angle in radians in [0, pi] (degrees?); phis (radians) is "
                         "deprecated: give phis_deg, the angles in degrees in [0, 180]")
    # stacklevel: _old_radians, grid_axes, the kind's prepare, run_sweep, its caller
    warnings.warn("sweep parameter 'phis' (radians) is deprecated: give 'phis_deg' (degrees, in [0, 180]); "
                  "converted to degrees", FutureWarning, stacklevel=5)
    vals = [to_degrees(v) for v in vals]
    if len(set(vals)) != len(vals):
        raise InputError("phis: duplicate values")
    return vals


def grid_axes(params: dict, kind: str):
    """``(rhos, phis_deg)`` of a grid kind: rhos >= 0, angles in degrees in [0, 180].  The old
    parameter ``phis`` (radians) is still accepted, with a FutureWarning, converted by
    :func:`to_degrees`, and refused when a value is outside [0, pi] (e.g. degrees given under
    the old name)."""
    if "rhos" not in params:
        raise InputError(f"{kind}: missing parameter 'rhos'")
    if "phis" in params and "phis_deg" in params:
        raise InputError(f"{kind}: give phis_deg (degrees) only; phis (radians) is its deprecated old name")
    if "phis" not in params and "phis_deg" not in params:
        raise InputError(f"{kind}: missing parameter 'phis_deg' (the angles phi between x and z, in degrees)")
    old = "phis" in params
    name = "phis" if old else "phis_deg"
    check_grid_size(params["rhos"], params[name], names=("rhos", name), kind=kind)
    rhos = _grid_values(params["rhos"], "rhos")
    if any(v < 0 for v in rhos):
        raise InputError(f"rhos: expected values >= 0, got {min(rhos)!r}")
    vals = _grid_values(params[name], name)
    if old:
        return rhos, _old_radians(vals)
    bad = [v for v in vals if not 0.0 <= v <= 180.0]
    if bad:
        raise InputError(f"phis_deg: {bad[0]!r} is outside [0, 180]; phi is the angle between x and z, in degrees")
    return rhos, vals


def grid_points(p: dict) -> LazyPoints:
    """Point ``i · len(phis_deg) + j`` is ``(rhos[i], phis_deg[j])``, key ``rho=<ρ>,phi_deg=<φ>``."""
    rhos, phis = p["rhos"], p["phis_deg"]
    common = {k: v for k, v in p.items() if k not in ("rhos", "phis_deg")}
    m = len(phis)

    def make(idx):
        i, j = divmod(idx, m)
        rho, phi = rhos[i], phis[j]
        return Point(f"rho={rho!r},phi_deg={phi!r}", {**common, "i": i, "j": j, "rho": rho, "phi_deg": phi})

    return LazyPoints(len(rhos) * m, make)


def grid_xz(p: dict):
    """``(x, z, ground)`` of a grid point: ``x = ρ (cos φ, sin φ)``, ``z = (1, 0)``, and whether
    ``x xᵀ = z zᵀ`` (:func:`certify.rip.rank1.rank1_point`)."""
    from ...rip.rank1 import E1, rank1_point  # noqa: PLC0415

    x, ground = rank1_point(float(p["rho"]), math.radians(float(p["phi_deg"])), E1)
    return x, np.array(E1), ground

