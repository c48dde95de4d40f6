"""The explorer's pages (Panel + Bokeh), one :class:`Explorer` per browser session.

Four tabs: *The spurious point*, *Trapped or not*, *The atlas*, *Certificates* (docs/explore.md).
Everything shown is computed by :mod:`certify.explore.model`; this module only lays it out and
turns every error into a message on the page (:meth:`Explorer._guard`): a callback never lets an
exception reach the server, and the server writes no file (downloads are produced in memory).

Values the browser test reads carry CSS classes (``delta-value``, ``delta-lower-value``,
``point-x1``, ``point-x2``, ``curv-state``, ``sgd-success``, ``sgd-trapped``, ``upload-verdict``,
``atlas-cell``, ``error-message``).
"""

from __future__ import annotations

import html
import io
import logging
import threading
import time
from pathlib import Path

import numpy as np
import panel as pn
from bokeh.events import Tap
from bokeh.models import ColorBar, ColumnDataSource, HoverTool, LinearColorMapper
from bokeh.palettes import Viridis256
from bokeh.plotting import figure

from ..errors import CertifyError
from . import model

__all__ = ["Explorer", "build", "plane_cached"]

log = logging.getLogger("certify.explore")

KIND_COLORS = {"global minimum": "#2ca02c", "spurious minimum": "#d62728", "degenerate": "#ff7f0e",
               "saddle": "#1f77b4", "maximum": "#7f7f7f"}
OUTCOME_COLORS = {"success": "#2ca02c", "trapped": "#d62728", "other": "#7f7f7f", "diverged": "#000000"}

_PLANE: dict = {}
_PLANE_LOCK = threading.Lock()


def plane_cached(size: int = 61) -> model.PlaneMap:
    """The δ heat map of the default plane, computed once per server process."""
    with _PLANE_LOCK:
        if size not in _PLANE:
            _PLANE[size] = model.plane_map(size=size)
        return _PLANE[size]


def _span(cls: str, text: str) -> str:
    return f'<span class="{cls}">{html.escape(text)}</span>'


def _fmt(v, digits: int = 12) -> str:
    return "–" if v is None else f"{float(v):.{digits}g}"


def _array_text(M: np.ndarray) -> str:
    return html.escape(np.array2string(np.round(M, 4) + 0.0, precision=4, suppress_small=True, max_line_width=60))


def _matrix_html(M: np.ndarray) -> str:
    M = np.round(M, 4) + 0.0  # no "-0.0000"
    rows = "".join("<tr>" + "".join(f"<td>{v: .4f}</td>" for v in row) + "</tr>" for row in M)
    return f'<table class="matrix">{rows}</table>'


def _landscape_figure(title: str) -> tuple:
    """A figure with the log-scaled landscape image and its sources (image, critical points)."""
    e = model.EXTENT
    fig = figure(width=430, height=400, x_range=(-e, e), y_range=(-e, e), title=title, match_aspect=True,
                 tools="pan,wheel_zoom,reset,save", toolbar_location="above")
    img = ColumnDataSource({"image": [np.zeros((2, 2))]})
    mapper = LinearColorMapper(palette=Viridis256)
    fig.image(image="image", x=-e, y=-e, dw=2 * e, dh=2 * e, source=img, color_mapper=mapper)
    fig.add_layout(ColorBar(color_mapper=mapper, title="log10(1 + f)", width=10), "right")
    crit = ColumnDataSource({"x": [], "y": [], "color": [], "kind": []})
    fig.scatter("x", "y", source=crit, size=11, color="color", line_color="white", legend_field="kind")
    _legend_below(fig)
    fig.xaxis.axis_label, fig.yaxis.axis_label = "x1", "x2"
    return fig, img, mapper, crit


def _legend_below(fig) -> None:
    """The legend under the plot, in one row (inside it would hide part of the plane)."""
    leg = fig.legend[0]
    leg.orientation, leg.label_text_font_size, leg.spacing = "horizontal", "8pt", 4
    leg.glyph_width = leg.glyph_height = 14
    fig.add_layout(leg, "below")


