"""Scheduled tasks and jobs on Huey: where they run, that they never overlap, that errors are
recorded, that the schedule can be changed in regie.toml, and the queue end to end."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from stevedore import ExtensionManager

from regie.cli.common import State
from regie.cli.main import cli
from regie.config import ConfigError, load_config
from regie.db.models import Job, TaskRun
from regie.engine import Engine
from regie.runtime import CORE_COMMANDS, Runtime
from regie.services import establishments, jobs
from regie.tasks import runner, schedule
from regie.tasks.queue import make_huey

PLUGIN_SOURCE = '''
"""A plugin with scheduled tasks and a job, installed as its own distribution by the tests."""

import threading

from regie.api import PluginInfo, ScheduledTask, Setting, hookimpl

plugin_info = PluginInfo(label="Task test",
                         settings=(Setting("greeting", "Greeting", default="hello"),))
calls = []
started = threading.Event()
held = {}  # establishment slug -> event its run waits for


def tick(ctx):
    calls.append((ctx.task, ctx.establishment.slug, ctx.settings["greeting"]))
    if ctx.establishment.slug in held:
        started.set()
        assert held[ctx.establishment.slug].wait(10)


def fragile(ctx):
    if ctx.establishment.slug == "broken":
        raise RuntimeError("no paper in the printer")
    calls.append((ctx.task, ctx.establishment.slug, ctx.settings["greeting"]))


def count_to(ctx, n):
    for done in range(1, n + 1):
        ctx.progress.advance(done, message=f"{done}/{n}")
    return {"counted": n, "establishment": ctx.establishment.slug if ctx.establishment else ""}


def speak(ctx):
    from regie.api import gettext

    return {"said": gettext("Sign in")}


def give_up(ctx):
    ctx.progress.advance(1)
    raise ValueError("the file has no header line")


@hookimpl
def regie_scheduled_tasks():
    return [
        ScheduledTask("tasktest.tick", "regie_tasktest:tick", "*/5 * * * *"),
        ScheduledTask("tasktest.fragile", "regie_tasktest:fragile", "0 6 * * *"),
    ]
'''


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    """``regie_tasktest`` installed as a distribution with an entry point (``tasktest``)."""
    site = tmp_path_factory.mktemp("site")
    (site / "regie_tasktest.py").write_text(PLUGIN_SOURCE, encoding="utf-8")
    info = site / "regie_tasktest-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: regie-tasktest\nVersion: 0.1\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text("[regie.plugins]\ntasktest = regie_tasktest\n",
                                           encoding="utf-8")
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    ExtensionManager.ENTRY_POINT_CACHE.clear()  # stevedore lists entry points once per process
    yield site
    sys.path.remove(str(site))
    sys.modules.pop("regie_tasktest", None)
    ExtensionManager.ENTRY_POINT_CACHE.clear()


@pytest.fixture
def plugin(plugin_site):
    module = importlib.import_module("regie_tasktest")
    module.calls.clear()
    module.started.clear()
    module.held.clear()
    return module


@pytest.fixture(scope="module")
def task_engine(plugin_site):
    return Engine(["markets", "tasktest"], reserved_cli=CORE_COMMANDS)


def _runtime(config, engine, **values) -> Runtime:
    return Runtime(config.with_values(plugins=["markets", "tasktest"], **values), engine=engine)


@pytest.fixture
def runtime(regie_config, task_engine, plugin):
    runtime = _runtime(regie_config, task_engine)
    yield runtime
    runtime.close()


def _establishment(runtime, slug, plugins=()):
    with runtime.db.transaction() as session:
        est = establishments.create(session, runtime.engine, slug=slug, name=slug.title())
        for name, settings in dict(plugins).items():
            establishments.enable_plugin(session, runtime.engine, est, name, settings)
        return est


@pytest.fixture
def three(runtime):
    """Two establishments with the plugin on (one with its own greeting), one without."""
    return [_establishment(runtime, "alpha", {"tasktest": {"greeting": "bonjour"}}),
            _establishment(runtime, "beta", {"markets": {}}),
            _establishment(runtime, "gamma", {"tasktest": {}})]


def _task_runs(runtime) -> dict[tuple[str, str], TaskRun]:
    with runtime.db.session() as session:
        return {(row.task, row.scope): row for row in session.scalars(select(TaskRun))}


def invoke(runtime, *args):
    return CliRunner().invoke(cli, list(args), obj=State(runtime=runtime))


# --- where and how tasks run -------------------------------------------------------------------


def test_task_runs_once_per_establishment_where_its_plugin_is_enabled(runtime, three, plugin):
    outcomes = runner.run_now(runtime, "tasktest.tick")

    assert [(o.scope, o.status) for o in outcomes] == [("alpha", "succeeded"),
                                                       ("gamma", "succeeded")]
    assert plugin.calls == [("tasktest.tick", "alpha", "bonjour"),
                            ("tasktest.tick", "gamma", "hello")]
    runs = _task_runs(runtime)
    assert set(runs) == {("tasktest.tick", "alpha"), ("tasktest.tick", "gamma")}
    assert all(run.state == "succeeded" and run.locked_until is None for run in runs.values())


def test_disabling_the_plugin_stops_its_task_there(runtime, three, plugin):
    with runtime.db.transaction() as session:
        establishments.disable_plugin(session, runtime.engine,
                                      establishments.by_slug(session, "alpha"), "tasktest")
    runner.run_now(runtime, "tasktest.tick")
    assert [call[1] for call in plugin.calls] == ["gamma"]


def test_core_global_task_runs_once(runtime, three):
    outcomes = runner.run_now(runtime, "core.purge_jobs")
    assert [(o.scope, o.status) for o in outcomes] == [("", "succeeded")]


def test_a_run_while_another_holds_the_lock_is_skipped(runtime, three, plugin, caplog):
    release = plugin.held["alpha"] = threading.Event()
    first: list[runner.Outcome] = []
    holder = threading.Thread(target=lambda: first.extend(
        runner.run_now(runtime, "tasktest.tick", "alpha")))
    holder.start()
    try:
        assert plugin.started.wait(10)
        second = runner.run_now(runtime, "tasktest.tick", "alpha")
        elsewhere = runner.run_now(runtime, "tasktest.tick", "gamma")
    finally:
        release.set()
        holder.join(10)

    assert [(o.scope, o.status) for o in second] == [("alpha", "skipped")]
    assert "skipped" in caplog.text and "tasktest.tick" in caplog.text
    assert [(o.scope, o.status) for o in elsewhere] == [("gamma", "succeeded")]
    assert [(o.scope, o.status) for o in first] == [("alpha", "succeeded")]
    assert [call[1] for call in plugin.calls] == ["alpha", "gamma"]
    # the lock is released once the run ends
    assert runner.run_now(runtime, "tasktest.tick", "alpha")[0].status == "succeeded"


def test_an_expired_lock_does_not_block_forever(runtime, three, plugin):
    with runtime.db.transaction() as session:
        session.add(TaskRun(task="tasktest.tick", scope="alpha", state="running",
                            locked_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    assert runner.run_now(runtime, "tasktest.tick", "alpha")[0].status == "succeeded"


def test_a_failure_is_recorded_and_the_other_establishments_still_run(runtime, three, plugin):
    _establishment(runtime, "broken", {"tasktest": {}})

    outcomes = runner.run_now(runtime, "tasktest.fragile")

    assert [(o.scope, o.status) for o in outcomes] == [
        ("alpha", "succeeded"), ("broken", "failed"), ("gamma", "succeeded")]
    run = _task_runs(runtime)[("tasktest.fragile", "broken")]
    assert run.state == "failed"
    assert run.last_error == "RuntimeError: no paper in the printer"
    assert run.locked_until is None

    listed = invoke(runtime, "tasks", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    row = next(row for row in json.loads(listed.stdout) if row["name"] == "tasktest.fragile")
    assert row["last_error"] == "broken: RuntimeError: no paper in the printer"
    assert row["plugin"] == "tasktest"


# --- the command line ------------------------------------------------------------------------


def test_tasks_run_for_one_establishment(runtime, three, plugin):
    result = invoke(runtime, "tasks", "run", "tasktest.tick", "--establishment", "gamma")
    assert result.exit_code == 0, result.output
    assert "gamma" in result.stdout and "succeeded" in result.stdout
    assert [call[1] for call in plugin.calls] == ["gamma"]


def test_tasks_run_refuses_an_establishment_where_the_plugin_is_off(runtime, three, plugin):
    result = invoke(runtime, "tasks", "run", "tasktest.tick", "--establishment", "beta")
    assert result.exit_code == 1
    assert "plugin 'tasktest' is not enabled for 'beta'" in result.stderr
    assert plugin.calls == []


def test_tasks_run_exit_code_says_a_run_failed(runtime, three):
    _establishment(runtime, "broken", {"tasktest": {}})
    result = invoke(runtime, "tasks", "run", "tasktest.fragile", "--format", "json")
    assert result.exit_code == 1
    assert {row["scope"]: row["status"] for row in json.loads(result.stdout)} == {
        "alpha": "succeeded", "broken": "failed", "gamma": "succeeded"}


def test_tasks_run_unknown_task(runtime):
    result = invoke(runtime, "tasks", "run", "tasktest.nope")
    assert result.exit_code == 1
    assert "no scheduled task 'tasktest.nope'" in result.stderr


def test_tasks_list_shows_declared_and_effective_schedules(regie_config, task_engine):
    runtime = _runtime(regie_config, task_engine,
                       tasks__schedule={"tasktest.tick": "off", "core.purge_jobs": "0 4 * * *"})
    result = invoke(runtime, "tasks", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["tasktest.tick"]["schedule"] == "*/5 * * * *"
    assert rows["tasktest.tick"]["effective"] == "off"
    assert rows["core.purge_jobs"]["effective"] == "0 4 * * *"
    assert rows["tasktest.fragile"]["effective"] == "0 6 * * *"


# --- schedules -------------------------------------------------------------------------------


WATCHED = {"schedule:tasktest.tick", "schedule:tasktest.fragile", "schedule:core.purge_jobs"}


def _due(huey, moment: dt.datetime) -> set[str]:
    """Which of the watched periodic tasks the scheduler starts at ``moment``."""
    utc = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return {type(task).__name__ for task in huey.read_periodic(utc)} & WATCHED


def test_periodic_tasks_follow_the_cron_in_the_deployment_time_zone(runtime):
    huey = make_huey(runtime)
    paris = dt.timezone(dt.timedelta(hours=2))  # Europe/Paris in summer
    assert _due(huey, dt.datetime(2025, 7, 1, 6, 0, tzinfo=paris)) == {
        "schedule:tasktest.tick", "schedule:tasktest.fragile"}
    assert _due(huey, dt.datetime(2025, 7, 1, 6, 1, tzinfo=paris)) == set()
    assert _due(huey, dt.datetime(2025, 7, 1, 3, 17, tzinfo=paris)) == {"schedule:core.purge_jobs"}


def test_schedule_can_be_switched_off_or_retimed_in_config(regie_config, task_engine):
    runtime = _runtime(regie_config, task_engine, tasks__schedule={
        "tasktest.tick": "off", "tasktest.fragile": "30 2 * * 1-5"})
    huey = make_huey(runtime)
    paris = dt.timezone(dt.timedelta(hours=2))
    monday = dt.datetime(2025, 6, 30, 2, 30, tzinfo=paris)
    assert _due(huey, monday) == {"schedule:tasktest.fragile"}
    assert _due(huey, monday.replace(hour=6, minute=0)) == set()  # the old time, and no tick
    assert _due(huey, dt.datetime(2025, 7, 5, 2, 30, tzinfo=paris)) == set()  # Saturday
    # switched off means not scheduled; running it by hand still works (cron users)
    assert "schedule:tasktest.tick" not in {t.__name__ for t in huey._registry._periodic_tasks}


@pytest.mark.parametrize(("overrides", "message"), [
    ({"tasktest.tick": "every five minutes"}, "key 'tasks.schedule.\"tasktest.tick\"'"),
    ({"tasktest.tick": "61 * * * *"}, "key 'tasks.schedule.\"tasktest.tick\"'"),
    ({"tasktest.tock": "off"}, "key 'tasks.schedule.\"tasktest.tock\"' names no scheduled task"),
    ({"tasktest.tick": 5}, "must be a cron expression"),
])
def test_bad_schedule_in_config_names_the_key(regie_config, task_engine, overrides, message):
    runtime = _runtime(regie_config, task_engine, tasks__schedule=overrides)
    with pytest.raises(ConfigError, match=r"tasks\.schedule") as caught:
        schedule.load(runtime.engine, runtime.config)
    assert message in str(caught.value)
    result = invoke(runtime, "tasks", "list")
    assert result.exit_code == 1
    assert message in result.stderr


def test_schedule_read_from_regie_toml(tmp_path, task_engine):
    (tmp_path / "regie.toml").write_text(textwrap.dedent('''
        [tasks.schedule]
        "tasktest.tick" = "off"
        "tasktest.fragile" = "15 1 * * *"
    '''), encoding="utf-8")
    config = load_config(tmp_path, environ={})
    found = schedule.load(task_engine, config)
    assert found["tasktest.tick"].effective == "off"
    assert found["tasktest.fragile"].effective == "15 1 * * *"


# --- the queue: fan-out, jobs, worker ----------------------------------------------------------


def _drain(huey) -> int:
    count = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        count += 1
    return count


def test_periodic_task_fans_out_one_queued_run_per_establishment(runtime, three, plugin):
    huey = make_huey(runtime)
    six = dt.datetime(2025, 7, 1, 4, 0)  # 06:00 in Paris
    (fragile,) = [task for task in huey.read_periodic(six)
                  if type(task).__name__ == "schedule:tasktest.fragile"]

    assert huey.execute(fragile) == 2
    assert plugin.calls == []  # queued, not run: the workers share them out
    assert huey.pending_count() == 2
    assert _drain(huey) == 2
    assert sorted(plugin.calls) == [("tasktest.fragile", "alpha", "bonjour"),
                                    ("tasktest.fragile", "gamma", "hello")]


def test_with_several_workers_each_minute_is_fanned_out_once(runtime, three, plugin):
    machines = [make_huey(runtime), make_huey(runtime)]  # two workers on one queue

    def fan_out(huey, moment):
        (task,) = [task for task in huey.read_periodic(moment)
                   if type(task).__name__ == "schedule:tasktest.fragile"]
        return huey.execute(task)

    six = dt.datetime(2025, 7, 1, 4, 0)
    assert [fan_out(huey, six) for huey in machines] == [2, 0]
    assert fan_out(machines[0], six.replace(second=30)) == 0  # same minute, later look
    assert fan_out(machines[1], six + dt.timedelta(days=1)) == 2  # the next day's run
    assert machines[0].pending_count() == 4
    assert _drain(machines[0]) == 4
    assert len(plugin.calls) == 4
    listed = invoke(runtime, "tasks", "list", "--format", "json")
    row = next(row for row in json.loads(listed.stdout) if row["name"] == "tasktest.fragile")
    assert row["last_error"] == ""
    assert not row["last_run"].startswith("2025-07")  # the last run, not the claimed minute


def test_queued_run_for_an_establishment_disabled_meanwhile_is_dropped(runtime, three, plugin):
    huey = make_huey(runtime)
    huey.run_scheduled("tasktest.tick", "alpha")
    with runtime.db.transaction() as session:
        establishments.disable_plugin(session, runtime.engine,
                                      establishments.by_slug(session, "alpha"), "tasktest")
    _drain(huey)
    assert plugin.calls == []


def test_job_runs_in_the_worker_and_reports_progress(runtime, three):
    alpha = three[0]
    job_id = jobs.start(runtime, "regie_tasktest:count_to", label="Counting",
                        establishment=alpha, total=4, n=4)
    with runtime.db.session() as session:
        assert session.get(Job, job_id).state == "queued"

    assert _drain(runtime.huey) == 1

    with runtime.db.session() as session:
        job = session.get(Job, job_id)
        assert (job.state, job.done, job.total, job.percent) == ("succeeded", 4, 4, 100)
        assert job.result == {"counted": 4, "establishment": "alpha"}
        assert job.establishment_id == alpha.id

    shown = invoke(runtime, "jobs", "show", str(job_id), "--follow", "--format", "json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["result"] == {"counted": 4, "establishment": "alpha"}
    listed = invoke(runtime, "jobs", "list", "--format", "json")
    assert [(row["id"], row["establishment"]) for row in json.loads(listed.stdout)] == [
        (job_id, "alpha")]


def test_a_job_speaks_its_establishments_language_in_the_worker(runtime):
    with runtime.db.transaction() as session:
        kyiv = establishments.create(session, runtime.engine, slug="kyiv", name="Kyiv",
                                     locale="uk")
    for_kyiv = jobs.start(runtime, "regie_tasktest:speak", establishment=kyiv)
    for_nobody = jobs.start(runtime, "regie_tasktest:speak")
    _drain(runtime.huey)

    with runtime.db.session() as session:
        assert session.get(Job, for_kyiv).result == {"said": "Увійти"}
        assert session.get(Job, for_nobody).result == {"said": "Se connecter"}  # the default


def test_failing_job_is_marked_failed_and_follow_exits_1(runtime):
    job_id = jobs.start(runtime, "regie_tasktest:give_up", label="Import", total=10)
    _drain(runtime.huey)
    with runtime.db.session() as session:
        job = session.get(Job, job_id)
        assert (job.state, job.done) == ("failed", 1)
        assert job.message == "ValueError: the file has no header line"
    shown = invoke(runtime, "jobs", "show", str(job_id), "--follow")
    assert shown.exit_code == 1
    assert "the file has no header line" in shown.stdout


def test_jobs_show_follow_draws_progress_until_the_job_ends(runtime):
    job_id = jobs.create(runtime.db, "import", label="Import", total=3)
    progress = jobs.Progress(runtime.db, job_id)

    def work():
        time.sleep(0.3)
        progress.start(total=3)
        for done in (1, 2, 3):
            time.sleep(0.1)
            progress.advance(done)
        progress.succeed("3 rows")

    worker = threading.Thread(target=work)
    worker.start()
    result = invoke(runtime, "jobs", "show", str(job_id), "--follow", "--interval", "0.05")
    worker.join()
    assert result.exit_code == 0, result.output
    assert "Import" in result.stderr  # the progress bar's label
    assert "succeeded" in result.stdout and "3 rows" in result.stdout


def test_job_with_a_wrong_target_is_refused_before_it_is_queued(runtime):
    with pytest.raises(ValueError, match="has no 'nope'"):
        jobs.start(runtime, "regie_tasktest:nope")
    with runtime.db.session() as session:
        assert session.scalars(select(Job)).all() == []


def test_jobs_show_unknown_id(runtime):
    result = invoke(runtime, "jobs", "show", "999")
    assert result.exit_code == 1
    assert "no job 999" in result.stderr


@pytest.mark.redis
def test_redis_queue_end_to_end(regie_config, task_engine, plugin, redis_url):
    parts = urlsplit(redis_url)
    queue = f"regie-test-{uuid.uuid4().hex[:8]}"
    url = urlunsplit(parts._replace(query=f"queue={queue}"))
    runtime = _runtime(regie_config, task_engine, tasks_url=url)
    huey = runtime.huey
    assert type(huey.storage).__name__ == "RedisStorage" and huey.name == queue
    _establishment(runtime, "alpha", {"tasktest": {"greeting": "привіт"}})
    consumer = huey.create_consumer(workers=2, worker_type="thread", periodic=False)
    try:
        consumer.scheduler.start()  # the threads, without the signal handlers of start()
        for _worker, thread in consumer.worker_threads:
            thread.start()
        job_id = jobs.start(runtime, "regie_tasktest:count_to", total=5, n=5)
        outcome = huey.run_scheduled("tasktest.tick", "alpha")
        assert outcome.get(blocking=True, timeout=20) == {"status": "succeeded", "error": ""}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with runtime.db.session() as session:
                if session.get(Job, job_id).state == "succeeded":
                    break
            time.sleep(0.1)
        with runtime.db.session() as session:
            assert session.get(Job, job_id).result == {"counted": 5, "establishment": ""}
        assert plugin.calls == [("tasktest.tick", "alpha", "привіт")]
    finally:
        consumer.stop(graceful=True)
        huey.flush()
        runtime.close()


def test_worker_process_runs_queued_jobs_and_stops_on_ctrl_c(tmp_path, plugin_site, monkeypatch):
    for name in list(os.environ):
        if name.startswith("REGIE_"):
            monkeypatch.delenv(name)
    folder = tmp_path / "instance"
    created = CliRunner().invoke(cli, ["--instance", str(folder), "init",
                                       "--plugins", "markets,tasktest"])
    assert created.exit_code == 0, created.output
    runtime = Runtime(load_config(folder))
    alpha = _establishment(runtime, "alpha", {"tasktest": {}})
    job_id = jobs.start(runtime, "regie_tasktest:count_to", establishment=alpha, n=3)

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(plugin_site), os.environ.get("PYTHONPATH", "")])}
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "regie"), "--instance", str(folder), "worker",
         "--workers", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        state = "queued"
        while time.monotonic() < deadline and state != "succeeded" and worker.poll() is None:
            time.sleep(0.2)
            with runtime.db.session() as session:
                state = session.get(Job, job_id).state
        assert state == "succeeded"
    finally:
        worker.send_signal(signal.SIGINT)
        output, _ = worker.communicate(timeout=30)
        runtime.close()
    assert worker.returncode == 0, output
    assert "Worker started" in output

