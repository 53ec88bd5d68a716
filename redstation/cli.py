"""The command line: the contract of PRODUCT.md, thin, over the services.

Exit status: 0 success; 1 the command ran but refused the input (one line on stderr,
database unchanged); 2 usage error. ``--json`` prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sqlite3
import sys
import traceback
from datetime import date, datetime
from pathlib import Path

from redstation import NAME, RedStationError, __version__
from redstation.domain import roles
from redstation.domain.vocab import (ACTIVITY_KINDS, CARE_CATEGORIES, GENDERS, SKILLS, MEETING_KINDS, RECORD_KINDS, RELATIONS,
                                     RESIDENT_STATUSES, TICKET_KINDS, TICKET_STATUSES, VISIT_OUTCOMES, label)
from redstation.i18n import N_, _, join_list
from redstation.paths import append_log, default_db_path
from redstation.services.session import Actor, Session
from redstation.store import queries


class UsageError(Exception):
    pass


def _at_least(minimum: int):
    """An argparse type: a whole number of at least ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(_("{text} is not a whole number").format(text=text)) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(_("{text} must be {minimum} or more").format(text=text, minimum=minimum))
        return value
    return parse


def _search_text(text: str) -> str:
    """An argparse type: a search query with something to search for."""
    from redstation.services import search
    if not search.has_terms(text):
        raise argparse.ArgumentTypeError(_("give a name, pinyin, the last digits of a phone or id number, or a room"))
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="redstation", description=_("RedStation ledger program of the community service station. "
                                                                      "Without a command it opens the desktop window."))
    parser.add_argument("--version", action="version", version="{name} {version}".format(name=NAME, version=__version__))
    parser.add_argument("--db", type=Path, metavar="PATH", help=_("database file (default: the one in the user's data folder)"))
    parser.add_argument("--user", metavar="NAME", default=os.environ.get("REDSTATION_USER") or None,
                        help=_("act as this user account, with its role (password from REDSTATION_PASSWORD or asked); "
                               "without it, as the computer's user with the station manager's rights"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    init = commands.add_parser("init", help=_("create the station in a new database"))
    init.add_argument("--station-name", required=True, metavar="NAME", help=_("name of the service station"))
    init.add_argument("--community", required=True, metavar="NAME", help=_("community (社区) the station serves"))
    init.add_argument("--street", default="", metavar="NAME", help=_("street office (街道) above the community"))

    demo = commands.add_parser("demo", help=_("fill an empty database with realistic sample data"))
    demo.add_argument("--households", type=_at_least(1), default=1000, metavar="N", help=_("number of households (default 1000)"))
    demo.add_argument("--seed", type=int, default=1, metavar="S", help=_("random seed; the same seed gives the same data"))

    stats = commands.add_parser("stats", help=_("count the live records"))
    stats.add_argument("--json", action="store_true", help=_("print one JSON object"))

    listing = commands.add_parser("list", help=_("list records of one kind"))
    listing.add_argument("kind", choices=queries.LIST_KINDS)
    listing.add_argument("--limit", type=_at_least(0), metavar="N", help=_("at most N records"))
    listing.add_argument("--json", action="store_true", help=_("print one JSON object"))

    finder = commands.add_parser("search", help=_("find residents by name, pinyin, phone or id tail, or room"))
    finder.add_argument("query", type=_search_text, metavar="QUERY",
                        help=_("e.g. 张长锁, zcs, zhangch, 5678, 3-304; several terms must all match"))
    finder.add_argument("--limit", type=_at_least(1), default=20, metavar="N", help=_("at most N results (default 20)"))
    finder.add_argument("--json", action="store_true", help=_("print one JSON object"))

    ledger_in = commands.add_parser("import-ledger", help=_("import an Excel ledger of households and residents"))
    ledger_in.add_argument("file", type=Path, metavar="FILE.xlsx")
    ledger_in.add_argument("--dry-run", action="store_true", help=_("check and count every row, change nothing"))
    ledger_in.add_argument("--rejects", type=Path, metavar="OUT.xlsx",
                           help=_("write the rejected rows to this workbook, to correct and import again"))
    ledger_in.add_argument("--sheet", metavar="NAME",
                           help=_("import only this sheet (by default every sheet that holds a ledger)"))
    ledger_in.add_argument("--estate", metavar="NAME",
                           help=_("the estate (阳光花园, or 阳光花园1号楼 with the building) of rows that name none, where "
                                  "the sheet's name or title does not either"))
    ledger_in.add_argument("--json", action="store_true", help=_("print one JSON object"))

    ledger_out = commands.add_parser("export-ledger", help=_("export the households, residents and key households as an Excel ledger"))
    ledger_out.add_argument("out", type=Path, metavar="OUT.xlsx")
    ledger_out.add_argument("--unmasked", action="store_true", help=_("whole id numbers and phone numbers (station manager only)"))

    bundle_out = commands.add_parser("export-bundle", help=_("write a signed data bundle for another station or the street office"))
    bundle_out.add_argument("out", type=Path, metavar="OUT.xlsx")
    bundle_out.add_argument("--since-last", metavar="PEER_STATION_ID",
                            help=_("only what changed since the last bundle made for that station"))
    bundle_out.add_argument("--password", action="store_true",
                            help=_("protect the bundle with a password (from REDSTATION_BUNDLE_PASSWORD, or asked for)"))
    bundle_in = commands.add_parser("import-bundle", help=_("merge a data bundle of another station"))
    bundle_in.add_argument("file", type=Path, metavar="FILE.xlsx")
    bundle_in.add_argument("--dry-run", action="store_true", help=_("show what would change, change nothing"))
    bundle_in.add_argument("--trust", action="store_true",
                           help=_("trust the station that made it, if not trusted yet (check its key fingerprint first)"))
    bundle_in.add_argument("--password", action="store_true",
                           help=_("the bundle has a password (from REDSTATION_BUNDLE_PASSWORD, or asked for)"))
    bundle_in.add_argument("--json", action="store_true", help=_("print one JSON object"))

    backup = commands.add_parser("backup", help=_("write a backup copy of the database"))
    backup.add_argument("out", nargs="?", type=Path, metavar="OUT", help=_("file or folder (default: the backup folder)"))

    restore = commands.add_parser("restore", help=_("replace the database with a backup, after checking it"))
    restore.add_argument("file", type=Path, metavar="FILE")

    commands.add_parser("check", help=_("check the database's integrity and audit log"))

    _add_print_commands(commands)
    report = commands.add_parser("report", help=_("reports for the street office"))
    reports = report.add_subparsers(dest="report", metavar="REPORT", required=True)
    monthly = reports.add_parser("monthly", help=_("the monthly evaluation report (PDF)"))
    monthly.add_argument("month", type=_month, metavar="YYYY-MM")
    monthly.add_argument("out", type=Path, metavar="OUT.pdf")
    return parser


# --- print: one subcommand per document ----------------------------------------------------------------------------

def _month(text: str) -> str:
    """An argparse type: a month written YYYY-MM."""
    from redstation.services import evaluation
    try:
        evaluation.month_bounds(text)
    except RedStationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def cmd_report(args) -> int:
    from redstation.printing import report
    with _open(args) as session:
        made = report.monthly_report(session, args.month, args.out)
    print(_("Monthly report of {month} written to {path}: {pages} pages, {estates} estates, {flagged} to be called in").format(
        month=args.month, path=args.out, pages=made["pages"], estates=made["estates"], flagged=len(made["flagged"])))
    return 0


def _date(text: str) -> date:
    """An argparse type: a day written YYYY-MM-DD."""
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text} is not a date written YYYY-MM-DD").format(text=text)) from None


def _add_print_commands(commands) -> None:
    """``redstation print DOCUMENT ...``: each document a subcommand with its own function (``args.print``)."""
    printer = commands.add_parser("print", help=_("print a document to a PDF file"))
    documents = printer.add_subparsers(dest="document", metavar="DOCUMENT", required=True)

    sheet = documents.add_parser("round-sheet", help=_("the round sheet of the key households due for a visit"))
    sheet.add_argument("out", type=Path, metavar="OUT.pdf")
    sheet.add_argument("--date", type=_date, metavar="DATE", help=_("the day of the round, YYYY-MM-DD (default: now)"))
    sheet.set_defaults(print=print_round_sheet)

    log = documents.add_parser("visits", help=_("the visit log of a period"))
    log.add_argument("out", type=Path, metavar="OUT.pdf")
    log.add_argument("--from", dest="start", type=_date, metavar="DATE",
                     help=_("first day, YYYY-MM-DD (default: the first day of the month)"))
    log.add_argument("--to", dest="end", type=_date, metavar="DATE", help=_("last day, YYYY-MM-DD (default: today)"))
    log.add_argument("--household", metavar="ID", help=_("only this household's visits (its id, as in 'list households')"))
    log.set_defaults(print=print_visit_log, parser=log)

    receipt = documents.add_parser("receipt", help=_("the receipt of a ticket for the resident"))
    receipt.add_argument("ticket", metavar="TICKET_ID", help=_("the ticket's id (as in 'list tickets') or its number"))
    receipt.add_argument("out", type=Path, metavar="OUT.pdf")
    receipt.add_argument("--a5", action="store_true", help=_("on A5 paper instead of A4"))
    receipt.set_defaults(print=print_receipt)

    certificate = documents.add_parser("certificate", help=_("the hours certificate of a volunteer"))
    certificate.add_argument("volunteer", metavar="VOLUNTEER_ID", help=_("the volunteer's id, as in 'list volunteers'"))
    certificate.add_argument("out", type=Path, metavar="OUT.pdf")
    certificate.add_argument("--from", dest="start", type=_date, metavar="DATE",
                             help=_("first day, YYYY-MM-DD (default: the volunteer's first activity)"))
    certificate.add_argument("--to", dest="end", type=_date, metavar="DATE", help=_("last day, YYYY-MM-DD (default: today)"))
    certificate.set_defaults(print=print_certificate, parser=certificate)

    minutes = documents.add_parser("minutes", help=_("the minutes of a round-table meeting, with signature lines"))
    minutes.add_argument("meeting", metavar="MEETING_ID", help=_("the meeting's id, as in 'list meetings'"))
    minutes.add_argument("out", type=Path, metavar="OUT.pdf")
    minutes.set_defaults(print=print_minutes)


def _ask(variable: str, prompt: str, missing: str) -> str:
    """A password from the environment variable, or typed at the terminal (``missing`` says how when there is none)."""
    password = os.environ.get(variable)
    if password is None:
        if not sys.stdin.isatty():
            raise RedStationError(missing)
        try:
            password = getpass.getpass(prompt)
        except EOFError:
            raise RedStationError(missing) from None
    return password


def _password(user: str) -> str:
    return _ask("REDSTATION_PASSWORD", _("Password of {user}: ").format(user=user),
                _("Give the password of {user} in REDSTATION_PASSWORD").format(user=user))


def _open(args, *, create: bool = False) -> Session:
    """The database, acting as ``--user`` (logged in, with that user's role) or as the computer's user."""
    if not args.user:
        return Session.open(args.db, Actor.command_line(), create=create)
    from redstation.services import users
    session = Session.open(args.db, Actor(None, args.user, ""), create=create)
    try:
        users.log_in(session, args.user, _password(args.user))
    except BaseException:
        session.close()
        raise
    return session


def _print_json(obj) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


def cmd_init(args) -> int:
    from redstation.services import station
    with _open(args, create=True) as session:
        station.init_station(session, args.station_name, args.community, args.street)
        row = session.station()
    print(_("Station {name} ({community}) created in {path}").format(name=row["name"], community=row["community"], path=args.db))
    return 0


def cmd_demo(args) -> int:
    from redstation.services import demo
    with _open(args, create=True) as session:
        made = demo.generate(session, args.households, args.seed)
    print(_("Sample data: {households} households, {residents} residents, {visits} visits, {tickets} tickets").format(**made))
    return 0




def cmd_stats(args) -> int:
    with _open(args) as session:
        counts = queries.stats(session.conn)
    if args.json:
        _print_json(counts)
    else:
        for key, value in counts.items():
            print("{label}\t{value}".format(label=_(RECORD_KINDS[key]), value=value))
    return 0




LIST_COLUMNS = {
    "households": [("address", N_("Address")), ("members", N_("Members")), ("care_categories", N_("Care"))],
    "residents": [("name", N_("Name")), ("gender", N_("Sex")), ("birth_date", N_("Born")), ("relation", N_("Relation")),
                  ("address", N_("Address"))],
    "visits": [("visited_at", N_("Time")), ("address", N_("Address")), ("visitor_name", N_("Visitor")), ("outcome", N_("Outcome"))],
    "tickets": [("number", N_("Number")), ("kind", N_("Kind")), ("status", N_("Status")), ("summary", N_("Summary"))],
    "volunteers": [("name", N_("Name")), ("skills", N_("Skills")), ("hours", N_("Hours"))],
    "activities": [("starts_at", N_("Time")), ("kind", N_("Kind")), ("title", N_("Title")), ("attendees", N_("Attendees"))],
    "meetings": [("held_at", N_("Time")), ("kind", N_("Kind")), ("title", N_("Title"))],
}
_LABELS = {("residents", "gender"): GENDERS, ("residents", "relation"): RELATIONS, ("visits", "outcome"): VISIT_OUTCOMES,
           ("tickets", "kind"): TICKET_KINDS, ("tickets", "status"): TICKET_STATUSES,
           ("activities", "kind"): ACTIVITY_KINDS, ("meetings", "kind"): MEETING_KINDS,
           ("households", "care_categories"): CARE_CATEGORIES, ("volunteers", "skills"): SKILLS}


def _cell(kind: str, key: str, value) -> str:
    vocab = _LABELS.get((kind, key))
    if isinstance(value, list):
        return join_list(label(vocab, v) if vocab else str(v) for v in value)
    if vocab:
        return label(vocab, value)
    return "" if value is None else str(value)


def cmd_list(args) -> int:
    with _open(args) as session:
        role = session.actor.role
        roles.check_list(role, args.kind)
        items = queries.list_records(session.conn, args.kind, args.limit)
        if args.json:  # streamed, so a street office's 750,000 residents do not sit in memory twice
            sys.stdout.write('{"items": [')
            for n, item in enumerate(items):
                sys.stdout.write(("," if n else "") + json.dumps(roles.shown(role, item), ensure_ascii=False))
            sys.stdout.write("]}\n")
        else:
            columns = LIST_COLUMNS[args.kind]
            print("\t".join(["id"] + [_(title) for _key, title in columns]))
            for item in items:
                item = roles.shown(role, item)
                print("\t".join([item["id"]] + [_cell(args.kind, key, item[key]) for key, _title in columns]))
    return 0


# --- search: best match first, phone and id number masked ------------------------------------------
SEARCH_COLUMNS = [("name", N_("Name")), ("gender", N_("Sex")), ("birth_date", N_("Born")), ("address", N_("Address")),
                  ("phone", N_("Phone")), ("id_number", N_("Id number")), ("status", N_("Status"))]
_LABELS.update({("search", "gender"): GENDERS, ("search", "status"): RESIDENT_STATUSES})


def _bundle_password(args) -> str | None:
    if not args.password:
        return None
    password = _ask("REDSTATION_BUNDLE_PASSWORD", _("Bundle password: "),
                    _("Give the bundle's password in REDSTATION_BUNDLE_PASSWORD"))
    if not password:
        raise RedStationError(_("The password is empty"))
    return password


def cmd_export_bundle(args) -> int:
    from redstation.services import exchange
    with _open(args) as session:
        made = exchange.export_bundle(session, args.out, since_peer=args.since_last, password=_bundle_password(args))
    print(_("Bundle written to {path}: {rows} records ({scope}); key fingerprint {fingerprint}").format(
        path=args.out, rows=made["rows"], scope=_("everything") if made["scope"] == "full" else _("changes since the last one"),
        fingerprint=made["fingerprint"]))
    return 0


def cmd_import_bundle(args) -> int:
    from redstation.services import exchange
    with _open(args) as session:
        result = exchange.import_bundle(session, args.file, dry_run=args.dry_run, trust=args.trust,
                                        password=_bundle_password(args))
    if args.json:
        _print_json(result.as_json())
        return 0
    counts = result.tally.as_json()
    print(_("{what} {station} ({made}): {inserted} new, {updated} updated, {unchanged} unchanged, {deleted} deleted, "
            "{conflicts} conflicts").format(what=_("Would import") if args.dry_run else _("Imported"),
                                           station=result.manifest.station_name,
                                           made=result.manifest.created_at.replace("T", " "), **counts))
    if not result.own:
        print(_("Its station id, for the bundles made for it (export-bundle --since-last): {id}").format(
            id=result.manifest.station_id))
    if result.newly_trusted:
        print(_("The station is trusted from now on (key fingerprint {fingerprint})").format(
            fingerprint=result.manifest.fingerprint()))
    if counts["conflicts"]:
        print(_("Records changed at both stations: the later change was kept, the other is in the conflict list of the "
                "数据交换 page"))
    if result.backup:
        print(_("Backup before the import: {path}").format(path=result.backup))
    return 0


def cmd_search(args) -> int:
    from redstation.services import search
    with _open(args) as session:
        results = search.search(session, args.query, args.limit)  # masked as the user may see them
    if args.json:
        _print_json({"results": results})
    elif not results:
        print(_("No resident matches {query}").format(query=args.query))
    else:
        print("\t".join(["id"] + [_(title) for _key, title in SEARCH_COLUMNS]))
        for item in results:
            print("\t".join([item["id"]] + [_cell("search", key, item[key]) for key, _title in SEARCH_COLUMNS]))
    return 0


# --- Excel ledgers ---------------------------------------------------------------------------------------
REJECTS_SHOWN = 20


def cmd_import_ledger(args) -> int:
    from redstation.excel import ledger_import
    if args.rejects is not None:  # refused before the import, so that exit status 1 still means "nothing changed"
        if args.rejects.resolve() == args.file.resolve():
            raise RedStationError(_("The rejected rows cannot be written over the ledger {path} itself").format(path=args.file))
        if not args.rejects.resolve().parent.is_dir():
            raise RedStationError(_("There is no folder {path} for the rejected rows").format(path=args.rejects.parent))
    replaced = args.rejects is not None and args.rejects.is_file()
    with _open(args) as session:
        # The rejects are written inside the import's transaction: if they cannot be, nothing is imported (exit 1).
        result = ledger_import.import_ledger(session, args.file, dry_run=args.dry_run, sheet=args.sheet,
                                             rejects=args.rejects, estate=args.estate)
    if args.json:
        _print_json(result.as_json())
        return 0
    print(_("{file}: {imported} new residents, {updated} updated, {unchanged} unchanged, {rejected} rows rejected").format(
        file=args.file.name, imported=result.imported, updated=result.updated, unchanged=result.unchanged,
        rejected=len(result.rejected)))
    if result.households_added:
        print(_("New households: {count}").format(count=result.households_added))
    if result.households_alone:
        print(_("Rows of a household with nobody named (a vacant flat): {count}").format(count=result.households_alone))
    if result.several_sheets or result.skipped_sheets:
        print(_("Sheets imported: {sheets}").format(sheets=_(", ").join(s.name for s in result.sheets)))
    if result.skipped_sheets:
        print(_("Sheets left out: {sheets}").format(sheets=_(", ").join(
            _("{sheet} ({reason})").format(sheet=name, reason=reason) for name, reason in result.skipped_sheets)))
    for warning in result.warnings:
        print(_("Note: {warning}").format(warning=warning))
    if result.changes:
        print(_("Updated residents (before → after):"))
    for change in result.changes:
        print(_("  {where} {name}: {fields}").format(where=result.place(change.sheet, change.row), name=change.name,
                                                    fields=change.text()))
    if result.rejected:
        print(_("Rejected rows:"))
    for reject in result.rejected[:REJECTS_SHOWN]:
        print(_("  {where}, {column}: {reason}").format(where=result.place(reject.sheet, reject.row), column=reject.column,
                                                        reason=reject.reason))
    if len(result.rejected) > REJECTS_SHOWN:
        print(_("  … and {count} more").format(count=len(result.rejected) - REJECTS_SHOWN))
    if result.rejects_path is not None:
        print(_("The rejected rows are in {path}: correct them there and import that file").format(path=result.rejects_path))
        if replaced:
            print(_("It replaced the file that was there before"))
    elif args.rejects is not None:
        print(_("No row was rejected: {path} was not written").format(path=args.rejects))
        if replaced:
            print(_("The file there is an earlier one: it does not belong to this import"))
    elif result.rejected:
        print(_("To correct the rejected rows in a workbook, run again with --rejects OUT.xlsx"))
    if args.dry_run:
        print(_("Dry run: nothing was changed in the database"))
    return 0


def cmd_export_ledger(args) -> int:
    from redstation.excel import ledger_export
    replaced = args.out.is_file()
    with _open(args) as session:
        counts = ledger_export.export_ledger(session, args.out, unmasked=args.unmasked)
    print(_("Ledger written to {path}: {households} households, {residents} residents, {key_residents} in key households").format(
        path=args.out, **counts))
    if replaced:
        print(_("It replaced the file that was there before"))
    if not args.unmasked:
        print(_("Id numbers and phone numbers are partly hidden; --unmasked shows them whole (station manager only)"))
    return 0


def cmd_backup(args) -> int:
    from redstation.services import maintenance
    with _open(args) as session:
        target = maintenance.backup(session, args.out)
    print(_("Backup written to {path}").format(path=target))
    return 0


def cmd_restore(args) -> int:
    from redstation.services import maintenance
    from redstation.store.lock import DatabaseLock
    lock = DatabaseLock.take(args.db)  # never under an open window: it would go on with the data it had
    try:
        with _open(args, create=True) as session:
            safety = maintenance.restore(session, args.file)
    finally:
        if lock is not None:
            lock.release()
    print(_("Restored from {file}; the previous data was saved in {safety}").format(file=args.file, safety=safety))
    return 0


def cmd_check(args) -> int:
    from redstation.services import maintenance
    found = maintenance.check_file(args.db)
    if found:
        more = _(" (and {count} more problems)").format(count=len(found) - 1) if len(found) > 1 else ""
        print("redstation: {problem}{more}".format(problem=" ".join(found[0].split()), more=more), file=sys.stderr)
        return 1
    print(_("The database {path} is in order").format(path=args.db))
    return 0


def print_round_sheet(args) -> int:
    from redstation.printing import visits as documents
    with _open(args) as session:
        made = documents.round_sheet(session, args.out, day=args.date)
    print(_("Round sheet written to {path}: {pages} pages, {households} households ({overdue} overdue, {due} due)").format(
        path=args.out, **made))
    return 0


def print_receipt(args) -> int:
    from redstation.printing import receipt
    with _open(args) as session:
        made = receipt.receipt(session, args.ticket, args.out, paper="A5" if args.a5 else "A4")
    print(_("Receipt of ticket {number} written to {path}").format(number=made["number"], path=args.out))
    return 0


def print_minutes(args) -> int:
    from redstation.printing import minutes
    with _open(args) as session:
        made = minutes.minutes(session, args.meeting, args.out)
    print(_("Minutes of {title} written to {path}: {pages} pages, {attendees} attendees, {topics} topics, "
            "{actions} actions").format(path=args.out, **made))
    return 0


def print_certificate(args) -> int:
    from redstation.printing import certificate
    if args.start is not None and args.end is not None and args.start > args.end:
        args.parser.print_usage(sys.stderr)
        print(_("{prog}: error: --from {start} is after --to {end}").format(
            prog=args.parser.prog, start=args.start.isoformat(), end=args.end.isoformat()), file=sys.stderr)
        return 2
    with _open(args) as session:
        made = certificate.certificate(session, args.volunteer, args.out, start=args.start, end=args.end)
    print(_("Hours certificate of {name} written to {path}: {activities} activities, {hours} hours ({start} to {end})").format(
        path=args.out, **dict(made, hours="{h:g}".format(h=made["hours"]))))
    return 0


def print_visit_log(args) -> int:
    from redstation.printing import visits as documents
    if args.start is not None and args.end is not None and args.start > args.end:
        args.parser.print_usage(sys.stderr)
        print(_("{prog}: error: --from {start} is after --to {end}").format(
            prog=args.parser.prog, start=args.start.isoformat(), end=args.end.isoformat()), file=sys.stderr)
        return 2
    with _open(args) as session:
        made = documents.visit_log(session, args.out, start=args.start, end=args.end, household_id=args.household)
    print(_("Visit log written to {path}: {pages} pages, {rows} entries ({visits} visits that count)").format(
        path=args.out, **made))
    return 0


def cmd_print(args) -> int:
    return args.print(args)


COMMANDS = {"report": cmd_report, "init": cmd_init, "demo": cmd_demo, "stats": cmd_stats, "list": cmd_list, "search": cmd_search,
            "import-ledger": cmd_import_ledger, "export-ledger": cmd_export_ledger,
            "export-bundle": cmd_export_bundle, "import-bundle": cmd_import_bundle,
            "backup": cmd_backup, "restore": cmd_restore, "check": cmd_check, "print": cmd_print}


NO_AUTOMATIC_BACKUP = {"init", "check", "backup", "restore"}  # nothing worth a copy yet, or a copy of its own


def _automatic_backup(args) -> None:
    """The day's automatic backup, as the window makes it, for stations that work from the command line only
    (``maintenance.auto_backup``: at most one a day, only when something changed). A copy that cannot be made
    is said on stderr and does not fail the command that ran."""
    from redstation.services import maintenance
    try:
        with Session.open(args.db, Actor.command_line(), create=False) as session:
            maintenance.auto_backup(session)
    except (RedStationError, OSError, sqlite3.Error) as exc:
        print("redstation: {message}".format(message=_("The automatic backup failed: {error}").format(error=exc)),
              file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: 0 for --help/--version, 2 for usage errors
        return int(exit_.code or 0)
    if args.command is None:
        from redstation.gui.app import run
        return run(args.db)
    if args.db is None:
        args.db = default_db_path()
    try:
        code = COMMANDS[args.command](args)
        if code == 0 and args.command not in NO_AUTOMATIC_BACKUP:
            _automatic_backup(args)
        return code
    except BrokenPipeError:  # `redstation list residents | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes at exit
        return 0
    except RedStationError as exc:
        print("redstation: {message}".format(message=exc), file=sys.stderr)
        return 1
    except sqlite3.Error as exc:
        print("redstation: {message}".format(message=_("The database {path} cannot be used: {error}").format(path=args.db, error=exc)),
              file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: one line for the user, the traceback in the log for us
        log = append_log("cli-errors.log", "{at} redstation {argv}\n{trace}\n".format(
            at=datetime.now().isoformat(timespec="seconds"), argv=" ".join(argv or sys.argv[1:]), trace=traceback.format_exc()))
        print("redstation: {message}".format(message=_("internal error ({error}); details in {log}").format(
            error=type(exc).__name__, log=log)), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
