"""`studio batch`: many documents at half price through the Message Batches API.

    studio batch run INSTRUCTION FILE... [--model ID] [--max-tokens N] [--out DIR] [--lines FILE]
                     [--triage QUESTION] [--triage-model ID] [--yes] [--detach]
    studio batch list | status ID | wait ID | fetch ID | cancel ID | retry ID

A thin front end: the work is studio.core.batches; this parses, asks, waits and prints.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from studio import locations
from studio.batch.report import job_summary, jobs_table, money, progress_line, results_table

if TYPE_CHECKING:
    from studio.config import Settings
    from studio.core.batch_store import BatchJob
    from studio.core.batches import Batches, Estimate

POLL_START, POLL_MAX = 1.0, 30.0  # seconds between polls, backing off


class Stop(Exception):
    """Ends the command with a one-line message and an exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="studio batch", description="Many documents at half price, through the Message Batches API."
    )
    parser.add_argument("--demo", action="store_true", help="run offline against the built-in demo server")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="send one request per document, then wait and fetch")
    run.add_argument("instruction", help='what to do with each document, e.g. "Proofread this"')
    run.add_argument("files", nargs="*", type=Path, metavar="FILE")
    run.add_argument("--model", metavar="ID", help="model for the documents (default: the config's)")
    run.add_argument("--max-tokens", type=int, default=1024, metavar="N", help="output ceiling per document")
    run.add_argument("--out", type=Path, metavar="DIR", help="where results go (default: a folder per job)")
    run.add_argument("--lines", type=Path, metavar="FILE", help="one document per non-empty line of FILE")
    run.add_argument("--triage", metavar="QUESTION", help="first ask the triage model this yes/no question")
    run.add_argument("--triage-model", metavar="ID", default=None, help="default claude-haiku-4-5-20251001")
    run.add_argument("--yes", action="store_true", help="do not ask before sending")
    run.add_argument("--detach", action="store_true", help="submit and return; `wait` or `fetch` later")
    commands.add_parser("list", help="every job, newest first")
    for name, what in (
        ("status", "one job: counts by state, times, cost so far, where results go"),
        ("wait", "wait for a job to end (Ctrl+C leaves it running), then fetch"),
        ("fetch", "write the results that are ready; safe to run again"),
        ("cancel", "stop a job; items not yet done are canceled"),
        ("retry", "resubmit only the items that errored or expired, as a new linked job"),
    ):
        sub = commands.add_parser(name, help=what)
        sub.add_argument("job", type=int, metavar="ID")
        if name == "retry":
            sub.add_argument("--yes", action="store_true", help="do not ask before sending")
            sub.add_argument("--detach", action="store_true", help="submit and return")
    # FILE... may come before and after options (`run "Fix" a.md --model X b.md`): argparse leaves
    # the later ones over, and they are files too.
    args, extra = parser.parse_known_args(argv)
    unknown = [a for a in extra if a.startswith("-") or args.command != "run"]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if extra:
        args.files += [Path(a) for a in extra]
    return args


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    from studio.config import ConfigError, load_settings

    try:
        settings = load_settings({"model": getattr(args, "model", None)})
    except ConfigError as exc:
        print("studio batch: " + " ".join(str(exc).split()), file=sys.stderr)
        return 2
    server = None
    if args.demo:
        from studio.core.demo import start_demo

        server = start_demo(settings)
    from studio.core.batches import BatchFailure

    try:
        return asyncio.run(_command(args, settings))
    except BatchFailure as failure:  # the API refused, or could not be reached: in its words
        print(f"studio batch: {failure}", file=sys.stderr)
        return 1
    except Stop as stop:
        print(f"studio batch: {stop}", file=sys.stderr)
        return stop.code
    except KeyboardInterrupt:
        print("\nstudio batch: stopped; the job keeps running at the API.", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            server.stop()


async def _command(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.api_key:
        raise Stop("no API key: set ANTHROPIC_API_KEY, or save one with F4 in the studio", 2)
    import anthropic

    from studio.core.batches import Batches
    from studio.core.catalog import Catalog
    from studio.core.store import Store

    try:
        store = Store(locations.data_dir() / ("demo.db" if settings.demo else "studio.db"))
    except Exception as exc:
        raise Stop(f"the studio's database cannot be used ({type(exc).__name__}: {exc})") from None
    client = anthropic.AsyncAnthropic(api_key=settings.api_key, base_url=settings.base_url)
    catalog = Catalog.builtin().overridden(settings.models)
    batches = Batches(client, store, catalog, settings.system_prompt, settings.api_key)
    try:
        if args.command == "run":
            return await _run(batches, settings, args)
        if args.command == "list":
            print(jobs_table(batches))
            return 0
        job = _job(batches, args.job)
        if args.command == "status":
            print(job_summary(job, batches))
            return 0
        if args.command == "wait":
            return await _wait_and_fetch(batches, job)
        if args.command == "fetch":
            return await _fetch(batches, job)
        if args.command == "cancel":
            n = await batches.cancel(job)
            print(f"Job {job.id}: cancel asked for {n} batch(es)." if n else f"Job {job.id} has ended.")
            return 0
        return await _retry(batches, job, args)
    finally:
        await client.close()


def _job(batches: Batches, job_id: int) -> BatchJob:
    job = batches.jobs.job(job_id)
    if job is None:
        raise Stop(f"no job {job_id} (studio batch list shows them all)", 2)
    return job


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise Stop("not sent: add --yes to send without asking", 2)
    if input(f"{question} [y/N] ").strip().lower() not in ("y", "yes"):
        raise Stop("not sent", 1)


async def _run(batches: Batches, settings: Settings, args: argparse.Namespace) -> int:
    from studio.core.batch_documents import (
        TRIAGE_MAX_TOKENS,
        TRIAGE_MODEL,
        BatchInputError,
        read_documents,
    )

    model = args.model or settings.model
    triage_model = args.triage_model or TRIAGE_MODEL
    for chosen in (model, *([triage_model] if args.triage else [])):
        if batches.catalog.get(chosen) is None:
            known = ", ".join(m.id for m in batches.catalog.models)
            raise Stop(f"unknown model {chosen!r} (known: {known})", 2)
    if args.max_tokens < 1:
        raise Stop("--max-tokens must be at least 1", 2)
    try:
        documents = read_documents(args.files, args.lines)
    except BatchInputError as exc:
        raise Stop(f"{exc}; nothing was sent", 2) from None
    name = " ".join(args.instruction.split())[:60]
    slug = re.sub(r"[^\w-]+", "-", name.lower()).strip("-")[:30] or "job"
    inputs = [*args.files, *([args.lines] if args.lines else [])]
    first_model = triage_model if args.triage else model
    current = [m.id for m in batches.catalog.models[:3]]  # the catalogue lists the current line first
    models = list(dict.fromkeys([first_model, *current]))
    instruction = args.instruction
    if args.triage:
        estimate = batches.estimate(documents, args.triage, TRIAGE_MAX_TOKENS, models)
        everything = batches.estimate(documents, instruction, args.max_tokens, [model])
    else:
        estimate = batches.estimate(documents, instruction, args.max_tokens, models)
    print(_estimate_text(batches, estimate, first_model, args.max_tokens, bool(args.triage)))
    if args.triage:
        print(
            f"  sending all {len(documents)} to {batches.catalog.info(model).name} instead: about "
            f"{money(everything.batch_usd[model])} at batch prices"
        )
    today = batches.store.spent_on(date.today())
    worst = estimate.batch_usd.get(first_model) or 0.0
    if settings.daily_budget and today + worst > settings.daily_budget:
        print(
            f"This could take today's spend to {money(today + worst)}, over your "
            f"{money(settings.daily_budget)} daily budget."
        )
        if args.yes:
            raise Stop("not sent: over the daily budget (run without --yes to send anyway)", 1)
    out_dir = args.out
    sample = batches.params_for(first_model, args.max_tokens, instruction, args.triage, documents[0].text)
    try:
        await batches.validate(sample)
    except BatchInputError as exc:
        raise Stop(f"the API refused the request: {exc}; nothing was sent", 2) from None
    _confirm(f"Send {len(documents)} request(s)?", args.yes)
    job = batches.create_job(
        documents,
        name=name,
        model=first_model,
        instruction=instruction,
        max_tokens=args.max_tokens,
        # A folder per job (a second run of the same instruction must not overwrite the first);
        # absolute, so `wait` and `fetch` write to the same place from any folder.
        out_dir=(
            out_dir or settings.drafts_dir / "batches" / f"{slug}-{datetime.now():%Y%m%d-%H%M%S}"
        ).resolve(),
        inputs=inputs,
        stage="triage" if args.triage else "single",
        question=args.triage,
        final_model=model if args.triage else None,
        final_max_tokens=args.max_tokens if args.triage else None,
    )
    await batches.submit(job)
    chunks = batches.jobs.chunks(job.id)
    ids = ", ".join(c.batch_id or "?" for c in chunks)
    print(f"Job {job.id} submitted ({len(chunks)} batch(es): {ids}).")
    if args.detach:
        print(f"studio batch wait {job.id} waits for it; studio batch fetch {job.id} writes what is ready.")
        return 0
    return await _wait_and_fetch(batches, job)


def _estimate_text(batches: Batches, estimate: Estimate, model: str, max_tokens: int, triage: bool) -> str:
    info = batches.catalog.info(model)
    lines = [
        f"{estimate.requests} request(s) to {info.name} ({model})"
        + (" to triage first; the yes documents go on to the chosen model" if triage else ""),
        f"  input about {estimate.input_tokens:,} tokens, output at most {estimate.output_ceiling:,}"
        + ("" if triage else f" ({max_tokens:,} per document)"),
        f"  estimate at batch prices {money(estimate.batch_usd[model])}, "
        f"without batch {money(estimate.full_usd[model])} (an upper bound: output at its ceiling)",
    ]
    others = [
        f"{batches.catalog.info(m).name} {money(usd)}" for m, usd in estimate.batch_usd.items() if m != model
    ]
    if others:
        lines.append("  the same on other models, at batch prices: " + " · ".join(others))
    return "\n".join(lines)


async def _wait_and_fetch(batches: Batches, job: BatchJob) -> int:
    """Poll with backoff until every chunk has ended, then fetch; a triage job goes on to its
    second stage. Ctrl+C leaves the job running."""
    from studio.core.batches import BatchFailure

    delay = POLL_START
    live = sys.stdout.isatty()
    last = ""
    while True:
        current = batches.jobs.job(job.id)
        assert current is not None
        try:
            progress = await batches.refresh(current)
        except BatchFailure as failure:  # the job is kept: ask again later, as long as it takes
            line = f"Job {job.id}: {failure} Asking again in {delay:.0f} s (Ctrl+C leaves it running)."
            print(("\r" + line + "\x1b[K") if live else line, end="" if live else "\n", flush=True)
            last = line
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, POLL_MAX)
            continue
        line = progress_line(current, progress)
        if line != last:
            print(("\r" + line + "\x1b[K") if live else line, end="" if live else "\n", flush=True)
            last = line
        if progress.ended == progress.chunks:
            break
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, POLL_MAX)
    if live:
        print()
    return await _fetch(batches, job)


async def _fetch(batches: Batches, job: BatchJob) -> int:
    await batches.refresh(job)
    fetched = await batches.fetch(job)
    current = batches.jobs.job(job.id)
    assert current is not None
    print(results_table(current, batches, fetched.written))
    if fetched.follow_up is not None:
        follow = fetched.follow_up
        n = len(batches.jobs.items(follow.id))
        print(f"Job {follow.id}: the {n} yes document(s) go to {batches.catalog.info(follow.model).name}.")
        return await _wait_and_fetch(batches, follow)
    return 0


async def _retry(batches: Batches, job: BatchJob, args: argparse.Namespace) -> int:
    failed = [i for i in batches.jobs.items(job.id) if i.state in ("errored", "expired")]
    if not failed:
        print(f"Job {job.id} has nothing that errored or expired to send again.")
        return 0
    _confirm(f"Send the {len(failed)} item(s) of job {job.id} that errored or expired again?", args.yes)
    retry = batches.retry_job(job)
    assert retry is not None
    await batches.submit(retry)
    print(f"Job {retry.id} submitted: {len(failed)} item(s) from job {job.id}.")
    if args.detach:
        return 0
    return await _wait_and_fetch(batches, retry)
