"""The teaching explorer (``certify explore``): a local web application built on Panel.

:mod:`certify.explore.model` computes what the pages show (no web framework; tested and
benchmarked on its own); :mod:`certify.explore.app` lays the pages out with Panel and Bokeh;
:mod:`certify.explore.server` serves them on ``127.0.0.1``.  Panel and Bokeh are the optional
extra ``certify[explore]``; importing this package does not import them.
"""
