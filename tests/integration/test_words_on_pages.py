"""People read words, not codes: who did it, errors, missing fields, durations, conditions,
skills, tiers and escalation targets, in Chinese and in English. The API keeps its codes."""
from __future__ import annotations

import re
from datetime import timedelta

from callcenter.actors import CLI, SYSTEM
from callcenter.auth.models import Skill
from callcenter.db_types import utcnow
from callcenter.extensions import db
from callcenter.tickets import audit
from callcenter.tickets.models import Ticket
from tests.factories import create_ticket, csrf_from, login, policy, ticket_at


def _name_skills(app) -> None:
    """The catalogue as an admin fills it in: the test world's skills are named by their codes."""
    with app.app_context():
        for code, zh, en in (("billing", "账单", "Billing"), ("network", "网络故障", "Network faults")):
            skill = db.session.get(Skill, code)
            skill.name_zh, skill.name_en = zh, en
        db.session.commit()


def _zh(client) -> None:
    client.get("/lang/zh_CN")


def _en(client) -> None:
    client.get("/lang/en")


def test_the_timeline_names_the_desk_and_the_command_line_in_words(app, client, world):
    with app.app_context():
        ticket = create_ticket(world)
        tid = ticket.id
        audit.record(ticket, "routing_widened", SYSTEM, after=2)
        audit.record(db.session.get(Ticket, tid), "status_links_revoked", CLI)
        audit.record(db.session.get(Ticket, tid), "sla_escalation_skipped", SYSTEM, reason="unknown_team",
                     to="team:Gone")
        audit.record(db.session.get(Ticket, tid), "sla_retargeted", SYSTEM, before=1800, after=900,
                     clock="first_response")
        db.session.commit()
    login(client, "boss@test.cc")
    _zh(client)
    html = client.get(f"/desk/tickets/{tid}").get_data(as_text=True)
    assert "<strong>系统</strong>" in html and "<strong>命令行</strong>" in html
    assert "<strong>system</strong>" not in html and "<strong>command line</strong>" not in html
    _en(client)
    html = client.get(f"/desk/tickets/{tid}").get_data(as_text=True)
    assert "<strong>The desk</strong>" in html and "<strong>Command line</strong>" in html
    assert "SLA escalation to team Gone skipped (no such team)" in html
    assert "SLA First response target changed from 30 min to 15 min" in html
    events = client.get(f"/api/v1/tickets/{tid}/events").json["items"]
    assert {"kind": "system", "id": None, "name": "system"} in [e["actor"] for e in events]  # the API keeps the code


def test_error_pages_speak_the_page_language_and_the_api_stays_json(api, client, world):
    _zh(client)
    r = client.get("/desk/no-such-page")
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and "页面不存在" in html and "The requested URL was not found" not in html
    r = client.get("/logout")  # signing out is a POST from the header button
    html = r.get_data(as_text=True)
    assert r.status_code == 405 and "无法这样打开" in html and "The method is not allowed" not in html
    assert "POST" in r.headers["Allow"]
    _en(client)
    html = client.get("/desk/no-such-page").get_data(as_text=True)
    assert "Page not found" in html and "The requested URL was not found" not in html
    r = api.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"


def test_closing_a_complaint_without_its_fields_names_them_by_their_labels(app, client, world):
    with app.app_context():
        tid = create_ticket(world).id
    login(client, "anna@test.cc")
    token = csrf_from(client.get(f"/desk/tickets/{tid}").get_data(as_text=True))
    client.post(f"/desk/tickets/{tid}/assign", data={"csrf_token": token, "take": "1"})
    client.post(f"/desk/tickets/{tid}/transition", data={"csrf_token": token, "to": "resolved"})
    _zh(client)
    html = client.post(f"/desk/tickets/{tid}/transition", data={"csrf_token": token, "to": "closed"}).get_data(
        as_text=True)
    assert "缺少：处理结果摘要、根本原因、责任部门" in html and "resolution_summary, root_cause" not in html
    _en(client)
    html = client.post(f"/desk/tickets/{tid}/transition", data={"csrf_token": token, "to": "closed"}).get_data(
        as_text=True)
    assert "Missing: Resolution summary, Root cause, Responsible department" in html


