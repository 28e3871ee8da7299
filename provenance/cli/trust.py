"""``provenance trust show``: what a scan trusts, with sources and dates."""

from __future__ import annotations

from pathlib import Path

import click

from provenance.knowledge import trust

from ._common import read_trust_anchors


@click.group("trust")
def trust_group() -> None:
    """The C2PA trust lists that decide which signers read `trusted`."""


@trust_group.command("show", epilog="Example:\n\n\b\n  provenance trust show\n"
                     "  provenance trust show --files-only --trust-anchors vendor-anchor.pem")
@click.option("--trust-anchors", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="PEM file of extra trust anchors to show as a scan would add them (repeatable).")
@click.option("--no-default-trust", is_flag=True, help="Show the set without the built-in lists.")
@click.option("--files-only", is_flag=True, help="List the files only, not each certificate in them.")
def trust_show(trust_anchors: tuple[Path, ...], no_default_trust: bool, files_only: bool) -> None:
    """List what a scan trusts: each list's source, date and sha256, and each certificate's validity.

    By default a scan trusts the C2PA trust list, the C2PA time-stamping
    authority list and the frozen CAI interim list, shipped with provenance.
    --trust-anchors adds to them; --no-default-trust leaves only yours.
    """
    user_pem = read_trust_anchors(trust_anchors)
    default = not no_default_trust
    texts = {f.info.name: f.text for f in trust.default_bundle()} if default else {}
    sources = trust.in_use(default, user_pem)
    if not sources:
        click.echo("Nothing is trusted: every signed manifest reads `valid` at best.")
        return
    for info in sources:
        click.echo(f"{info.name}  [{info.role}]  {info.certificates} certificate(s)")
        click.echo(f"  {info.list}")
        click.echo(f"  source  {info.source}" + (f"  ({info.date})" if info.date else ""))
        click.echo(f"  sha256  {info.sha256}")
        if not files_only:
            for cert in trust.certificates(texts.get(info.name, user_pem)):
                mark = "  EXPIRED" if cert.expired else ""
                click.echo(f"    {cert.not_before} .. {cert.not_after}{mark}  {cert.subject}")
