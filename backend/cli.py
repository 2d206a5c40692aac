"""Command-line verbs: `flask --app backend seed-demo`."""

from __future__ import annotations

import click
from flask import Flask

from backend.db import db
from backend.notify.cli import push_keys_command


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo users, catalog, stock and tickets (does nothing if already loaded)."""
    from backend.demo import seed_demo

    if seed_demo():
        db.session.commit()
        click.echo("Demo data loaded: admin, dispatcher, warehouse, finance, tech1..tech5 / demo")
    else:
        click.echo("Demo data already present; nothing changed.")


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(push_keys_command)


def main() -> None:  # console script: `fieldsync seed-demo`
    from flask.cli import FlaskGroup

    from backend import create_app

    FlaskGroup(create_app=create_app)()
