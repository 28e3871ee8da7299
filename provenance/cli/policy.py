"""``provenance policy init`` and ``provenance policy show``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from provenance.audit.policy import POLICY_FILE_NAME, default_policy_text, load_policy
from provenance.audit.policy_show import policy_json, policy_toml
from provenance.errors import ProvenanceError

from ._common import format_option, write_output


class _UsageFailure(click.ClickException):
    exit_code = 2


@click.group("policy", epilog="Example:\n\n\b\n  provenance policy init\n  provenance policy show DELIVERY/")
def policy_group() -> None:
    """The audit policy: write the default to edit, or see the policy in effect."""


@policy_group.command("init", epilog="Example:\n\n\b\n  provenance policy init\n"
                                    "  provenance policy init DELIVERY/provenance.toml")
@click.argument("path", type=click.Path(path_type=Path), default=POLICY_FILE_NAME, required=False)
@click.option("--force", is_flag=True, help="Replace an existing file.")
def policy_init(path: Path, force: bool) -> None:
    """Write the documented built-in policy to PATH (default: ./provenance.toml).

    PATH may be a folder (a delivery root): the file is then its provenance.toml,
    which `provenance audit` picks up. Settings you delete keep their default.
    """
    if path.is_dir():
        path = path / POLICY_FILE_NAME
    if path.exists() and not force:
        raise _UsageFailure(f"{path} exists; edit it, or pass --force to replace it with the default")
    if not path.parent.is_dir():
        raise _UsageFailure(f"folder {path.parent} does not exist; create it or pick another path")
    write_output(default_policy_text(), path)
    click.echo(f"wrote the default policy to {path}; a setting you delete keeps its default", err=True)


@policy_group.command("show", epilog="Example:\n\n\b\n  provenance policy show DELIVERY/\n"
                                    "  provenance policy show --policy studio.toml --format json")
@click.argument("delivery", type=click.Path(exists=True, file_okay=False, path_type=Path), required=False)
@click.option("--policy", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Policy TOML (default: provenance.toml at the delivery root, else the built-in policy).")
@format_option("toml", "json", default="toml",
               help="toml: the policy with where each value came from as a comment; json: the same as data.")
def policy_show(delivery: Path | None, policy: Path | None, fmt: str) -> None:
    """Print the policy an audit of DELIVERY would use, and where each value came from.

    The policy is --policy, else provenance.toml at the delivery root, else the
    built-in default; a file's missing settings come from the default.
    """
    try:
        effective = load_policy(policy, delivery)
    except ProvenanceError as exc:
        raise _UsageFailure(str(exc)) from None
    if fmt == "json":
        write_output(json.dumps(policy_json(effective), indent=2, sort_keys=True) + "\n", None)
    else:
        write_output(policy_toml(effective), None)