def test_sla_targets_read_as_hours_and_business_days_of_the_calendar(app, api, client, world):
    r = api.post("/api/v1/sla-calendars", who="admin", json={
        "name": "Office", "tz": "Asia/Shanghai", "weekly": {str(d): "09:00-12:00,13:00-19:00" for d in range(5)}})
    assert r.status_code == 201, r.json
    with app.app_context():
        policy("Office hours", first=9000, resolution=27 * 3600, calendar="Office")
        policy("Around the clock", first=900, resolution=2 * 3600 + 1800)
    login(client, "boss@test.cc")
    _en(client)
    html = client.get("/desk/sla-policies").get_data(as_text=True)
    assert "Resolution 27 h (3 business days of 9 h)" in html and "First response 2 h 30 min" in html
    assert "First response 15 min" in html and "Resolution 2 h 30 min" in html and " min<br>" in html
    assert "1620 min" not in html
    _zh(client)
    html = client.get("/desk/sla-policies").get_data(as_text=True)
    assert "27 小时（3 个工作日，每日 9 小时）" in html and "2 小时 30 分" in html


def test_the_policies_list_shows_conditions_and_escalation_targets_in_words(app, client, world):
    with app.app_context():
        steps = [{"level": 2, "after_seconds": 1800, "raise_priority": True},
                 {"level": 3, "after_seconds": 3600, "reassign_to": "supervisor"},
                 {"level": 4, "after_seconds": 7200, "reassign_to": "user:anna@test.cc"},
                 {"level": 5, "after_seconds": 9000, "reassign_to": "team:Billing"}]
        policy("VIP complaints", match={"kind": "complaint", "tier": "VIP"}, escalation=steps)
        policy("Bills", match={"category": ["billing", "network"], "channel": "phone"}, position=2)
    login(client, "boss@test.cc")
    _zh(client)
    html = client.get("/desk/sla-policies").get_data(as_text=True)
    assert "投诉 · VIP 客户" in html and "类别：账单 / 网络 · 电话" in html
    assert "→ 主管" in html and "→ Anna" in html and "→ 团队 Billing" in html
    assert "kind=" not in html and "user:anna" not in html and "team:Billing" not in html
    _en(client)
    html = client.get("/desk/sla-policies").get_data(as_text=True)
    assert "Complaint · VIP customers" in html and "Category: Billing / Network · Phone" in html
    assert "→ supervisors" in html and "level 2 after 30 min" in html


def test_routing_rules_show_conditions_and_skills_in_words(app, api, client, world):
    _name_skills(app)
    r = api.post("/api/v1/routing-rules", who="admin", json={
        "name": "Big bills", "match": {"kind": "complaint", "tier": ["A", "B"], "language": "en",
                                       "keywords": ["refund"]}, "skills": {"billing": 4}, "position": 1})
    assert r.status_code == 201, r.json
    login(client, "boss@test.cc")
    _zh(client)
    html = client.get("/desk/routing-rules").get_data(as_text=True)
    assert "投诉 · A / B 级客户 · 语言：English · 提到：“refund”" in html and "账单 4 级" in html
    assert "billing:4" not in html and "tier=" not in html
    _en(client)
    html = client.get("/desk/routing-rules").get_data(as_text=True)
    assert "Complaint · Tier A / B customers · Language: English" in html and "Billing level 3" not in html
    assert "Billing level 4" in html


def test_the_queue_shows_needs_tiers_and_waits_in_words(app, client, world):
    _name_skills(app)
    with app.app_context():
        ticket_at(world, utcnow() - timedelta(seconds=89), language="zh")
    login(client, "boss@test.cc")
    _zh(client)
    html = client.get("/desk/queue").get_data(as_text=True)
    assert "账单 1 级 · 中文" in html and "billing:1" not in html
    assert re.search(r'data-wait="\d+">1 分 \d+ 秒<', html)
    _en(client)
    html = client.get("/desk/queue").get_data(as_text=True)
    assert "Billing level 1 · 中文" in html and re.search(r'data-wait="\d+">1 min \d+ s<', html)


