"""The GitHub Pages workflow is valid YAML, runs the same make target CI runs, and
publishes the site that target builds (``_build/html``) with the permissions and
environment GitHub Pages needs."""

from __future__ import annotations

import yaml

from tests.site import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def test_workflow_is_valid_yaml_with_jobs():
    workflow = _workflow()
    assert isinstance(workflow, dict) and workflow.get("jobs")
    # PyYAML reads the bare key `on` as True.
    assert "on" in workflow or True in workflow
    for name, job in workflow["jobs"].items():
        assert "runs-on" in job, f"job {name} has no runs-on"
        for step in _steps(job):
            assert ("uses" in step) != ("run" in step), f"{name}: step {step} needs uses xor run"


def test_workflow_runs_what_ci_runs():
    runs = [s["run"] for job in _workflow()["jobs"].values() for s in _steps(job) if "run" in s]
    assert any("make test" in run for run in runs), "the workflow does not run `make test`"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
    build = _workflow()["jobs"]["build"]
    assert str(build.get("env", {}).get("CI")).lower() == "true", "strict mode, as in CI"


def test_workflow_publishes_the_built_site():
    jobs = _workflow()["jobs"]
    uploads = [
        s for job in jobs.values() for s in _steps(job)
        if str(s.get("uses", "")).startswith("actions/upload-pages-artifact@")
    ]
    assert uploads and all(s["with"]["path"] == "_build/html" for s in uploads)
    deploy = next(
        job for job in jobs.values()
        if any(str(s.get("uses", "")).startswith("actions/deploy-pages@") for s in _steps(job))
    )
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert "build" in deploy["needs"]


def test_repository_url_comes_from_one_setting_or_the_actions_run():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "repository_links", ROOT / "book" / "_ext" / "repository_links.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    actions = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "fork/book"}
    assert module.repository_url("https://github.com/me/book.git/", actions) == (
        "https://github.com/me/book"
    )
    assert module.repository_url("", actions) == "https://github.com/fork/book"
    assert module.repository_url("", {}) == ""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert "url" in config["repository"], "_config.yml must name repository.url"
