"""``regie canteen …``: the back-office sync agent."""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from regie.api import Invalid
from regie_reservation.agent import config as agent_config
from regie_reservation.agent.client import Client
from regie_reservation.agent.scheduler import PERIODIC, run_forever, run_stream
from regie_reservation.agent.state import State
from regie_reservation.agent.streams import Streams


@click.group(name="canteen")
def canteen() -> None:
    """School canteen: the agent that syncs the back office with the hosted side."""


@canteen.command()
@click.option("--config", "config_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The agent's TOML file (server, cadences, back-office mapping).")
@click.option("--once", is_flag=True, help="Run every periodic stream once, then stop.")
@click.option("--full", is_flag=True, help="Run the full push now (login and balance).")
@click.option("--send", "send", multiple=True, metavar="ID",
              help="Send this pupil now (back-office id), with 90 days of passages.")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the log lines to this file.")
def agent(config_path: Path, once: bool, full: bool, send: tuple[str, ...],
          log_file: Path | None) -> None:
    """Sync the back office with the hosted canteen: pull payments and reservations, push
    individuals, balances and passages, at the seed's cadences (Ctrl+C stops)."""
    _logging(log_file)
    try:
        config = agent_config.load(config_path)
    except Invalid as exc:
        for field, message in exc.errors.items():
            click.echo(f"{config_path}: {field}: {message}", err=True)
        sys.exit(2)
    with open_streams(config) as streams:
        if send:
            ok = run_stream(streams, "send_pupils", ids=list(send)) is not None
        elif once or full:
            names = [*PERIODIC, "full"] if full else list(PERIODIC)
            ok = all([run_stream(streams, name) is not None for name in names])
        else:
            try:
                run_forever(streams, config.cadences)
            except KeyboardInterrupt:
                ok = True
    sys.exit(0 if ok else 1)


@contextmanager
def open_streams(config: agent_config.AgentConfig):
    """The streams of ``config``, with their back office, client and state, closed after."""
    state = State(config.state_path)
    if config.backend == "csv":
        from regie_reservation.agent.csv_backend import CsvBackOffice

        backoffice = CsvBackOffice(config, state)
    else:
        from regie_reservation.agent.sql_backend import SqlBackOffice

        backoffice = SqlBackOffice(config)
    client = Client(config.server_url, config.establishment, config.token,
                    timeout=config.timeout, retry_for=config.retry_for)
    try:
        yield Streams(config, backoffice, client, state)
    finally:
        backoffice.close()
        state.close()


def _logging(log_file: Path | None) -> None:
    formatter = logging.Formatter("%(asctime)s : %(message)s", datefmt="%H:%M:%S")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logger = logging.getLogger("regie.canteen.agent")
    logger.setLevel(logging.INFO)
    for old in [h for h in logger.handlers if getattr(h, "canteen_agent", False)]:
        logger.removeHandler(old)
        old.close()
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.canteen_agent = True
        logger.addHandler(handler)
