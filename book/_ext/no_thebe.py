"""Leave sphinx-thebe out of the site when live code is switched off.

Jupyter Book 1.x always loads sphinx-thebe, whatever ``launch_buttons.thebe`` says. With
thebe off it still puts its configuration script on every page — twice under Sphinx 7,
which throws "Identifier 'THEBE_JS_URL' has already been declared" in the browser — and
that script names a CDN. When ``launch_buttons.thebe`` is false this extension
disconnects sphinx-thebe's page hooks and drops its assets, so pages carry no thebe code.
"""

from __future__ import annotations


def _thebe_enabled(config) -> bool:
    launch = (config.html_theme_options or {}).get("launch_buttons") or {}
    return bool(launch.get("thebe"))


def _drop_thebe(app, config):
    if _thebe_enabled(config):
        return
    for listeners in app.events.listeners.values():
        listeners[:] = [
            listener
            for listener in listeners
            if getattr(listener.handler, "__module__", "") != "sphinx_thebe"
            or listener.handler.__name__ == "st_static_path"
        ]
    app.registry.css_files[:] = [
        entry for entry in app.registry.css_files if "thebe" not in str(entry[0])
    ]


def setup(app):
    app.connect("config-inited", _drop_thebe, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
