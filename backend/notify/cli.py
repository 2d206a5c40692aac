"""`flask --app backend push-keys`: create the VAPID key pair in instance/ (never in git)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from backend.notify import vapid


@click.command("push-keys")
@click.option("--force", is_flag=True, help="Replace existing keys (every phone must subscribe again).")
@click.option("--subject", default=vapid.DEFAULT_SUBJECT, show_default=True,
              help="VAPID contact, a mailto: or https: URL the push services may use.")
def push_keys_command(force: bool, subject: str) -> None:
    """Create the VAPID keys for Web Push (kept if they exist)."""
    path = Path(current_app.config["VAPID_KEYS_PATH"])
    if path.exists() and not force:
        keys = vapid.load(path)
        click.echo(f"VAPID keys already at {path}; kept (use --force to replace).")
    else:
        if not subject.startswith(("mailto:", "https:")):
            raise click.BadParameter("must start with mailto: or https:", param_hint="--subject")
        keys = vapid.generate(subject)
        vapid.save(keys, path)
        click.echo(f"VAPID keys written to {path}")
    click.echo(f"public key: {keys.public_key}")
