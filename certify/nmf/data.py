"""Real NMF data available offline, and the MovieLens 100k loader.

* ``load_real(name)``: matrices shipped inside installed packages — scikit-learn's bundled
  datasets (``digits``: 1797 × 64 images of handwritten digits, the image-analysis NMF problem;
  ``iris``, ``wine``, ``breast_cancer``: non-negative feature tables; ``china``, ``flower``: the
  two sample photographs as 427 × 640 grey-level images) and matplotlib's sample MRI slice
  (``mri``, 256 × 256).  scikit-learn is imported lazily (``pip install "certify[nmf]"``).
* ``load_movielens(directory)``: the ratings matrix of the MovieLens 100k ``u.data`` file (Harper
  and Konstan 2016; the "movielens" dataset of SC-NMF Table 1 in its 1M form), users × items, with
  the mask of rated entries.  Nothing is downloaded: point it at a folder holding ``u.data``.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["REAL_DATASETS", "RealData", "load_real", "load_digits", "load_movielens", "require_sklearn"]

_SKLEARN_HINT = 'scikit-learn is needed for this dataset: pip install "certify[nmf]" (or pip install scikit-learn)'


def require_sklearn():
    """Import scikit-learn or raise :class:`InputError` naming the extra to install."""
    try:
        import sklearn  # noqa: PLC0415
    except ImportError:
        raise InputError(_SKLEARN_HINT) from None
    return sklearn


@dataclass
class RealData:
    """A real data matrix ``X`` (non-negative, float64), its observation ``mask`` and provenance."""

    name: str
    X: np.ndarray
    mask: np.ndarray
    description: str
    source: str
    suggested_rank: int
    info: dict = field(default_factory=dict)

    @property
    def shape(self):
        return self.X.shape


def _sk_table(loader_name):
    def load():
        require_sklearn()
        from sklearn import datasets  # noqa: PLC0415

        return np.asarray(getattr(datasets, loader_name)().data, dtype=float)

    return load


def _sk_image(index):
    def load():
        require_sklearn()
        from sklearn import datasets  # noqa: PLC0415

        img = np.asarray(datasets.load_sample_images().images[index], dtype=float)
        return img.mean(axis=2)  # grey level in [0, 255]

    return load


def _mri():
    import matplotlib.cbook as cbook  # noqa: PLC0415 - matplotlib is a dependency of certify

    with cbook.get_sample_data("s1045.ima.gz") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":  # some matplotlib versions hand back the compressed bytes
        raw = gzip.decompress(raw)
    return np.frombuffer(raw, np.uint16).reshape((256, 256)).astype(float)


# name: (loader, description, source, suggested rank)
REAL_DATASETS = {
    "digits": (_sk_table("load_digits"), "8x8 images of handwritten digits, 1797 x 64, grey levels 0..16",
               "scikit-learn load_digits (UCI optical recognition of handwritten digits)", 10),
    "iris": (_sk_table("load_iris"), "Fisher's iris measurements, 150 x 4 (cm)", "scikit-learn load_iris", 2),
    "wine": (_sk_table("load_wine"), "chemical analysis of wines, 178 x 13", "scikit-learn load_wine", 3),
    "breast_cancer": (_sk_table("load_breast_cancer"), "Wisconsin breast cancer features, 569 x 30",
                      "scikit-learn load_breast_cancer", 5),
    "china": (_sk_image(0), "photograph (china.jpg) as a 427 x 640 grey-level matrix", "scikit-learn load_sample_images", 20),
    "flower": (_sk_image(1), "photograph (flower.jpg) as a 427 x 640 grey-level matrix", "scikit-learn load_sample_images", 20),
    "mri": (_mri, "MRI slice s1045.ima, 256 x 256, 16-bit intensities", "matplotlib sample data", 20),
}


def load_real(name: str) -> RealData:
    """One of :data:`REAL_DATASETS` as a :class:`RealData` (every entry observed)."""
    if name not in REAL_DATASETS:
        raise InputError(f"name: unknown dataset {name!r}; accepted: {', '.join(REAL_DATASETS)}")
    loader, desc, src, rank = REAL_DATASETS[name]
    X = np.ascontiguousarray(loader(), dtype=float)
    if np.any(X < 0) or not np.all(np.isfinite(X)):  # pragma: no cover - the bundled data is clean
        raise InputError(f"{name}: the bundled matrix has negative or non-finite entries")
    return RealData(name=name, X=X, mask=np.ones(X.shape, dtype=bool), description=desc, source=src,
                    suggested_rank=rank)


def load_digits() -> np.ndarray:
    """scikit-learn's digits as a 1797 × 64 matrix (grey levels 0..16)."""
    return load_real("digits").X


def load_movielens(directory):
    """``(R, mask)`` from ``directory/u.data`` (MovieLens 100k: lines ``user<TAB>item<TAB>rating
    <TAB>timestamp``, ids from 1).  ``R`` is users × items (sizes inferred from the largest ids;
    943 × 1682 for the real file) with the ratings at rated entries and 0 elsewhere; ``mask`` is
    True at rated entries.  A missing file, a malformed line (named by its number), a non-positive
    id, a non-finite or negative rating, a duplicated (user, item) pair or an empty file raise
    :class:`InputError`."""
    d = Path(directory)
    path = d / "u.data" if d.is_dir() else d
    if d.is_dir() and not path.is_file():
        raise InputError(f"directory: {d} has no u.data file (the MovieLens 100k ratings, tab-separated "
                         "user, item, rating, timestamp)")
    if not path.is_file():
        raise InputError(f"directory: {directory} is neither a folder holding u.data nor a file")
    users, items, ratings, linenos = [], [], [], []
    try:
        fh = path.open("r", encoding="latin-1")
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    with fh:
        for lineno, line in enumerate(fh, start=1):
            s = line.strip()
            if not s:
                continue
            parts = s.split("\t") if "\t" in s else s.split()
            if len(parts) != 4:
                raise InputError(f"{path}: line {lineno}: expected 4 tab-separated fields (user, item, rating, "
                                 f"timestamp), got {len(parts)}: {s[:60]!r}")
            try:
                u, i = int(parts[0]), int(parts[1])
                rating = float(parts[2])
                int(parts[3])
            except ValueError:
                raise InputError(f"{path}: line {lineno}: expected integer user, item and timestamp and a numeric "
                                 f"rating, got {s[:60]!r}") from None
            if u < 1 or i < 1:
                raise InputError(f"{path}: line {lineno}: user and item ids start at 1, got user {u}, item {i}")
            if not np.isfinite(rating) or rating < 0:
                raise InputError(f"{path}: line {lineno}: rating must be a finite non-negative number, got {parts[2]!r}")
            users.append(u)
            items.append(i)
            ratings.append(rating)
            linenos.append(lineno)
    if not ratings:
        raise InputError(f"{path}: no ratings (empty file)")
    u = np.asarray(users) - 1
    i = np.asarray(items) - 1
    n, m = int(u.max()) + 1, int(i.max()) + 1
    key = u.astype(np.int64) * m + i
    uniq, counts = np.unique(key, return_counts=True)
    if np.any(counts > 1):
        k = int(np.flatnonzero(counts > 1)[0])
        dup = np.flatnonzero(key == uniq[k])
        raise InputError(f"{path}: line {linenos[dup[1]]}: duplicate rating for user {u[dup[0]] + 1}, item "
                         f"{i[dup[0]] + 1} (first given on line {linenos[dup[0]]})")
    R = np.zeros((n, m))
    M = np.zeros((n, m), dtype=bool)
    R[u, i] = ratings
    M[u, i] = True
    return R, M