def test_the_wallboard_says_the_oldest_wait_naturally(app, client, world):
    with app.app_context():
        ticket_at(world, utcnow() - timedelta(seconds=89))
    login(client, "boss@test.cc")
    _zh(client)
    html = client.get("/wallboard").get_data(as_text=True)
    longest = r'data-tile="oldest-wait">\s*<span class="n">{}</span><span>{}</span>'
    assert re.search(longest.format(r"1 分 \d+ 秒", "最长等待"), html) and "秒钟" not in html
    _en(client)
    assert re.search(longest.format(r"1 min \d+ s", "Longest wait"), client.get("/wallboard").get_data(as_text=True))


def test_tier_badges_are_words(app, api, client, world):
    t = api.post("/api/v1/tickets", json={"kind": "inquiry", "channel": "api", "subject": "s", "description": "d",
                                          "customer": {"name": "Wu", "phone": "+86 138 0000 1111"}}).json
    login(client, "boss@test.cc")
    _zh(client)
    html = client.get(f"/desk/customers/{t['customer']['id']}").get_data(as_text=True)
    assert 'data-tier="C">C 级客户</span>' in html and '<option value="VIP" >VIP 客户</option>' in html
    assert 'data-tier="C">C 级客户</span>' in client.get(f"/desk/tickets/{t['id']}").get_data(as_text=True)
    _en(client)
    assert 'data-tier="C">Tier C</span>' in client.get("/desk/").get_data(as_text=True)


def test_the_policy_form_picks_targets_and_pause_statuses_from_lists(app, client, world):
    login(client, "admin@test.cc")
    _zh(client)
    html = client.get("/desk/sla-policies/new").get_data(as_text=True)
    assert '<option selected value="supervisor">主管</option>' in html
    assert '<option value="user:anna@test.cc">Anna · anna@test.cc</option>' in html
    assert '<option value="team:Network">Network</option>' in html
    assert re.search(r'<input checked id="pause_statuses-\d" name="pause_statuses" type="checkbox" '
                     r'value="pending_customer"> <label for="pause_statuses-\d">等待客户回复</label>', html)


def test_what_the_pickers_send_is_stored_as_the_api_stores_it(api, client, world):
    login(client, "admin@test.cc")
    token = csrf_from(client.get("/desk/sla-policies/new").get_data(as_text=True))
    r = client.post("/desk/sla-policies/new", data={
        "csrf_token": token, "name": "Picked", "calendar": "24x7", "first_response": "20", "resolution": "240",
        "warn_at": "75", "position": "1", "active": "y", "level2_after": "10", "level3_after": "20",
        "level3_to": "user:anna@test.cc", "pause_statuses": ["pending_customer", "resolved"]})
    assert r.status_code == 302, r.get_data(as_text=True)
    saved = api.get("/api/v1/sla-policies", who="admin").json["items"][0]
    assert saved["pause_statuses"] == ["pending_customer", "resolved"]
    assert saved["escalation"][1]["reassign_to"] == "user:anna@test.cc"
    page = client.get(f"/desk/sla-policies/{saved['id']}").get_data(as_text=True)
    assert '<option selected value="user:anna@test.cc">' in page
    assert re.search(r'<input checked id="pause_statuses-\d" name="pause_statuses" type="checkbox" value="resolved">', page)


def test_the_demo_set_up_teams_included_is_named_in_both_languages_and_its_days_are_the_calendars():
    from callcenter import demo
    from callcenter.durations import day_length
    from callcenter.sla.calendar import parse_hours

    names = [rule[0] for rule in demo.RULES] + [p[0] for p in demo.SLA_POLICIES] + [demo.OFFICE, *demo.TEAMS]
    assert all(re.search(r"[\u4e00-\u9fff]", n) and re.search(r"[A-Za-z]{3}", n) for n in names), names
    assert day_length({d: parse_hours("09:00-12:00,13:00-18:00") for d in range(5)}) == demo.OFFICE_DAY
    complaints = next(p for p in demo.SLA_POLICIES if p[0].endswith("Complaints"))
    assert complaints[4] == 3 * demo.OFFICE_DAY  # "3 business days", as docs/SLA.md says


def test_the_new_work_notifications_title_is_in_the_pages_words(client, world):
    """console.js puts the reference and subject into base.html's data-new-work-title."""
    login(client, "anna@test.cc")
    for switch, words in ((_zh, "新工单：%(reference)s · %(subject)s"), (_en, "New work: %(reference)s · %(subject)s")):
        switch(client)
        html = client.get("/desk/").get_data(as_text=True)
        assert f'data-new-work-title="{words}"' in html, words
