"""The import paths of before the package layout still work for one release (CHANGELOG.md):
certify.validation, certify.nonconvex.sensing and certify.nonconvex._kernels are the modules of
certify.sgd, and certify.sweep (now a package) keeps its public names."""

import warnings

import certify


def test_old_module_paths_are_the_new_modules():
    import certify.nonconvex._kernels as old_kernels
    import certify.nonconvex.sensing as old_sensing
    import certify.validation as old_validation
    from certify.nonconvex import sensing
    from certify.sgd import kernels, protocol
    from certify.sgd import sensing as new_sensing
    from certify.validation import MAX_TRIALS, QUANTILES, ValidationResult, chunk_trials, run_trials, validate

    assert old_validation is protocol and old_sensing is new_sensing and sensing is new_sensing
    assert old_kernels is kernels
    assert validate is protocol.validate is certify.validate
    assert ValidationResult is protocol.ValidationResult is certify.ValidationResult
    assert (MAX_TRIALS, QUANTILES, chunk_trials, run_trials) == (protocol.MAX_TRIALS, protocol.QUANTILES,
                                                                 protocol.chunk_trials, protocol.run_trials)


def test_the_sweep_package_keeps_its_names():
    from certify import sweep
    from certify.sweep import base, engine, executors, guard, kinds, store

    for name in sweep.__all__:
        assert hasattr(sweep, name), name
    assert sweep.run_sweep is engine.run_sweep and sweep.Store is store.Store and sweep.KINDS is kinds.KINDS
    assert (sweep.MAX_POINTS, sweep.DASK_RETRIES) == (base.MAX_POINTS, executors.DASK_RETRIES) == (10**7, 3)
    assert sweep.MAIN_GUARD_MESSAGE is guard.MAIN_GUARD_MESSAGE
    for name in ("chunk_seed", "execute", "rank1_task", "curvature_task", "search_task", "validation_task",
                 "_canonical", "_line_checksum", "_header_checksum", "_with_checksum", "_main_guarded"):
        assert callable(getattr(sweep, name)), name
    assert {"curvature-map", "rank1-grid", "search-restarts", "validation"} <= set(sweep.KINDS)


def test_saddle_map_items_still_read_with_a_warning():
    from certify.rip.curvature import SaddleMap

    m = SaddleMap(delta=0.4, z=[1.0, 0.0], rhos=[1.0], phis=[0.0], mu=[[float("nan")]], mu_upper=[[float("nan")]],
                  kind=[["ground-truth"]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert m["kind"] is m.kind and m["rho"] is m.rhos and m["phi"] is m.phis and m["convention"] == m.convention
    assert len(caught) == 4 and all(issubclass(w.category, DeprecationWarning) for w in caught)
