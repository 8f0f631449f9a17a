"""Repository, issues, Colab and Binder buttons from one setting: ``repository.url``.

``_config.yml`` names the book's repository once, as ``repository.url``. A fork sets its
own URL there. Left empty, the URL is taken from the environment GitHub Actions provides
(``GITHUB_SERVER_URL``/``GITHUB_REPOSITORY``), so the site a fork deploys from its own
Actions links to the fork without any edit; a local build with no URL has no repository
or launch buttons (rather than buttons pointing at someone else's repository).

With a URL, this turns on the repository and issues buttons and the Binder and Colab
launch buttons of every chapter (their providers are set under ``launch_buttons``). Jupyter
Book itself refuses ``html.use_repository_button`` without a URL, which is why the switch
lives here and not in ``_config.yml``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

LAUNCH_PROVIDERS = ("binderhub_url", "colab_url", "jupyterhub_url", "jupyterlite_url")


def repository_url(configured: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """The repository URL: the configured one, else the GitHub Actions one, else ''."""
    if configured and configured.strip():
        return configured.strip().rstrip("/").removesuffix(".git")
    server, repository = environ.get("GITHUB_SERVER_URL"), environ.get("GITHUB_REPOSITORY")
    if server and repository:
        return f"{server.rstrip('/')}/{repository}"
    return ""


def _configure(app, config):
    options = dict(config.html_theme_options or {})
    url = repository_url(options.get("repository_url"))
    launch = dict(options.get("launch_buttons") or {})
    if url:
        options["repository_url"] = url
        options["use_repository_button"] = True
        options["use_issues_button"] = True
    else:
        options.pop("repository_url", None)
        for key in LAUNCH_PROVIDERS:
            launch[key] = ""
    options["launch_buttons"] = launch
    config.html_theme_options = options


def setup(app):
    app.connect("config-inited", _configure, priority=400)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
