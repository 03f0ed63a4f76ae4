"""The CI and Kubernetes examples parse, run real psabill commands and keep the ledger."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from croniter import croniter

from psabill.config.loader import load_config
from tests.ops.support import EXAMPLES, psabill_args, subcommand_of

SECRET_REF = re.compile(r"^\$\{\{ secrets\.([A-Z_]+) \}\}$")
ENV_REF = re.compile(r'"\$\{([A-Za-z_][A-Za-z0-9_]*)\}"')


def _yaml(name: str) -> Any:
    return yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))


def _kubernetes() -> dict[str, dict[str, Any]]:
    text = (EXAMPLES / "kubernetes" / "psabill.yaml").read_text(encoding="utf-8")
    return {doc["kind"]: doc for doc in yaml.safe_load_all(text) if doc}


def _production_config() -> str:
    """The config the Kubernetes example ships: every CI example must feed its secrets."""
    return str(_kubernetes()["ConfigMap"]["data"]["psabill.toml"])


def _secrets_needed() -> set[str]:
    return set(ENV_REF.findall(_production_config()))


def _psabill_lines(script: str) -> list[str]:
    """Script lines whose command is psabill (possibly after a `var=value;`)."""
    command = re.compile(r"^\s*(?:\w+=\S*;\s*)?psabill\s")
    return [line for line in script.splitlines() if command.match(line)]


def test_example_config_loads(tmp_path: Path) -> None:
    loaded = load_config(EXAMPLES / "psabill.toml", {})
    assert loaded.config.sources


# --- Kubernetes ----------------------------------------------------------------------------


def test_kubernetes_config_map_holds_a_valid_config_and_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "psabill.toml"
    path.write_text(_production_config(), encoding="utf-8")
    path.chmod(0o644)  # ConfigMap files are world-readable: fine, it holds no literal secret
    env = dict.fromkeys(_secrets_needed(), "value-from-the-secret")
    env["PSABILL_PING_URL"] = "https://hc-ping.com/5f1c0d2e-uuid"
    loaded = load_config(path, env)
    assert loaded.warnings == ()
    assert loaded.config.psa.private_key.get_secret_value() == "value-from-the-secret"
    assert loaded.config.monitoring.ping_url == env["PSABILL_PING_URL"]


def test_kubernetes_cronjob_is_hourly_forbids_overlap_and_has_a_zone() -> None:
    spec = _kubernetes()["CronJob"]["spec"]
    assert spec["schedule"] == "0 * * * *"
    assert croniter.is_valid(spec["schedule"])
    assert spec["concurrencyPolicy"] == "Forbid"
    ZoneInfo(spec["timeZone"])
    assert 0 < spec["startingDeadlineSeconds"] <= 3600
    job = spec["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] < 3600, "a hung run must end before the next hour"


def _pod() -> dict[str, Any]:
    spec = _kubernetes()["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert isinstance(spec, dict)
    return spec


def test_kubernetes_container_runs_psabill_sync_with_config_and_state_mounted() -> None:
    pod = _pod()
    (container,) = pod["containers"]
    command = container["command"]
    assert command[0] == "psabill"
    assert subcommand_of(command[1:]) == "sync"
    config = Path(command[command.index("--config") + 1])
    env = {item["name"]: item for item in container["env"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    state_dir = env["PSABILL_STATE_DIR"]["value"]
    claim = volumes[mounts[state_dir]]["persistentVolumeClaim"]["claimName"]
    assert claim == _kubernetes()["PersistentVolumeClaim"]["metadata"]["name"]
    config_map = volumes[mounts[str(config.parent)]]["configMap"]["name"]
    assert config_map == _kubernetes()["ConfigMap"]["metadata"]["name"]
    assert config.name in _kubernetes()["ConfigMap"]["data"]


def test_kubernetes_secrets_come_from_a_secret_for_every_config_reference() -> None:
    (container,) = _pod()["containers"]
    from_secret = {
        item["name"] for item in container["env"] if "secretKeyRef" in item.get("valueFrom", {})
    }
    assert _secrets_needed() <= from_secret
    assert "kind: Secret" not in (EXAMPLES / "kubernetes" / "psabill.yaml").read_text(), (
        "never ship a Secret with placeholder values: applying it would overwrite the real one"
    )


def test_kubernetes_pod_is_locked_down() -> None:
    pod = _pod()
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["restartPolicy"] == "Never"
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"]["drop"] == ["ALL"]


# --- GitHub Actions ------------------------------------------------------------------------


def _github() -> dict[Any, Any]:
    data = _yaml("ci/github-actions.yml")
    assert isinstance(data, dict)
    return data


def _github_steps() -> list[dict[str, Any]]:
    (job,) = _github()["jobs"].values()
    return list(job["steps"])


def test_github_workflow_runs_hourly_and_by_hand_without_overlap() -> None:
    triggers = _github().get("on", _github().get(True))  # YAML 1.1 reads `on` as true
    (schedule,) = triggers["schedule"]
    assert croniter.is_valid(schedule["cron"])
    assert schedule["cron"].split()[1:] == ["*", "*", "*", "*"], "hourly"
    assert "workflow_dispatch" in triggers
    assert _github()["concurrency"]["cancel-in-progress"] is False


def test_github_workflow_restores_and_always_saves_the_state_dir() -> None:
    (job,) = _github()["jobs"].values()
    state_dir = job["env"]["PSABILL_STATE_DIR"]
    steps = _github_steps()
    restore = next(s for s in steps if s.get("uses", "").startswith("actions/cache/restore@"))
    save = next(s for s in steps if s.get("uses", "").startswith("actions/cache/save@"))
    assert state_dir == "${{ github.workspace }}/" + restore["with"]["path"]
    assert save["with"]["path"] == restore["with"]["path"]
    assert save["if"] == "always()", "a failed run's ledger must be kept too"
    assert save["with"]["key"] == restore["with"]["key"]
    assert "${{ github.run_id }}" in save["with"]["key"]
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])
    assert steps.index(restore) < steps.index(save)
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11"


def _github_sync_step() -> dict[str, Any]:
    return next(s for s in _github_steps() if "psabill sync" in s.get("run", ""))


@pytest.mark.parametrize("by_hand", [False, True])
def test_github_workflow_runs_psabill_sync_json(by_hand: bool) -> None:
    step = _github_sync_step()
    variables = {"NOW": "--now", "ALLOW_DROP": "--allow-drop"} if by_hand else {}
    (line,) = _psabill_lines(step["run"])
    args = psabill_args(line, variables)
    assert subcommand_of(args) == "sync"
    assert "--json" in args
    assert "> result.json" in line
    assert 'exit "$code"' in step["run"], "exit 3/4 must fail the job"


def test_github_workflow_takes_every_secret_from_the_secret_store() -> None:
    env = _github_sync_step()["env"]
    from_secrets = {name for name, value in env.items() if SECRET_REF.match(str(value))}
    assert _secrets_needed() <= from_secrets
    for name in from_secrets:
        assert SECRET_REF.match(env[name]).group(1) == name  # type: ignore[union-attr]


# --- GitLab CI -----------------------------------------------------------------------------


def _gitlab_job() -> dict[str, Any]:
    data = _yaml("ci/gitlab-ci.yml")
    (job,) = [value for key, value in data.items() if not key.startswith(".")]
    assert isinstance(job, dict)
    return job


def test_gitlab_job_runs_on_schedules_one_at_a_time() -> None:
    job = _gitlab_job()
    assert {'$CI_PIPELINE_SOURCE == "schedule"'} <= {rule["if"] for rule in job["rules"]}
    assert job["resource_group"]
    assert job["image"].startswith("python:3.11")


def test_gitlab_job_caches_the_state_dir_even_when_the_run_fails() -> None:
    job = _gitlab_job()
    state_dir = job["variables"]["PSABILL_STATE_DIR"]
    assert state_dir == "$CI_PROJECT_DIR/" + job["cache"]["paths"][0].rstrip("/")
    assert job["cache"]["when"] == "always"
    assert isinstance(job["cache"]["key"], str), "one fixed key: each run reads the last run's"


@pytest.mark.parametrize("extra", ["", "--now", "--now --allow-drop"])
def test_gitlab_job_runs_psabill_sync_json(extra: str) -> None:
    script = "\n".join(_gitlab_job()["script"])
    (line,) = _psabill_lines(script)
    args = psabill_args(line, {"PSABILL_SYNC_ARGS": extra})
    assert subcommand_of(args) == "sync"
    assert "--json" in args
    assert 'exit "$code"' in script


def test_gitlab_job_keeps_secrets_out_of_the_file() -> None:
    variables = _gitlab_job()["variables"]
    assert not _secrets_needed() & set(variables), "secrets belong in CI/CD settings"
