"""``provenance ledger``: record and check written GenAI approvals.

Each command opens the ledger, calls one ``provenance.ledger`` operation and
renders the result. Ledger errors become one ``Error:`` line and exit 2.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from provenance.errors import ProvenanceError
from provenance.ledger import CATEGORY_HELP, STATUSES, USES, Ledger, Scope, open_ledger, resolve_ledger_path
from provenance.ledger import views
from provenance.ledger.bundle import export_bundle, is_bundle, read_bundle
from provenance.ledger.io import dumps, records_to_csv, to_flat
from provenance.ledger.model import parse_category, parse_date
from provenance.ledger.signing import SigningKey, keygen, load_signing_key
from provenance.ledger.trust import load_trust

from ._common import ISO_DATE, checked_output, format_option, write_output


class _UsageFailure(click.ClickException):
    exit_code = 2


class _LedgerGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ProvenanceError as exc:
            raise _UsageFailure(str(exc)) from None


def _example(*lines: str) -> str:
    return "Example:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


def _ledger_option(f: Callable[..., Any]) -> Callable[..., Any]:
    # A plain string: a postgresql:// URL must reach the store unchanged.
    return click.option("--ledger", "ledger_path", metavar="PATH|URL",
                        help="Ledger file or postgresql://user@host/db URL (default: $PROVENANCE_LEDGER, "
                             "else ./provenance.db).")(f)


def _signing_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--signing-key", type=click.Path(dir_okay=False, path_type=Path),
                        help="Sign the event with this approver key (from `provenance ledger keygen`).")(f)


def _policy_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--policy", type=click.Path(dir_okay=False, path_type=Path),
                        help="Policy whose [ledger.approvers] keys are trusted (default: your user "
                             "configuration, ~/.config/provenance/policy.toml).")(f)


def _key(path: Path | None) -> SigningKey | None:
    if path is None:
        return None
    key = load_signing_key(path)
    for warning in key.warnings:
        click.echo(f"Warning: {warning}", err=True)
    return key


def _open(ledger_path: str | None, *, create: bool = False, read_only: bool = False) -> Ledger:
    # Reading commands never write to the ledger file, not even to switch it to WAL mode.
    group_value = (click.get_current_context().find_object(dict) or {}).get("ledger")
    return open_ledger(resolve_ledger_path(ledger_path or group_value), create=create, read_only=read_only)


def _today(as_of: str | None) -> datetime.date:
    return parse_date(as_of, "--as-of") if as_of else datetime.datetime.now(datetime.UTC).date()


def _split(values: tuple[str, ...]) -> list[str]:
    # "--category a,b" and "--category a;b" read as two categories, as in CSV imports.
    return [p.strip() for v in values for p in v.replace(";", ",").split(",") if p.strip()]


@click.group("ledger", cls=_LedgerGroup, epilog=_example(
    "provenance ledger init",
    "provenance ledger add --ref NFLX-GAI-0042 --path 'shots/sh010/sh010_comp_v003.####.exr' \\",
    "    --category final-deliverable --approver 'Dana Reyes' --role 'Studio contact' --org Netflix",
    "provenance ledger verify"))
@_ledger_option
@click.pass_context
def ledger_group(ctx: click.Context, ledger_path: str | None) -> None:
    """Written GenAI approvals: an append-only, hash-chained record.

    The ledger is one SQLite file or a PostgreSQL database: --ledger PATH|URL,
    else $PROVENANCE_LEDGER, else provenance.db in the working directory.
    """
    ctx.ensure_object(dict)["ledger"] = ledger_path


def _approval_options(required: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    options = [
        click.option("--sha256", multiple=True, help="Approve exact content by its sha256 (repeatable)."),
        click.option("--path", "paths", multiple=True,
                     help="Path glob relative to the delivery root (repeatable); a version token is literal."),
        click.option("--c2pa-instance", multiple=True, help="C2PA instance id (xmp:iid) (repeatable)."),
        click.option("--timeline", "timeline_ranges", multiple=True,
                     help="A record range of one cut, e.g. 'name=REEL2,range=01:02:03:00-01:02:09:12' "
                          "[,rate=24][,sha256=HEX][,drop=true] (repeatable); covers AI material used only there."),
        click.option("--category", "categories", multiple=True, required=required,
                     help="Approval category (repeatable); see `provenance ledger categories`."),
        click.option("--use", type=click.Choice(USES), default="final" if required else None,
                     show_default=required, help="Intended use of the material."),
        click.option("--approver", required=required, help="Name of the person who approved in writing."),
        click.option("--role", help="Approver's role, e.g. 'Studio production executive'."),
        click.option("--org", help="Approver's organisation."),
        click.option("--approved-on", type=ISO_DATE, help="Day of the written approval (default: today, UTC)."),
        click.option("--valid-until", type=ISO_DATE, help="Last valid day (default: no end)."),
        click.option("--document", help="The written approval (PDF, email export); its name and sha256 are stored."),
        click.option("--conditions", help="Conditions of the approval, as written."),
        click.option("--title", help="Production or title, e.g. 'Show S01E03'."),
        click.option("--actor", help="Who is recording this (default: $PROVENANCE_ACTOR, else the OS user)."),
        _signing_option,
        _ledger_option,
    ]

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            f = option(f)
        return f
    return decorate


@ledger_group.command("init", epilog=_example("provenance ledger init", "provenance ledger --ledger /srv/show.db init"))
@_ledger_option
def init_command(ledger_path: str | None) -> None:
    """Create the ledger file (or migrate it and restore its guard triggers)."""
    with _open(ledger_path, create=True) as ledger:
        click.echo(f"ledger ready at {ledger.location} ({views.verify_text(ledger.verify()).splitlines()[0]})")


@ledger_group.command("add", epilog=_example(
    "provenance ledger add --ref NFLX-GAI-0042 --title 'Show S01E03' \\",
    "    --path 'shots/sh010/sh010_comp_v003.####.exr' --category final-deliverable \\",
    "    --category on-screen-element --approver 'Dana Reyes' --role 'Production executive' \\",
    "    --org Netflix --approved-on 2026-11-02 --valid-until 2027-06-30 --document approval.pdf"))
@click.option("--ref", required=True, help="Unique approval reference, e.g. NFLX-GAI-0042.")
@_approval_options(required=True)
def add_command(ref: str, ledger_path: str | None, paths: tuple[str, ...], categories: tuple[str, ...],
                signing_key: Path | None, **fields: Any) -> None:
    """Record a written approval (a 'grant' event).

    Give at least one scope (--sha256, --path, --c2pa-instance, --timeline) and one --category.
    """
    with _open(ledger_path) as ledger:
        scopes = [Scope.parse("timeline", v) for v in fields.pop("timeline_ranges", ())]
        approval = ledger.add(ref, path=paths, categories=_split(categories), signing_key=_key(signing_key),
                              scopes=scopes, **fields)
        click.echo(f"granted {approval.ref} ({approval.status_on(_today(None))}); head {ledger.head_hash()}")


@ledger_group.command("amend", epilog=_example(
    "provenance ledger amend NFLX-GAI-0042 --valid-until 2027-12-31 --reason 'extended by email 2026-12-01'"))
@click.argument("ref")
@click.option("--reason", help="Why the approval changed.")
@_approval_options(required=False)
def amend_command(ref: str, ledger_path: str | None, reason: str | None, signing_key: Path | None,
                  **fields: Any) -> None:
    """Change an approval (an 'amend' event). Scope options replace all scopes; --category replaces all."""
    changes = {k: v for k, v in fields.items() if v not in (None, ())}
    actor = changes.pop("actor", None)
    if "paths" in changes:
        changes["path"] = changes.pop("paths")
    if "timeline_ranges" in changes:
        changes["scopes"] = [Scope.parse("timeline", v) for v in changes.pop("timeline_ranges")]
    if "categories" in changes:
        changes["categories"] = _split(changes["categories"])
    with _open(ledger_path) as ledger:
        approval = ledger.amend(ref, reason=reason, actor=actor, signing_key=_key(signing_key), **changes)
        click.echo(f"amended {approval.ref}; head {ledger.head_hash()}")


@ledger_group.command("revoke", epilog=_example(
    "provenance ledger revoke NFLX-GAI-0042 --reason 'talent consent withdrawn 2026-12-03'"))
@click.argument("ref")
@click.option("--reason", required=True, help="Why the approval is withdrawn.")
@click.option("--actor", help="Who is recording this.")
@_signing_option
@_ledger_option
def revoke_command(ref: str, reason: str, actor: str | None, signing_key: Path | None,
                   ledger_path: str | None) -> None:
    """Withdraw an approval (a 'revoke' event). Nothing is deleted."""
    with _open(ledger_path) as ledger:
        approval = ledger.revoke(ref, reason, actor=actor, signing_key=_key(signing_key))
        click.echo(f"revoked {approval.ref}; head {ledger.head_hash()}")


@ledger_group.command("supersede", epilog=_example("provenance ledger supersede NFLX-GAI-0042 --by NFLX-GAI-0057"))
@click.argument("old_ref")
@click.option("--by", "new_ref", required=True, help="Reference of the approval that replaces OLD_REF.")
@click.option("--reason", help="Why it is replaced.")
@click.option("--actor", help="Who is recording this.")
@_signing_option
@_ledger_option
def supersede_command(old_ref: str, new_ref: str, reason: str | None, actor: str | None, signing_key: Path | None,
                      ledger_path: str | None) -> None:
    """Replace OLD_REF by an already granted approval (a 'supersede' event)."""
    with _open(ledger_path) as ledger:
        approval = ledger.supersede(old_ref, new_ref, reason=reason, actor=actor, signing_key=_key(signing_key))
        click.echo(f"{approval.ref} superseded by {approval.superseded_by}; head {ledger.head_hash()}")


@ledger_group.command("import", epilog=_example("provenance ledger import approvals.csv",
                                                "provenance ledger import studio-approvals.bundle.json --policy trust.toml"))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--actor", help="Who is recording this.")
@_signing_option
@_policy_option
@_ledger_option
def import_command(file: Path, actor: str | None, signing_key: Path | None, policy: Path | None,
                   ledger_path: str | None) -> None:
    """Import approvals from CSV, JSON or a signed bundle, all or nothing.

    CSV columns are named like add's options (ref, sha256, path, c2pa_instance,
    category, use, approver, role, org, approved_on, valid_until, document,
    document_sha256, conditions, title), with ';' between multiple values.
    A bad row imports nothing; the error names its line and field.

    A signed bundle (`ledger export --signed`) is checked against the trusted
    approver keys first; one bad signature imports nothing. Events already in
    the ledger are skipped, so a newer bundle appends only what is new.
    """
    if is_bundle(file):
        records = read_bundle(file)
        trust = load_trust(policy)
        with _open(ledger_path) as ledger:
            added, present = ledger.import_signed(records, trust.by_key, actor=actor)
            click.echo(f"imported {added} signed event(s) from {file} ({present} already present); "
                       f"head {ledger.head_hash()}")
        return
    with _open(ledger_path) as ledger:
        imported = ledger.import_file(file, actor=actor, signing_key=_key(signing_key))
        click.echo(f"imported {len(imported)} approval(s) from {file}; head {ledger.head_hash()}")


@ledger_group.command("list", epilog=_example("provenance ledger list --status active --category talent-likeness",
                                              "provenance ledger list --expiring-before 2027-01-01 --format json"))
@click.option("--status", type=click.Choice(STATUSES), help="Only approvals with this status.")
@click.option("--category", help="Only approvals with this category.")
@click.option("--expiring-before", type=ISO_DATE, help="Only approvals whose valid_until is before this day.")
@click.option("--as-of", type=ISO_DATE, help="Day the status is computed for (default: today, UTC).")
@format_option("table", "json", "csv", default="table")
@_ledger_option
def list_command(status: str | None, category: str | None, expiring_before: str | None, as_of: str | None,
                 fmt: str, ledger_path: str | None) -> None:
    """List approvals with their status on a day."""
    day = _today(as_of)
    before = parse_date(expiring_before, "--expiring-before") if expiring_before else None
    with _open(ledger_path, read_only=True) as ledger:
        chosen = views.select(ledger.approvals(), day, status=status,
                              category=parse_category(category) if category else None, expiring_before=before)
    render = {"table": views.to_table, "json": views.to_json, "csv": views.to_csv}[fmt]
    write_output(render(chosen, day), None)


@ledger_group.command("show", epilog=_example("provenance ledger show NFLX-GAI-0042"))
@click.argument("ref")
@click.option("--as-of", type=ISO_DATE, help="Day the status is computed for (default: today, UTC).")
@format_option("table", "json", default="table", help="table: the approval and its history as text.")
@_ledger_option
def show_command(ref: str, as_of: str | None, fmt: str, ledger_path: str | None) -> None:
    """Print one approval with its full event history."""
    day = _today(as_of)
    with _open(ledger_path, read_only=True) as ledger:
        approval, events = ledger.get(ref), ledger.history(ref)
    write_output((views.show_json if fmt == "json" else views.show_text)(approval, events, day), None)


@ledger_group.command("export", epilog=_example("provenance ledger export --format csv --output approvals.csv",
                                                "provenance ledger export --signed --output studio.bundle.json"))
@format_option("json", "csv", default="json")
@click.option("--signed", is_flag=True, help="Write a bundle of the signed events, each verifiable on its own.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), callback=checked_output, help="Write to this file.")
@_ledger_option
def export_command(fmt: str, signed: bool, output: Path | None, ledger_path: str | None) -> None:
    """Export every approval (revoked and superseded included); `ledger import` reads it back.

    With --signed: a bundle of signed events another company can import and
    check against your approvers' public keys. Approvals with an unsigned
    event are left out, with a warning naming them.
    """
    if signed:
        with _open(ledger_path, read_only=True) as ledger:
            text, unsigned = export_bundle(ledger)
        if unsigned:
            click.echo(f"Warning: left out {len(unsigned)} approval(s) with unsigned events: "
                       f"{', '.join(unsigned[:10])}" + (" …" if len(unsigned) > 10 else ""), err=True)
        write_output(text, output)
        return
    with _open(ledger_path, read_only=True) as ledger:
        approvals = ledger.approvals()
    text = dumps([a.to_dict() for a in approvals]) if fmt == "json" else records_to_csv(to_flat(a) for a in approvals)
    write_output(text, output)


@ledger_group.command("verify", epilog=_example("provenance ledger verify",
                                                "provenance ledger verify --checkpoint 42:3f1c…e9 --format json"))
@click.option("--expect-head", help="A head hash (sha256, 64 hex digits) recorded earlier, e.g. in an audit "
                                    "report, that must be in the chain.")
@click.option("--checkpoint", metavar="N:HASH", help="A checkpoint from an audit report: event N must still "
                                                     "have this hash (the ledger only grew since).")
@format_option("table", "json", default="table", help="table: the verdict as text.")
@_policy_option
@_ledger_option
def verify_command(expect_head: str | None, checkpoint: str | None, fmt: str, policy: Path | None,
                   ledger_path: str | None) -> None:
    """Recompute the hash chain, the derived state and every signature; exit 0 if intact, 1 if not, 2 on bad input.

    The output names the first bad event or row, and lists unsigned events,
    unknown keys and bad signatures by event number.
    """
    trust = load_trust(policy)
    with _open(ledger_path, read_only=True) as ledger:
        result = ledger.verify(expect_head, checkpoint=checkpoint, approvers=trust.by_key)
    write_output(dumps(result.to_dict()) if fmt == "json" else views.verify_text(result), None)
    sys.exit(0 if result.ok else 1)


@ledger_group.command("keygen", epilog=_example("provenance ledger keygen --name 'Dana Reyes' --out ~/.provenance"))
@click.option("--name", required=True, help="The approver's name, exactly as approvals record it.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Folder for NAME.key (private, mode 0600) and NAME.pub.")
def keygen_command(name: str, out_dir: Path) -> None:
    """Make an approver an Ed25519 key pair for signing ledger events.

    Keep the .key private. Put the printed public key in the policy of
    everyone who must trust this approver's signatures.
    """
    key_path, pub_path, key_id = keygen(name, out_dir)
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    click.echo(f"private key {key_path} (mode 0600; keep it secret)\npublic key {pub_path}\n\n"
               f"Trust it in a policy:\n\n[ledger.approvers.\"{escaped}\"]\npublic_key = \"{key_id}\"")


@ledger_group.command("categories", epilog=_example("provenance ledger categories"))
def categories_command() -> None:
    """List the approval categories and what each means."""
    width = max(len(c) for c in CATEGORY_HELP)
    write_output("".join(f"{c.ljust(width)}  {text}\n" for c, text in CATEGORY_HELP.items()), None)
