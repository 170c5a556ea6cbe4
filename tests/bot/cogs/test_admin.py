"""/reindex end to end: who may run it, progress, one at a time, answers during a reindex."""

from __future__ import annotations

import re

import pytest

from tests.bot.conftest import QUESTION, DeskProxy, Gate, text_of

pytestmark = pytest.mark.slow

EPHEMERAL = 64


def gated(desk, gate: Gate, calls: list[dict]):
    """The real desk, whose reindex stops at its first progress report until the gate opens."""

    def reindex(*, full=False, progress=None):
        calls.append({"full": full})

        def report(p):
            if progress is not None:
                progress(p)
            if not gate.entered.is_set():
                gate.hold()

        return desk.reindex(full=full, progress=report)

    return DeskProxy(desk, reindex=reindex)


async def test_reindex_is_refused_for_a_member_without_rights(fake, bots, reindexable_desk):
    calls: list[dict] = []
    await bots.start(gated(reindexable_desk, Gate(), calls))

    attempt = await fake.run_command("reindex", user=fake.member)
    refusal = await attempt.callback()

    assert refusal["type"] == 4 and refusal["data"]["flags"] & EPHEMERAL
    assert "Only newsdesk admins" in refusal["data"]["content"]
    assert calls == []


async def test_admins_are_manage_server_members_and_the_named_users_and_roles(
    fake, bots, reindexable_desk
):
    calls: list[dict] = []
    gate = Gate()
    gate.open()
    await bots.start(gated(reindexable_desk, gate, calls), admin_user_ids=[fake.member.id])

    for person in (fake.moderator, fake.role_admin, fake.member):
        run = await fake.run_command("reindex", user=person)
        await run.wait_original(lambda m: m["content"].startswith("Reindex complete"))

    assert len(calls) == 3


async def test_reindex_shows_progress_refuses_a_second_and_keeps_answering(
    fake, bots, reindexable_desk
):
    calls: list[dict] = []
    gate = Gate()
    await bots.start(gated(reindexable_desk, gate, calls))

    first = await fake.run_command("reindex", {"full": True}, user=fake.role_admin)
    assert (await first.callback())["type"] == 4
    await gate.wait_entered()
    assert reindexable_desk.reindexing  # the real reindex holds its lock while we look around
    progress = await first.wait_original(lambda m: m["content"].startswith("Reindexing: reading"))

    second = await fake.run_command("reindex", user=fake.moderator)
    refusal = await second.callback()
    n = len(fake.requests)
    question = await fake.send_message(f"<@{fake.bot.id}> {QUESTION}")
    answer = await fake.wait_for_request("POST", rf"/channels/{question['id']}/messages", after=n)

    gate.open()
    done = await first.wait_original(lambda m: m["content"].startswith("Reindex complete"))

    assert "5/5" in progress["content"]
    assert "already running" in refusal["data"]["content"]
    assert refusal["data"]["flags"] & EPHEMERAL
    assert "[1]" in text_of(answer.json)  # answered from the serving index mid-reindex
    assert "5 articles" in done["content"]
    assert "0 skipped" in done["content"]
    assert calls == [{"full": True}]


async def test_reindex_reports_skipped_files_with_reasons(fake, bots, local_model, tmp_path):
    from index.service import Newsdesk
    from tests.bot.conftest import settings_for

    articles = tmp_path / "articles"
    articles.mkdir()
    body = "The harbour authority approved a new ferry timetable on Monday. " * 5
    (articles / "one.md").write_text(f"---\ntitle: Ferry timetable\n---\n{body}\n")
    (articles / "notes.pdf").write_bytes(b"%PDF-1.4")
    own = Newsdesk.open(
        settings_for(tmp_path / "index", articles_dir=articles), embedder=local_model
    )
    await bots.start(own)

    run = await fake.run_command("reindex", user=fake.moderator)
    done = await run.wait_original(lambda m: m["content"].startswith("Reindex complete"))

    assert "1 added" in done["content"]
    assert "**Skipped**" in done["content"]
    assert re.search(r"- `notes\.pdf`: \S", done["content"]), "the file and the reason"
