import json
import subprocess
import sys

import numpy as np
import pytest

import certify
from certify import CertificateFormatError, InputError, rip
from certify.certificates import Certificate, Tolerances, load
from certify.operators import CompactOperator, ExplicitOperator


@pytest.fixture(scope="module")
def cert():
    return rip.counterexample([0.0, 1.0 / np.sqrt(2.0)], [1.0, 0.0])


@pytest.fixture(scope="module")
def cert_r2():
    rng = np.random.default_rng(11)
    return rip.counterexample(rng.standard_normal((6, 2)), rng.standard_normal((6, 2)))


def test_roundtrip_preserves_every_number(tmp_path, cert):
    path = cert.save(tmp_path / "c.json")
    back = load(path)
    assert back.delta == cert.delta and back.delta_lower == cert.delta_lower
    assert np.array_equal(back.operator.H_hat, cert.operator.H_hat)
    assert np.array_equal(back.dual.V, cert.dual.V)
    rep = back.verify()
    assert rep.ok and rep.rip_delta == pytest.approx(cert.delta, abs=1e-15)
    d = json.loads(path.read_text())
    assert d["format"] == "certify.certificate" and d["format_version"] == 1
    for key in ("instance", "operator", "delta", "delta_lower", "dual", "solver", "package", "verification"):
        assert key in d
    assert d["solver"]["name"] == "CLARABEL" and d["solver"]["status"].startswith("optimal")
    assert d["package"]["version"] == certify.__version__
    assert d["verification"]["ok"] is True


def test_rank2_certificate_verifies(tmp_path, cert_r2):
    assert cert_r2.verify().ok
    assert load(cert_r2.save(tmp_path / "r2.json")).verify().ok


def _tampered(cert, tmp_path, edit):
    d = json.loads(cert.to_json())
    edit(d)
    p = tmp_path / "t.json"
    p.write_text(json.dumps(d))
    return load(p)


def _bump_H(d):
    d["operator"]["H_hat"][0][0] += 1e-3


def _bump_H_sym(d):
    d["operator"]["H_hat"][0][1] += 0.05
    d["operator"]["H_hat"][1][0] += 0.05


def _wrong_delta(d):
    d["delta"] = 0.45


def _wrong_lower(d):
    d["delta_lower"] = 0.49


def _wrong_X(d):
    d["instance"]["X"][1][0] *= 1.01


def _move_X(d):
    d["instance"]["X"] = [[0.1], [0.70710678]]


def _bad_P(d):
    d["operator"]["P"][0][0] *= 1.5


def _X_is_Z(d):
    d["instance"]["X"] = [[1.0], [0.0]]


def _bad_dual(d):
    d["dual"]["V"][0][0] += 0.5


def _drop_dual(d):
    d["dual"] = None


@pytest.mark.parametrize(
    "edit", [_bump_H, _bump_H_sym, _wrong_delta, _wrong_lower, _wrong_X, _move_X, _bad_P, _X_is_Z, _bad_dual, _drop_dual]
)
def test_tampered_certificates_are_rejected(tmp_path, cert, edit):
    t = _tampered(cert, tmp_path, edit)
    rep = t.verify()
    assert not rep.ok
    assert rep.failures


def test_tampered_rank2_certificate_is_rejected(tmp_path, cert_r2):
    def edit(d):
        d["operator"]["H_hat"][3][3] *= 1.0001
    assert not _tampered(cert_r2, tmp_path, edit).verify().ok


def test_verify_by_hand_built_operator():
    op, x, z = rip.examples.zhang2018()
    rep = rip.verify(op, x, z)
    assert rep.ok and rep.rip_delta == pytest.approx(0.5, abs=1e-12)
    assert rep.hess_min == pytest.approx(0.0, abs=1e-12)
    assert np.allclose(op.hessian(x, z), [[0.0, 0.0], [0.0, 4.0]])
    # a point that is not critical, a wrong claimed delta, a non-spurious point
    assert not rip.verify(op, x + [0.0, 0.1], z).ok
    assert not rip.verify(op, x, z, delta=0.4).ok
    assert not rip.verify(op, z, z).ok
    # a random operator does not make x critical
    rng = np.random.default_rng(0)
    assert not rip.verify(ExplicitOperator(rng.standard_normal((6, 2, 2))), x, z).ok