class Explorer:
    """One session's pages and state (the point ``x̂``, its certificates, the curvature state)."""

    def __init__(self, atlas_path=None, plane_size: int = 61):
        self.z = np.array(model.Z_DEFAULT)
        self.point: model.PointView | None = None
        self.curv: model.CurvatureView | None = None
        self.trials: model.TrialsView | None = None
        self.cell: dict | None = None
        self.cell_cert = None  # the cell's proved algebraic certificate
        self._cell_file = None  # the cell's certificate file (the catalog's form), built on download
        self._stale = True  # the second page does not show the current point yet
        self.plane = plane_cached(plane_size)
        self._atlas_error = None
        try:
            self.atlas = model.atlas_view(atlas_path)
        except CertifyError as exc:  # a bad atlas file: the closed forms only, and say why
            self._atlas_error = str(exc)
            self.atlas = model.atlas_view(None)
        self._build_point_page()
        self._build_trap_page()
        self._build_atlas_page()
        self._build_files_page()
        self.tabs = pn.Tabs(("The spurious point", self.page_point), ("Trapped or not", self.page_trap),
                            ("The atlas", self.page_atlas), ("Certificates", self.page_files), dynamic=False)
        self.tabs.param.watch(self._on_tab, "active")
        self.set_point(model.X_DEFAULT)
        self._follow_point()  # the second page of the default point
        self.select_cell(2, 1)

    # -- errors --------------------------------------------------------------------------------
    def _guard(self, pane: pn.pane.HTML, fn, *args):
        """Run ``fn``; an error becomes a message in ``pane`` (the server keeps serving)."""
        pane.object = ""
        try:
            return fn(*args)
        except CertifyError as exc:
            pane.object = f'<div class="error-message">{html.escape(str(exc))}</div>'
        except Exception as exc:  # noqa: BLE001 - a bug must not take the page down: say it, log it
            log.exception("explore callback failed")
            pane.object = (f'<div class="error-message">internal error: {html.escape(type(exc).__name__)}: '
                           f'{html.escape(str(exc))} (a bug; please report it)</div>')
        return None

    def _later(self, pane: pn.pane.HTML, fn, *args) -> None:
        """Run ``fn`` (guarded) on the server's next tick, with the session's document lock: a widget's
        callback runs without it, and the Bokeh sources of the figures may only change under it."""
        doc = pn.state.curdoc
        if doc is None or getattr(doc, "session_context", None) is None:  # not served (tests, notebooks)
            self._guard(pane, fn, *args)
        else:
            doc.add_next_tick_callback(lambda: self._guard(pane, fn, *args))

    @staticmethod
    def _error_pane() -> pn.pane.HTML:
        return pn.pane.HTML("", styles={"color": "#b00020", "font-weight": "bold"}, sizing_mode="stretch_width")

    # -- page 1 --------------------------------------------------------------------------------
    def _build_point_page(self):
        p, e = self.plane, model.EXTENT
        fig = figure(width=470, height=420, x_range=(-e, e), y_range=(-e, e), match_aspect=True,
                     title="δ(x̂, ẑ) over the plane (click a point)", tools="tap,pan,wheel_zoom,reset,save",
                     toolbar_location="above")
        mapper = LinearColorMapper(palette=Viridis256, low=0.5, high=1.0, nan_color="white")
        heat = fig.image(image=[p.delta], x=-e, y=-e, dw=2 * e, dh=2 * e, color_mapper=mapper)
        fig.add_tools(HoverTool(renderers=[heat], tooltips=[("x̂", "($x{0.000}, $y{0.000})"),
                                                            ("δ (upper end of the bracket)", "@image{0.000000}")]))
        fig.add_layout(ColorBar(color_mapper=mapper, title="δ", width=10), "right")
        cf = np.ma.masked_invalid(p.closed_form)
        fig.contour(p.xs, p.ys, cf, levels=[0.55, 0.6, 0.7, 0.8, 0.9], line_color="white", line_dash="dashed",
                    line_width=1)
        fig.scatter([self.z[0], -self.z[0]], [self.z[1], -self.z[1]], marker="star", size=16, color="#2ca02c",
                    line_color="black", legend_label="±ẑ (global minima)")
        self.mark = ColumnDataSource({"x": [model.X_DEFAULT[0]], "y": [model.X_DEFAULT[1]]})
        fig.scatter("x", "y", source=self.mark, size=12, color="#d62728", line_color="white", legend_label="x̂")
        _legend_below(fig)
        fig.xaxis.axis_label, fig.yaxis.axis_label = "x1", "x2"
        fig.on_event(Tap, lambda ev: self._guard(self.err_point, self.set_point, (ev.x, ev.y)))
        self.plane_fig = fig
        self.x1 = pn.widgets.TextInput(name="x1", value="", width=150, css_classes=["x1-input"])
        self.x2 = pn.widgets.TextInput(name="x2", value="", width=150, css_classes=["x2-input"])
        go = pn.widgets.Button(name="Show this point", button_type="primary", width=150, css_classes=["show-point"])
        go.on_click(lambda _: self._later(self.err_point, self._typed_point))
        self.err_point = self._error_pane()
        self.point_info = pn.pane.HTML("", sizing_mode="stretch_width")
        self.land_fig, self.land_img, self.land_map, self.land_crit = _landscape_figure(
            "f(x) = ||A(x xᵀ − ẑ ẑᵀ)||² under that operator")
        self.dl_point = pn.widgets.FileDownload(callback=self._point_json, filename="point-certificate.json",
                                                label="Download this certificate (JSON)", button_type="success",
                                                width=300, css_classes=["download-point-1"])
        note = pn.pane.Markdown(
            f"The heat map: δ(x̂, ẑ), the smallest RIP constant of an operator that makes x̂ a spurious "
            f"second-order critical point of f, for ẑ = (1, 0); each of the {p.delta.size:,} grid points a "
            f"checked bracket of the batched SDP core (widest {p.max_width:.1e}; white where x̂ = ±ẑ). "
            "Dashed: contours 0.55 … 0.9 of the closed-form bound of Zhang, Sojoudi and Lavaei (2019). "
            "Click a point or type it.", sizing_mode="stretch_width")
        left = pn.Column(fig, pn.Row(self.x1, self.x2, go), self.err_point, note, width=500)
        right = pn.Column(self.point_info, self.land_fig, self.dl_point, width=520)
        self.page_point = pn.Row(left, right)

    def _typed_point(self):
        # value_input follows every keystroke (value only on Enter or blur, which may arrive after the click)
        self.set_point(model.parse_point(self.x1.value_input, self.x2.value_input))

    def set_point(self, x, follow: bool = True):
        """Compute and show everything of the first page for ``x``; ``follow``: then (on the next
        server tick) the second page for the new point."""
        t0 = time.perf_counter()
        pv = model.point_view(np.asarray(x, dtype=float), self.z)
        self.point = pv
        self.mark.data = {"x": [pv.x[0]], "y": [pv.x[1]]}
        for w, v in ((self.x1, pv.x[0]), (self.x2, pv.x[1])):
            w.value = w.value_input = repr(float(v))
        logF = np.log10(1.0 + pv.F).astype(np.float32)  # half the bytes to the browser
        self.land_img.data = {"image": [logF]}
        self.land_map.low, self.land_map.high = float(logF.min()), float(logF.max())
        self.land_crit.data = {"x": [c.x[0] for c in pv.critical], "y": [c.x[1] for c in pv.critical],
                               "color": [KIND_COLORS[c.kind] for c in pv.critical],
                               "kind": [c.kind for c in pv.critical]}
        rep = pv.report
        crit_rows = "".join(
            f"<tr><td>({c.x[0]: .5f}, {c.x[1]: .5f})</td><td>{html.escape(c.kind)}</td><td>{c.f:.5g}</td>"
            f"<td>{', '.join(f'{v:.4g}' for v in c.eigs)}</td></tr>" for c in pv.critical)
        mats = "".join(f"<div style='display:inline-block;margin-right:8px'>A<sub>{i + 1}</sub>"
                       f"{_matrix_html(M)}</div>" for i, M in enumerate(pv.matrices))
        self.point_info.object = (
            f"<div><b>x̂</b> = ({_span('point-x1', repr(float(pv.x[0])))}, {_span('point-x2', repr(float(pv.x[1])))}), "
            f"ẑ = (1, 0)</div>"
            f"<div style='font-size:1.3em'>δ = {_span('delta-value', _fmt(pv.delta))} &nbsp; "
            f"δ<sub>lower</sub> = {_span('delta-lower-value', _fmt(pv.delta_lower))}</div>"
            f"<div>kernel verification: {_span('verify-verdict', 'VALID' if rep.ok else 'INVALID')}; "
            f"closed-form bound {pv.closed_form:.9f}; ∇²f(x̂) eigenvalues "
            f"{_span('hess-eigs', ', '.join(f'{v:.6g}' for v in pv.hessian_eigs))}</div>"
            f"<div style='margin-top:4px'>measurement matrices (symmetric parts) of the operator:</div>{mats}"
            f"<table class='crit'><tr><th>critical point</th><th>kind</th><th>f</th><th>∇²f eigenvalues</th></tr>"
            f"{crit_rows}</table>"
            f"<div style='color:#666;font-size:0.85em'>server time {1000 * (time.perf_counter() - t0):.0f} ms "
            f"(SDP {1000 * pv.timings['counterexample']:.0f} ms)</div>")
        # the second page follows the point: δ just above δ(x̂), SGD on the new operator
        # the second page follows the point when it is shown (computed now if it is the open tab)
        self._stale = True
        if follow and self.tabs.active == 1:
            self._later(self.err_trap, self._follow_point)

    def _on_tab(self, event) -> None:
        if event.new == 1 and self._stale:
            self._later(self.err_trap, self._follow_point)

    def _follow_point(self):
        self._stale = False
        d = min(0.99, round(self.point.delta + 0.05, 3))
        if self.delta_slider.value != d:
            self.delta_slider.value = d  # triggers set_delta
        else:
            self.set_delta(d)
        self._profile()

    def _point_json(self):
        if self.point is None:
            return None
        return io.StringIO(self.point.certificate.to_json())

    # -- page 2 --------------------------------------------------------------------------------
    def _build_trap_page(self):
        self.delta_slider = pn.widgets.EditableFloatSlider(name="δ (RIP constant)", start=0.0, end=0.99, step=0.001,
                                                           value=0.55, width=320, css_classes=["delta-slider"])
        self.delta_slider.param.watch(lambda ev: self._later(self.err_trap, self.set_delta, ev.new), "value")
        self.gamma_slider = pn.widgets.EditableFloatSlider(name="γ (start (1 − γ) x̂ + γ W)", start=0.0, end=1.0,
                                                           step=0.01, value=0.1, width=320, css_classes=["gamma-slider"])
        self.gamma_slider.param.watch(lambda ev: self._later(self.err_trap, self.run_sgd), "value")
        self.trials_input = pn.widgets.TextInput(name="SGD trials", value="300", value_input="300", width=120,
                                                 css_classes=["trials-input"])
        run = pn.widgets.Button(name="Run SGD", button_type="primary", width=120, css_classes=["run-sgd"])
        run.on_click(lambda _: self._later(self.err_trap, self.run_sgd))
        self.err_trap = self._error_pane()
        self.curv_info = pn.pane.HTML("", sizing_mode="stretch_width")
        self.sgd_info = pn.pane.HTML("", sizing_mode="stretch_width")
        self.prof_src = ColumnDataSource({"delta": [], "mu": []})
        self.prof_now = ColumnDataSource({"delta": [], "mu": []})
        pf = figure(width=430, height=260, title="μ*(δ): the best curvature at x̂ of a δ-RIP operator",
                    tools="reset,save", toolbar_location="above")
        pf.line("delta", "mu", source=self.prof_src, line_width=2)
        pf.scatter("delta", "mu", source=self.prof_src, size=5)
        pf.scatter("delta", "mu", source=self.prof_now, size=12, color="#d62728")
        pf.line([0, 1], [0, 0], color="black", line_dash="dotted")
        pf.xaxis.axis_label, pf.yaxis.axis_label = "δ", "μ*(δ)"
        self.prof_fig = pf
        fig, self.trap_img, self.trap_map, self.trap_crit = _landscape_figure("SGD paths on the landscape")
        self.paths_src = ColumnDataSource({"xs": [], "ys": [], "color": []})
        fig.multi_line("xs", "ys", source=self.paths_src, color="color", alpha=0.25, line_width=1)
        self.ends_src = ColumnDataSource({"x": [], "y": [], "color": []})
        fig.scatter("x", "y", source=self.ends_src, size=4, color="color")
        self.trap_fig = fig
        self.dl_strict = pn.widgets.FileDownload(callback=self._strict_json, filename="strict-certificate.json",
                                                 label="Download the strict certificate (JSON)",
                                                 button_type="success", width=300)
        note = pn.pane.Markdown(
            "The δ slider solves the curvature SDP at x̂: below δ(x̂, ẑ) no δ-RIP operator makes x̂ a spurious "
            "local minimum, at it the best operator leaves a zero Hessian eigenvalue, above it x̂ is a strict "
            f"spurious minimum with curvature μ*(δ). SGD (batch 1, {model.SGD_STEPS:,} steps, "
            f"η_k = η₀/(1 + k/{model.SGD_DECAY:g})) runs on the strict operator when there is one, else on the "
            "operator of the first page; a trial succeeds within 1e-3 of ±ẑ and is trapped within 0.1 of ±x̂ "
            "(the rule of `certify validate`).", sizing_mode="stretch_width")
        left = pn.Column(self.delta_slider, self.curv_info, self.prof_fig, self.dl_strict, note, width=470)
        right = pn.Column(pn.Row(self.gamma_slider, self.trials_input, run), self.err_trap, self.sgd_info,
                          self.trap_fig, width=560)
        self.page_trap = pn.Row(left, right)

    def set_delta(self, delta):
        cv = model.curvature_view(self.point.x, self.z, delta)
        self.curv = cv
        color = {"none": "#7f7f7f", "degenerate": "#ff7f0e", "strict": "#d62728"}[cv.state]
        mu = "" if cv.mu is None else f"μ*(δ) ∈ [{_fmt(min(cv.mu, cv.mu_upper), 9)}, {_fmt(max(cv.mu, cv.mu_upper), 9)}]"
        self.curv_info.object = (
            f"<div style='font-size:1.2em'>δ = {cv.delta:g}: <b style='color:{color}'>{_span('curv-state', cv.state)}"
            f"</b> &nbsp; {mu}</div><div>{html.escape(cv.message)}</div>"
            f"<div>δ(x̂, ẑ) = {_span('curv-point-delta', _fmt(self.point.delta))} at x̂ = "
            f"({self.point.x[0]:.6g}, {self.point.x[1]:.6g}) (first page)</div>")
        self.prof_now.data = {"delta": [cv.delta], "mu": [cv.mu if cv.mu is not None else np.nan]}
        self.run_sgd()

    def _profile(self):
        """μ*(δ) at 12 values around δ(x̂, ẑ) (the curve of the second page)."""
        d0 = self.point.delta
        ds = np.unique(np.clip(np.concatenate([np.linspace(d0 - 0.1, d0 + 0.2, 11), [d0]]), 0.0, 0.99))
        ds, mus = model.mu_profile(self.point.x, self.z, ds)
        self.prof_src.data = {"delta": list(ds), "mu": list(mus)}

    def _sgd_certificate(self):
        if self.curv is not None and self.curv.state == "strict":
            return self.curv.certificate, f"the strict {self.curv.delta:g}-RIP operator"
        return self.point.certificate, f"the first page's operator (δ = {self.point.delta:.6g}, degenerate at x̂)"

    def run_sgd(self):
        if self.point is None:
            return
        t0 = time.perf_counter()
        cert, which = self._sgd_certificate()
        tv = model.sgd_trials(cert, self.gamma_slider.value, trials=self.trials_input.value_input)
        self.trials = tv
        o = tv.outcome
        colors = np.where(o.success, OUTCOME_COLORS["success"],
                          np.where(o.spurious, OUTCOME_COLORS["trapped"],
                                   np.where(o.diverged, OUTCOME_COLORS["diverged"], OUTCOME_COLORS["other"])))
        show = min(tv.trials, 300)  # every path up to 300; beyond, the first 300 are drawn
        P = np.clip(tv.paths[:, :show], -10 * model.EXTENT, 10 * model.EXTENT)
        self.paths_src.data = {"xs": [P[:, k, 0] for k in range(show)], "ys": [P[:, k, 1] for k in range(show)],
                               "color": list(colors[:show])}
        self.ends_src.data = {"x": P[-1, :, 0], "y": P[-1, :, 1], "color": list(colors[:show])}
        grid, F = model.landscape(cert.operator, self.z)
        logF = np.log10(1.0 + F).astype(np.float32)
        self.trap_img.data = {"image": [logF]}
        self.trap_map.low, self.trap_map.high = float(logF.min()), float(logF.max())
        crit = model.critical_points(cert.operator, self.z, known=(cert.X[:, 0], -cert.X[:, 0], self.z, -self.z))
        self.trap_crit.data = {"x": [c.x[0] for c in crit], "y": [c.x[1] for c in crit],
                               "color": [KIND_COLORS[c.kind] for c in crit], "kind": [c.kind for c in crit]}
        fr = tv.fractions
        succ, trap = f"{fr['success']:.3f}", f"{fr['trapped']:.3f}"
        self.sgd_info.object = (
            f"<div>{tv.trials} SGD trials at γ = {tv.gamma:g} on {html.escape(which)}:</div>"
            f"<div style='font-size:1.2em'>success {_span('sgd-success', succ)} &nbsp; "
            f"trapped at x̂ {_span('sgd-trapped', trap)} &nbsp; other {fr['other']:.3f} "
            f"&nbsp; diverged {fr['diverged']:.3f}</div>"
            f"<div style='color:#666;font-size:0.85em'>step η₀ = {tv.step_size:.4g}, seed {tv.seed}; SGD "
            f"{1000 * tv.seconds:.0f} ms, panel {1000 * (time.perf_counter() - t0):.0f} ms server time</div>")

    def _strict_json(self):
        if self.curv is None or self.curv.certificate is None:
            self.err_trap.object = ('<div class="error-message">no strict certificate at this δ: move the δ slider '
                                    'above δ(x̂, ẑ)</div>')
            return None
        return io.StringIO(self.curv.certificate.to_json())

    # -- page 3 --------------------------------------------------------------------------------
    def _build_atlas_page(self):
        a = self.atlas
        cells = sorted(a.threshold)
        status = []
        for key in cells:
            row = a.rows.get(key)
            status.append("no atlas file" if row is None else str(row.get("sharp")))
        src = ColumnDataSource({"r": [k[0] for k in cells], "r_star": [k[1] for k in cells],
                                "thr": [a.threshold[k] for k in cells], "label": [f"{a.threshold[k]:.3f}" for k in cells],
                                "status": status,
                                "ink": ["white" if a.threshold[k] < 0.5 + 0.6 * (max(a.threshold.values()) - 0.5) else "black"
                                        for k in cells]})
        mapper = LinearColorMapper(palette=Viridis256, low=0.5, high=max(a.threshold.values()))
        m = a.max_rank
        fig = figure(width=560, height=500, x_range=(0.5, m + 0.5), y_range=(0.5, m + 0.5),
                     title="the sharp threshold 1/(1 + √(r*/r)) (click a cell)", tools="tap,save",
                     toolbar_location="above", tooltips=[("(r, r*)", "(@r, @r_star)"), ("threshold", "@thr{0.000000}"),
                                                         ("certificates", "@status")])
        fig.rect("r", "r_star", 0.95, 0.95, source=src, fill_color={"field": "thr", "transform": mapper},
                 line_color=None, nonselection_fill_alpha=0.75, selection_line_color="#d62728", selection_line_width=3)
        fig.text("r", "r_star", text="label", source=src, text_align="center", text_baseline="middle",
                 text_font_size="8pt", text_color="ink", nonselection_text_alpha=1.0)
        fig.add_layout(ColorBar(color_mapper=mapper, title="threshold", width=10), "right")
        fig.xaxis.axis_label, fig.yaxis.axis_label = "search rank r", "true rank r*"
        fig.on_event(Tap, lambda ev: self._guard(self.err_atlas, self.select_cell, int(round(ev.x)),
                                                 int(round(ev.y))))
        self.atlas_fig = fig
        self.err_atlas = self._error_pane()
        self.cell_info = pn.pane.HTML("", sizing_mode="stretch_width")
        prove = pn.widgets.Button(name="Prove this threshold now (exact)", button_type="primary", width=280,
                                  css_classes=["prove-cell"])
        prove.on_click(lambda _: self._later(self.err_atlas, self._announce_proof))
        self.prove_info = pn.pane.HTML("", sizing_mode="stretch_width")
        self.dl_threshold = pn.widgets.FileDownload(callback=self._threshold_json, filename="threshold-certificate.json",
                                                    label="Download the threshold certificate (JSON)",
                                                    button_type="success", width=300, css_classes=["download-threshold"])
        proved = sum(1 for row in a.rows.values() if row.get("sharp") == "proved")
        src_text = (f"statuses from the atlas file `{Path(a.source).name}` (sharpness proved for {proved} of "
                    f"{len(a.rows)} pairs; hover a cell for its status)" if a.source else
                    "no atlas file was given (`certify explore --atlas results/atlas.json`): thresholds only")
        if self._atlas_error:
            src_text = f"the atlas file could not be read ({self._atlas_error}); thresholds only"
        note = pn.pane.Markdown(f"The (r, r*) table of the sharp threshold; {src_text}.", sizing_mode="stretch_width")
        self.page_atlas = pn.Row(pn.Column(fig, note, width=580),
                                 pn.Column(self.err_atlas, self.cell_info, prove, self.prove_info, self.dl_threshold,
                                           width=470))

    def select_cell(self, r, r_star):
        c = model.atlas_cell(self.atlas, r, r_star)
        self.cell, self.cell_cert, self._cell_file = c, None, None
        X, Z = c["X"], c["Z"]
        st = c["status"]
        if st is None:
            status = "<div>no atlas file row for this cell</div>"
        else:
            claims = st.get("exact claims") or {}
            status = ("<div>atlas file: sharp <b>" + html.escape(str(st.get("sharp"))) + "</b>; exact claims "
                      + ", ".join(f"{html.escape(k)}: {html.escape(str(v))}" for k, v in claims.items())
                      + f"; family bracket [{_fmt(st['family bracket'][0])}, {_fmt(st['family bracket'][1])}]; "
                      f"search best {_fmt(st.get('search best'))}</div>")
        label = f"(r, r*) = ({c['r']}, {c['r_star']})"
        self.cell_info.object = (
            f"<div style='font-size:1.2em'>{_span('atlas-cell', label)}: threshold "
            f"{html.escape(c['threshold_expression'])} = {_span('atlas-threshold', _fmt(c['threshold']))}</div>"
            f"<div>family point (n = {X.shape[0]}, the orthogonal family of the atlas):</div>"
            f"<div style='display:flex;gap:16px'><div>X =<pre class='family-x'>{_array_text(X)}</pre></div>"
            f"<div>Z =<pre class='family-z'>{_array_text(Z)}</pre></div></div>{status}")
        self.prove_info.object = ""

    def _announce_proof(self):
        """Say that the proof runs (sent to the browser now), then prove on the next tick."""
        if self.cell is not None:
            self.prove_info.object = (f"<div>proving the threshold of (r, r*) = ({self.cell['r']}, {self.cell['r_star']}) "
                                      "exactly …</div>")
        self._later(self.err_atlas, self.prove_cell)

    def prove_cell(self):
        if self.cell is None:
            return
        t0 = time.perf_counter()
        cert, rep = model.prove_threshold(self.cell["r"], self.cell["r_star"])
        self.cell_cert = cert
        outcome = getattr(rep, "outcome", None) or ("proved" if getattr(rep, "ok", False) else "not proved")
        self.prove_info.object = (f"<div>exact verification of the threshold certificate: "
                                  f"{_span('prove-outcome', str(outcome))} ({time.perf_counter() - t0:.2f} s)</div>")

    def _threshold_json(self):
        if self.cell_cert is None:
            self.err_atlas.object = '<div class="error-message">prove the threshold first (the button above)</div>'
            return None
        # the catalog's form: the family's certificate with the proved one in formulation.algebraic,
        # readable by `certify verify` (float) and `certify verify --exact`
        if self._cell_file is None:
            self._cell_file = model.threshold_file(self.cell["r"], self.cell["r_star"])
        return io.StringIO(model.certificate_json(self._cell_file))

    # -- page 4 --------------------------------------------------------------------------------
    def _build_files_page(self):
        self.upload = pn.widgets.FileInput(accept=".json", multiple=False, width=320, css_classes=["upload"])
        self.upload.param.watch(lambda ev: self._later(self.err_files, self.check_uploaded), "value")
        self.err_files = self._error_pane()
        self.upload_info = pn.pane.HTML("", sizing_mode="stretch_width")
        dl_point = pn.widgets.FileDownload(callback=self._point_json, filename="point-certificate.json",
                                           label="the first page's certificate", button_type="success", width=300,
                                           css_classes=["download-point"])
        dl_strict = pn.widgets.FileDownload(callback=self._strict_json, filename="strict-certificate.json",
                                            label="the strict certificate (second page)", button_type="success",
                                            width=300)
        note = pn.pane.Markdown(
            "**Download** a certificate shown on the other pages: a JSON file that `certify verify FILE` (and "
            "`certify verify --exact FILE`) checks on any machine.\n\n**Upload** a certificate (any kind "
            "`certify verify` reads, at most "
            f"{model.MAX_UPLOAD_BYTES // 2**20} MiB): the trusted kernel parses it (schema, sizes, NaN, duplicate "
            "keys) and recomputes every figure; nothing is stored on the server.", sizing_mode="stretch_width")
        self.page_files = pn.Column(note, pn.Row(dl_point, dl_strict), pn.pane.Markdown("### Check a file"),
                                    self.upload, self.err_files, self.upload_info, width=900)

    def check_uploaded(self):
        rep = model.check_upload(self.upload.value, self.upload.filename or "upload")
        if rep.error is not None:
            verdict, body = "REFUSED", html.escape(rep.error)
        else:
            verdict = "VALID" if rep.ok else "INVALID"
            body = f"<pre>{html.escape(rep.summary)}</pre>"
        color = {"VALID": "#2ca02c", "INVALID": "#d62728", "REFUSED": "#b00020"}[verdict]
        self.upload_info.object = (f"<div style='font-size:1.2em'>{html.escape(rep.name)} ({rep.size:,} bytes"
                                   f"{', ' + html.escape(rep.kind) if rep.kind else ''}): <b style='color:{color}'>"
                                   f"{_span('upload-verdict', verdict)}</b></div><div>{body}</div>")

    def view(self):
        header = pn.pane.Markdown("## certify explore — spurious local minima of Burer–Monteiro matrix sensing",
                                  sizing_mode="stretch_width")
        return pn.Column(header, self.tabs, sizing_mode="stretch_width")


def build(atlas_path=None, plane_size: int = 61):
    """The page of one browser session."""
    return Explorer(atlas_path, plane_size).view()
