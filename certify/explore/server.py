"""Serve the explorer: :func:`serve` (what ``certify explore`` runs) and :func:`make_server`.

The server binds ``127.0.0.1`` unless told otherwise, prints its address and opens no browser.
Each browser session gets its own :class:`certify.explore.app.Explorer`.  The websocket accepts
messages up to :data:`WEBSOCKET_MAX_BYTES` so that an upload too large for the explorer still
arrives and is refused with a message (:data:`certify.explore.model.MAX_UPLOAD_BYTES`); a larger
one closes that browser's connection, never the server.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import re
import socket
import sys

from ..errors import InputError
from ..options import integer

__all__ = ["make_server", "serve", "require_panel", "WEBSOCKET_MAX_BYTES"]

#: largest websocket message (a base64 upload of about 24 MiB)
WEBSOCKET_MAX_BYTES = 32 * 2**20


def require_panel():
    """Import Panel, or :class:`InputError` saying how to install the optional extra."""
    try:
        import bokeh  # noqa: F401, PLC0415
        import panel  # noqa: PLC0415
    except ImportError as exc:
        raise InputError(f"the explorer needs the optional extra 'explore' (Panel and Bokeh; {exc}): "
                         "pip install \"certify[explore]\"") from None
    return panel


_HOST_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def _check_host(host: str) -> str:
    """An IP address or a host name (labels of letters, digits and inner hyphens)."""
    if not isinstance(host, str) or not host.strip():
        raise InputError(f"host: expected an IP address or a host name, got {host!r}")
    host = host.strip()
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    if len(host) > 253 or not all(_HOST_LABEL.match(label) for label in host.rstrip(".").split(".")):
        raise InputError(f"host: {host[:80]!r} is neither an IP address nor a host name (e.g. 127.0.0.1, localhost)")
    return host


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family) as s:
            s.bind((host, 0))
            return int(s.getsockname()[1])
    except OSError as exc:
        raise InputError(f"host {host}: cannot bind ({exc.strerror or exc})") from None


def make_server(host: str = "127.0.0.1", port: int = 5006, atlas=None, plane_size: int = 61):
    """A started-later Bokeh server for the explorer (``server.start()``, ``server.io_loop.start()``);
    ``port = 0`` picks a free port (``server.port`` says which).  The δ heat map is computed here,
    once, before the server accepts a session."""
    pn = require_panel()
    host = _check_host(host)
    port = integer(port, "port", lo=0, hi=65535)
    from . import app, model  # noqa: PLC0415

    if atlas is not None:
        model.atlas_view(atlas)  # a bad atlas file is an error now, not a message in every page
    pn.extension(notifications=False)
    if port == 0:  # a free port now, so that the allowed websocket origins can name it
        port = _free_port(host)
    origins = ["*"] if host in ("0.0.0.0", "::") else [f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"]
    logging.getLogger("bokeh").setLevel(logging.ERROR)  # serve() prints its own line on a wildcard host
    try:
        server = pn.serve({"/": lambda: app.build(atlas, plane_size)}, port=port, address=host,
                          websocket_origin=origins, show=False, start=False,
                          title="certify explore", verbose=False,
                          websocket_max_message_size=WEBSOCKET_MAX_BYTES, reuse_port=False)
    except OSError as exc:
        raise InputError(f"port {port} on {host}: {exc.strerror or exc} (choose another with --port)") from None
    # the port is bound (a busy one failed at once); now the work before the first session
    try:
        app.plane_cached(plane_size)
        # warm up the SDP core, the curvature SDP and the SGD kernel (numba) before the first click
        view = model.point_view(model.X_DEFAULT)
        model.sgd_trials(view.certificate, 0.1, trials=2, steps=2)
        model.curvature_view(view.x, view.z, 0.55)
    except BaseException:
        with contextlib.suppress(Exception):
            server.stop()
        raise
    return server


def serve(host: str = "127.0.0.1", port: int = 5006, atlas=None, plane_size: int = 61, out=None, *,
          json_line: bool = False) -> None:
    """Serve until interrupted; print the address (to ``out``, default stdout; ``json_line``: as one
    JSON object ``{"url", "host", "port"}``)."""
    out = out or sys.stdout
    server = make_server(host, port, atlas, plane_size)
    server.start()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{server.port}/"
    if json_line:
        print(json.dumps({"url": url, "host": host, "port": server.port}), file=out, flush=True)
    else:
        print(f"certify explore: serving on {url} (Ctrl-C stops it)", file=out, flush=True)
    if host in ("0.0.0.0", "::"):
        print("certify explore: listening on every network interface: anyone on this network can open it",
              file=out, flush=True)
    try:
        server.io_loop.start()
    finally:
        server.stop()