def test_strict_minimum_is_detected_and_tolerances_are_reported(cert):
    rep = cert.verify()
    assert not rep.strict  # at delta = 1/2 the Hessian is singular (JMLR19 p. 16)
    assert rep.tolerances["grad"] == Tolerances().grad
    assert rep.checks["first_order"]["passed"]
    strict = rip.verify(cert.operator, cert.X, cert.Z, tolerances=Tolerances(hess=-1e-3))
    assert not strict.ok  # demanding a positive curvature margin fails at delta = 1/2


def test_verify_input_errors(cert):
    with pytest.raises(InputError, match="rows"):
        rip.verify(cert.operator, np.ones(3), np.ones(3))
    with pytest.raises(InputError, match="MeasurementOperator"):
        rip.verify("not an operator", [1, 0], [0, 1])
    with pytest.raises(InputError, match="domain"):
        rip.verify(cert.operator, cert.X, cert.Z, domain="hermitian")


def test_format_errors(tmp_path, cert):
    p = tmp_path / "x.json"
    p.write_text("{ not json")
    with pytest.raises(CertificateFormatError, match="not a JSON"):
        load(p)
    d = json.loads(cert.to_json())
    d["format_version"] = 99
    p.write_text(json.dumps(d))
    with pytest.raises(CertificateFormatError, match="format_version"):
        load(p)
    d = json.loads(cert.to_json())
    del d["operator"]
    p.write_text(json.dumps(d))
    with pytest.raises(CertificateFormatError, match="operator"):
        load(p)
    d = json.loads(cert.to_json())
    d["format"] = "something"
    p.write_text(json.dumps(d))
    with pytest.raises(CertificateFormatError):
        load(p)
    with pytest.raises(InputError, match="no such file"):
        load(tmp_path / "missing.json")


def test_save_is_atomic_and_keeps_old_file_on_failure(tmp_path, cert, monkeypatch):
    p = tmp_path / "c.json"
    cert.save(p)
    before = p.read_bytes()
    import certify.io as io

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(io.os, "fsync", boom)
    with pytest.raises(OSError):
        cert.save(p)
    assert p.read_bytes() == before
    assert [q.name for q in tmp_path.iterdir()] == ["c.json"]


def test_load_and_verify_work_without_cvxpy(tmp_path, cert):
    path = cert.save(tmp_path / "c.json")
    code = (
        "import sys; sys.modules['cvxpy'] = None; sys.modules['clarabel'] = None; sys.modules['scs'] = None\n"
        "import certify\n"
        f"rep = certify.load({str(path)!r}).verify()\n"
        "assert rep.ok, rep.failures\n"
        "assert 'cvxpy' not in sys.modules or sys.modules['cvxpy'] is None\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_explicit_certificate_roundtrip(tmp_path):
    op, x, z = rip.examples.zhang2018()
    c = Certificate(X=x, Z=z, operator=op, delta=0.5, source="published")
    back = load(c.save(tmp_path / "p.json"))
    assert isinstance(back.operator, ExplicitOperator) and back.verify().ok
    assert back.delta_lower is None and back.dual is None


def test_compact_and_explicit_verification_agree(cert):
    ex = cert.operator.to_explicit()
    a = rip.verify(cert.operator, cert.X, cert.Z)
    b = rip.verify(ex, cert.X, cert.Z)
    assert a.ok and b.ok
    for key in ("rip_delta", "f_value", "hess_min"):
        assert getattr(a, key) == pytest.approx(getattr(b, key), abs=1e-9)
    assert isinstance(cert.operator, CompactOperator)
