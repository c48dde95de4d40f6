"""The pre-redesign import paths of NIMC and NMF (certify.nonconvex.nimc, certify.constants.nimc,
certify.nonconvex.nmf*) still import, for one release, and name the moved objects."""

import importlib


def test_old_nimc_paths_resolve_to_certify_nimc():
    import certify.nimc
    from certify.nimc import constants, hessians, training

    old = importlib.import_module("certify.nonconvex.nimc")
    assert old.gd is training.gd and old.population_hessian is hessians.population_hessian
    assert old._factor_expectations_smooth is hessians._factor_expectations_smooth  # private names too
    assert certify.nimc.hessian is hessians.hessian  # the function, not a submodule of that name
    assert old.ACTIVATIONS is certify.nimc.ACTIVATIONS is constants.ACTIVATIONS
    assert set(old.__all__) <= set(dir(old))
    from certify.constants import nimc as C

    assert C is constants
    import certify.constants

    assert certify.constants.nimc is constants


def test_old_nmf_paths_resolve_to_certify_nmf():
    import certify.check.nmf as checker
    import certify.nmf
    from certify.nmf import data, landscape, model, segments, solvers
    from certify.nonconvex import nmf

    assert nmf is certify.nmf
    nmf_model = importlib.import_module("certify.nonconvex.nmf_model")
    assert nmf_model.mu is solvers.mu and nmf_model.loss is model.loss and nmf_model._loss_batch is model._loss_batch
    nmf_certificate = importlib.import_module("certify.nonconvex.nmf_certificate")
    assert nmf_certificate.segment_certificates is segments.segment_certificates
    assert nmf_certificate.check_segment_certificate is checker.check_segment_certificate
    assert nmf_certificate.SegmentCertificate is checker.SegmentCertificate is certify.nmf.SegmentCertificate
    assert importlib.import_module("certify.nonconvex.nmf_data") is data
    assert importlib.import_module("certify.nonconvex.nmf_landscape") is landscape
    ns = {}
    exec("from certify.nonconvex.nmf_model import *", ns)  # noqa: S102 - star import through the alias
    assert ns["pgd"] is solvers.pgd and ns["check_data"] is checker.check_data
