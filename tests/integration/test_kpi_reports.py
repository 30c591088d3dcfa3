"""The reports page (/reports) and its exports, on one day built by hand through the real actions
at chosen instants. Every expected number is worked out here from the story of each ticket, and
the page, the CSV and the XLSX are checked against GET /api/v1/kpi/summary for the same filters."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from callcenter.actions import assignment
from callcenter.auth.models import User
from callcenter.customers.models import Customer, Tier
from callcenter.extensions import db
from callcenter.followups.models import FollowUp, FollowUpKind, FollowUpStatus, Survey
from callcenter.kpi import exports
from callcenter.tickets.models import Ticket
from tests.factories import actor_of, answered, login, moved, replied, ticket_at
from tests.statements import statements

ZONE = ZoneInfo("Asia/Shanghai")  # DISPLAY_TIMEZONE in the tests
DAY = datetime.now(ZONE).date() - timedelta(days=3)
T = datetime.combine(DAY, time(10), ZONE).astimezone(timezone.utc)  # 10:00 on the desk's clock
PAGE = {"from": DAY.isoformat(), "to": DAY.isoformat()}  # the page's days, both included
API = {"from": datetime.combine(DAY, time(0), ZONE).isoformat(),
       "to": datetime.combine(DAY + timedelta(days=1), time(0), ZONE).isoformat()}  # the same [from, to)
CLOSE = {"resolution_summary": "Refunded", "root_cause": "Wrong tariff"}


def _answer(world, ticket_id, who, after_seconds):
    answered(world, ticket_id, who, T + timedelta(seconds=after_seconds))


def _reply(world, ticket_id, who, after_seconds):
    replied(world, ticket_id, who, T + timedelta(seconds=after_seconds))


@pytest.fixture
def story(app, world):
    """Seven tickets created at T (10:00 local):
    Billing (category billing, channel api)
    1 inquiry, Anna answers after 5 s, resolved after 1 h                          -> first contact
    2 inquiry, Bert answers after 30 s, two replies, resolved at 1 h, reopened at 90 min,
      resolved at 2 h                                                              -> reopened
    3 complaint, Anna answers after 15 s, resolved at 30 min, closed at 40 min (root cause
      "Wrong tariff", department "Billing office")
    4 inquiry, cancelled unanswered after 3 s                                      -> a short abandon
    5 inquiry, cancelled unanswered after 60 s                                     -> an abandon
    Network (category network)
    6 complaint by email, Nina answers after 50 s, resolved at 5 h, closed at 5 h 10 min (root
      cause "Wrong tariff", department "Network ops")
    7 inquiry from a VIP customer (a record of tier VIP, verified), still waiting
    Surveys: 1 answered CSAT 5 / NPS 10, 6 answered CSAT 2 / NPS 3; a callback on 1 reached the customer."""
    with app.app_context():
        t1, t2, t4, t5 = (ticket_at(world, T, kind="inquiry").id for _ in range(4))
        t3 = ticket_at(world, T, kind="complaint").id
        t6 = ticket_at(world, T, kind="complaint", category="network", channel="email").id
        vip = ticket_at(world, T, kind="inquiry", category="network",
                        customer={"name": "王芳", "phone": "+86 139 0000 2222"})
        t7 = vip.id
        db.session.get(Customer, vip.customer_id).tier = Tier.VIP
        db.session.commit()
        _answer(world, t1, "anna", 5)
        moved(world, t1, T + timedelta(hours=1), "resolved", by="anna")
        _answer(world, t2, "bert", 30)
        _reply(world, t2, "bert", 60)
        _reply(world, t2, "bert", 90)
        moved(world, t2, T + timedelta(hours=1), "resolved", by="bert")
        moved(world, t2, T + timedelta(minutes=90), "in_progress", by="bert")
        moved(world, t2, T + timedelta(hours=2), "resolved", by="bert")
        _answer(world, t3, "anna", 15)
        moved(world, t3, T + timedelta(minutes=30), "resolved", by="anna")
        moved(world, t3, T + timedelta(minutes=40), "closed", by="anna",
              resolution={**CLOSE, "responsible_department": "Billing office"})
        moved(world, t4, T + timedelta(seconds=3), "cancelled")
        moved(world, t5, T + timedelta(seconds=60), "cancelled")
        _answer(world, t6, "nina", 50)
        moved(world, t6, T + timedelta(hours=5), "resolved", by="nina")
        moved(world, t6, T + timedelta(hours=5, minutes=10), "closed", by="nina",
              resolution={**CLOSE, "responsible_department": "Network ops"})
        for ticket_id, hours, csat, nps in ((t1, 2, 5, 10), (t6, 6, 2, 3)):  # the survey a resolution sent, or one
            survey = db.session.scalar(select(Survey).where(Survey.ticket_id == ticket_id)) or Survey(
                ticket_id=ticket_id, nonce=f"{ticket_id:032d}", expires_at=T + timedelta(days=7))
            survey.answered_at, survey.csat, survey.nps = T + timedelta(hours=hours), csat, nps
            db.session.add(survey)
        db.session.add_all([  # 1's callback reaches the customer
            FollowUp(kind=FollowUpKind.callback, status=FollowUpStatus.completed, name="刘洋", phone="+86 138 0013 8000",
                     window_start=T, window_end=T + timedelta(hours=4), ticket_id=t1, team_id=world.teams["Billing"],
                     assignee_id=world.id("anna"), closed_at=T + timedelta(hours=3))])
        db.session.commit()
    return {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5, "t6": t6, "t7": t7}


@pytest.fixture
def boss(client, world):
    login(client, "boss@test.cc")
    client.get("/lang/en")
    return client


TILE = re.compile(r'<tr data-figure="(\w+)" data-value="([^"]*)" data-numerator="([^"]*)" data-denominator="([^"]*)"')


def _tiles(html: str) -> dict:
    return {name: (float(v) if v else None, float(n), float(d)) for name, v, n, d in TILE.findall(html)}


def _row(html: str, table: str, key: str, ident) -> dict:
    """{figure: value} of one row of a per-team or per-agent table."""
    body = html.split(f'data-table="{table}"', 1)[1].split("</table>", 1)[0]
    row = body.split(f'data-{key}-id="{ident}"', 1)[1].split("</tr>", 1)[0]
    return {name: (float(v) if v else None) for name, v in re.findall(r'data-figure="(\w+)" data-value="([^"]*)"', row)}


def _summary(api, **filters):
    r = api.get("/api/v1/kpi/summary", query_string={**API, **filters})
    assert r.status_code == 200, r.json
    return r.json


def test_the_page_shows_the_summarys_figures_for_the_same_days(boss, api, story):
    r = boss.get("/reports", query_string=PAGE)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    s = _summary(api)
    tiles = _tiles(html)
    assert set(tiles) == set(s["metrics"])
    for name, (value, numerator, denominator) in tiles.items():
        m = s["metrics"][name]
        assert (value, numerator, denominator) == (m["value"], m["numerator"], m["denominator"]), name
    # worked out from the story: answered 1, 2, 3, 6 (waits 5, 30, 15, 50); within 20 s: 1 and 3;
    # abandoned 4 (short) and 5: 2 / (4 + 1); handle 3595 + 7170 + 1785 + 17950 = 30500 over 4
    assert (s["service_level"], s["asa_seconds"], s["aht_seconds"]) == (0.4, 25.0, 7625.0)
    assert (s["fcr_rate"], s["reopen_rate"], s["backlog"]) == (0.75, 0.25, 1)
    assert (s["csat_avg"], s["nps"], s["callback_success_rate"]) == (3.5, 0.0, 1.0)  # (5 + 2) / 2; 1 - 1 of 2
    assert 'data-figure="backlog" data-value="1"' in html
    assert "<strong>40.0%</strong>" in html and "<strong>75.0%</strong>" in html  # as people read them
    assert "<strong>7625.0" not in html and "<strong>2 h 7 min</strong>" in html  # AHT: 7625 s


def test_the_tables_give_each_team_and_agent_the_summarys_figures_for_them(boss, api, story, world):
    html = boss.get("/reports", query_string=PAGE).get_data(as_text=True)
    anna = _row(html, "agent", "agent", world.id("anna"))
    assert anna == {"answered": 2, "service_level": 1.0, "asa_seconds": 10.0, "resolved": 2, "aht_seconds": 2690.0,
                    "fcr_rate": 1.0, "reopen_rate": 0.0, "csat_avg": 5.0}  # 1 and 3; 1's survey
    bert = _row(html, "agent", "agent", world.id("bert"))
    assert (bert["service_level"], bert["aht_seconds"], bert["fcr_rate"], bert["reopen_rate"]) == (0.0, 7170.0, 0.0, 1.0)
    nobody = _row(html, "agent", "agent", "")  # 4, 5 (abandoned) and 7 (waiting): nobody holds them
    assert (nobody["answered"], nobody["service_level"], nobody["resolved"]) == (0, 0.0, 0)
    for team in ("Billing", "Network"):
        row = _row(html, "team", "team", world.teams[team])
        s = _summary(api, team=team)
        for name in ("service_level", "asa_seconds", "aht_seconds", "fcr_rate", "reopen_rate", "csat_avg"):
            assert row[name] == s[name], (team, name)
        assert (row["answered"], row["resolved"]) == (s["counts"]["answered"], s["counts"]["resolved"])
    for who in ("anna", "bert", "nina"):  # an agent's row is the summary filtered to that agent
        row, s = _row(html, "agent", "agent", world.id(who)), _summary(api, agent=world.id(who))
        names = ("service_level", "asa_seconds", "aht_seconds", "fcr_rate", "reopen_rate", "csat_avg")
        assert [row[n] for n in names] == [s[n] for n in names], who
    assert _row(html, "team", "team", world.teams["Network"])["csat_avg"] == 2.0  # 6's survey
    assert _summary(api, agent=world.id("anna"))["callback_success_rate"] == 1.0  # the callback on her ticket
    assert _summary(api, agent=world.id("nina"))["callback_success_rate"] is None


def test_resolution_times_trends_and_complaints_are_counted_from_the_same_tickets(boss, story):
    html = boss.get("/reports", query_string=PAGE).get_data(as_text=True)
    buckets = dict(re.findall(r'data-bucket="(\w+)">(\d+)<', html))
    # handle seconds: 1 3595 and 3 1785 (under 1 h), 2 7170 (1-4 h), 6 17950 (4-24 h)
    assert buckets == {"lt_1h": "2", "1h_4h": "1", "4h_24h": "1", "1d_3d": "0", "gt_3d": "0"}
    day = html.split(f'data-day="{DAY.isoformat()}"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r"<td>(\d+)</td>", day) == ["4", "2", "4"]  # answered, abandoned, resolved
    assert 'data-figure="service_level" data-value="0.4"' in day
    charts = html.split('<script type="application/json" id="report-charts">', 1)[1].split("</script>", 1)[0]
    import json
    data = json.loads(charts)
    assert data["hourly"]["series"][0]["data"][10] == 7 and sum(data["hourly"]["series"][0]["data"]) == 7  # 10:00 local
    assert data["daily"]["series"][3]["data"] == [40.0]  # the service level line, in percent
    assert data["resolution"]["series"][0]["data"] == [2, 1, 1, 0, 0]
    assert 'data-complaints="2"' in html
    causes = html.split('data-table="root_cause"', 1)[1].split("</table>", 1)[0]
    assert "Wrong tariff" in causes and 'data-value="2"' in causes
    departments = html.split('data-table="department"', 1)[1].split("</table>", 1)[0]
    assert "Billing office" in departments and "Network ops" in departments


@pytest.mark.parametrize("filters, answered, backlog", [
    ({"team": "Network"}, 1, 1),        # 6; 7 waits
    ("anna", 2, 0),                     # 1 and 3: the tickets Anna holds
    ({"category": "network"}, 1, 1),    # 6 and 7
    ({"channel": "email"}, 1, 0),       # 6
    ({"kind": "complaint"}, 2, 0),      # 3 and 6
    ({"tier": "VIP"}, 0, 1),            # 7
    ({"tier": "C"}, 4, 0),              # every other
])
def test_each_filter_narrows_the_tickets_on_the_page_and_in_the_api(boss, api, story, world, filters, answered, backlog):
    if filters == "anna":
        filters = {"agent": world.id("anna")}
    s = _summary(api, **filters)
    assert (s["counts"]["answered"], s["backlog"]) == (answered, backlog)
    assert s["filters"] == {k: v for k, v in filters.items()}
    everyone = _summary(api)
    assert s["counts"]["answered"] < everyone["counts"]["answered"] or s["backlog"] < everyone["backlog"]
    html = boss.get("/reports", query_string={**PAGE, **filters}).get_data(as_text=True)
    tiles = _tiles(html)
    for name, m in s["metrics"].items():
        assert tiles[name] == (m["value"], m["numerator"], m["denominator"]), (filters, name)
    for name, m in s["metrics"].items():  # the per-metric endpoint takes the same filters
        one = api.get(f"/api/v1/kpi/metrics/{name}", query_string={**API, **filters}).json
        assert (one["value"], one["numerator"], one["denominator"]) == (m["value"], m["numerator"], m["denominator"])


def test_a_record_whose_link_is_not_verified_is_served_at_tier_c(app, api, story):
    with app.app_context():
        db.session.get(Ticket, story["t7"]).customer_verified = False
        db.session.commit()
    assert _summary(api, tier="VIP")["backlog"] == 0
    assert _summary(api, tier="C")["backlog"] == 1


@pytest.mark.parametrize("query, field, message", [
    ({"from": "2024-05-10", "to": "2024-05-01"}, "to", "The period must end on or after the day it starts."),
    ({"from": "2024-13-45"}, "from", "Enter a date as YYYY-MM-DD."),
    ({"from": "2023-01-01", "to": "2024-12-31"}, "to", "A report covers at most 366 days."),
    ({"team": "Nowhere"}, "team", "No team with that name."),
    ({"agent": "abc"}, "agent", "Choose an agent from the list."),
    ({"agent": "999999"}, "agent", "Choose an agent from the list."),
    ({"category": "gone"}, "category", "Choose a category from the list."),
    ({"channel": "fax"}, "channel", "Choose a channel from the list."),
    ({"kind": "rant"}, "kind", "Choose a kind from the list."),
    ({"tier": "Z"}, "tier", "Choose a tier from the list."),
])
def test_bad_filters_are_a_message_under_their_field_never_a_500(boss, query, field, message):
    r = boss.get("/reports", query_string=query)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert f'<p class="error" data-error-for="{field}">{message}</p>' in html
    assert "data-form-error" in html and "report-charts" not in html
    assert boss.get("/reports/export.csv", query_string=query).status_code == 400
    kinds = ["tickets"] + ([query["kind"]] if "kind" in query else [])  # the rows wanted, and the ticket kind
    assert boss.get("/reports/export.xlsx", query_string={**query, "kind": kinds}).status_code == 400


def test_the_api_refuses_unknown_filters_naming_the_field(api, story):
    for query, name in (({"agent": 999999}, "agent"), ({"category": "gone"}, "category"), ({"channel": "fax"}, "channel"),
                        ({"kind": "rant"}, "kind"), ({"tier": "Z"}, "tier"), ({"agent": "abc"}, "agent")):
        r = api.get("/api/v1/kpi/summary", query_string={**API, **query})
        assert r.status_code == 422 and name in r.json["error"]["details"]["fields"], (query, r.json)


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def _number(text):
    return None if text in ("", None) else float(text)


@pytest.mark.parametrize("filters", [{}, {"team": "Billing", "kind": "inquiry"}, "bert"])
def test_the_csv_and_xlsx_figures_are_the_summarys(boss, api, story, world, filters):
    if filters == "bert":
        filters = {"agent": world.id("bert")}
    s = _summary(api, **filters)
    rows = _csv(boss.get("/reports/export.csv", query_string={**PAGE, **filters, "kind": ["figures"] + (
        [filters["kind"]] if "kind" in filters else [])}))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Figure", "Name", "Value", "Numerator", "Denominator"]
    by_name = {r[0]: r for r in body}
    assert set(by_name) == set(s["metrics"]) | {"backlog"} | {f"sla_compliance:{c}" for c in s["sla_compliance"]}
    for name, m in s["metrics"].items():
        assert [_number(x) for x in by_name[name][2:5]] == [m["value"], m["numerator"], m["denominator"]], name
    for clock, m in s["sla_compliance"].items():
        assert [_number(x) for x in by_name[f"sla_compliance:{clock}"][2:5]] == [m["value"], m["numerator"],
                                                                              m["denominator"]], clock
    assert _number(by_name["backlog"][2]) == s["backlog"]
    assert by_name["service_level"][5] == f"{DAY.isoformat()} 00:00:00+08:00"
    assert by_name["service_level"][6] == f"{(DAY + timedelta(days=1)).isoformat()} 00:00:00+08:00"
    for key, value in filters.items():
        assert f"{key}=" in by_name["service_level"][7]
        assert str(value) in by_name["service_level"][7]

    r = boss.get("/reports/export.xlsx", query_string={**PAGE, **filters})  # kind=figures is the default
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(r.get_data()), read_only=True).active
    xrows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert xrows[0][:5] == header[:5]
    xby = {r[0]: r for r in xrows[1:]}
    for name, m in s["metrics"].items():
        assert list(xby[name][2:5]) == [m["value"], m["numerator"], m["denominator"]], name
    assert xby["backlog"][2] == s["backlog"]


def test_the_tickets_export_has_one_row_per_ticket_counted_and_runs_no_formula(app, boss, story, world):
    with app.app_context():
        db.session.get(User, world.id("anna")).name = '=HYPERLINK("http://evil.example","Anna")'
        db.session.commit()
    r = boss.get("/reports/export.csv", query_string={**PAGE, "kind": "tickets"})
    assert r.is_streamed
    rows = _csv(r)
    assert rows[0] == ["Reference", "Created (Asia/Shanghai)", "Answered (Asia/Shanghai)", "Wait (s)",
                       "Resolved (Asia/Shanghai)", "Handle time (s)", "Status", "Team", "Agent", "Category",
                       "Channel", "Kind"]
    assert len(rows) == 1 + 7  # all seven were created that day
    with app.app_context():
        t1 = db.session.get(Ticket, story["t1"])
        reference = t1.reference
    first = next(row for row in rows if row[0] == reference)
    assert first[1] == f"{DAY.isoformat()} 10:00:00+08:00" and first[3] == "5" and first[5] == "3595"
    assert first[6:] == ["Resolved", "Billing", "'" + '=HYPERLINK("http://evil.example","Anna")', "billing", "API",
                         "Inquiry"]  # the apostrophe: the spreadsheet shows the text, runs nothing
    complaints = _csv(boss.get("/reports/export.csv", query_string={**PAGE, "kind": ["tickets", "complaint"]}))
    assert len(complaints) == 1 + 2 and {row[11] for row in complaints[1:]} == {"Complaint"}  # in words

    x = boss.get("/reports/export.xlsx", query_string={**PAGE, "kind": "tickets"})
    sheet = load_workbook(io.BytesIO(x.get_data())).active
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    agent = cells[reference][8]
    assert agent.value == '=HYPERLINK("http://evil.example","Anna")' and agent.data_type == "s"  # text, not a formula
    assert cells[reference][1].value == datetime.combine(DAY, time(10))  # the desk's wall clock


def test_csv_cells_that_start_like_a_formula_get_an_apostrophe():
    assert [exports.guard(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "plain", -1, 2.5, None)] == \
        ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "plain", -1, 2.5, None]


def test_the_tickets_export_is_a_generator_read_in_batches(app, world, story):
    from callcenter.kpi.summary import Filters, Scope

    with app.app_context():
        stmt = exports.counted_tickets(actor_of(world, "boss"), Scope(Filters()), *map(datetime.fromisoformat,
                                                                                       API.values()))
        rows = exports.ticket_rows(stmt, "Asia/Shanghai")
        assert iter(rows) is rows  # nothing read until asked for
        assert stmt.get_execution_options() == {} and len(list(rows)) == 1 + 7
        assert exports.BATCH == 1000


def test_agents_are_refused_the_reports_and_their_exports(client, world):
    assert client.get("/reports").status_code == 302  # signed out: the sign-in page
    login(client, "anna@test.cc")
    for path in ("/reports", "/reports/export.csv", "/reports/export.xlsx?kind=tickets"):
        assert client.get(path).status_code == 403, path


def test_admins_may_read_the_reports(client, world):
    login(client, "admin@test.cc")
    assert client.get("/reports").status_code == 200


def test_the_page_keeps_the_csp_no_inline_script_or_style(boss, story):
    html = boss.get("/reports", query_string=PAGE).get_data(as_text=True)
    scripts = re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html)
    assert scripts == ['<script type="application/json" id="report-charts">']  # data, never run
    assert not re.search(r"\sstyle\s*=", html) and not re.search(r"\son[a-z]+\s*=", html)
    assert 'href="/reports"' in html  # the staff nav links it


def test_the_export_links_carry_the_filters(boss, story, world):
    html = boss.get("/reports", query_string={**PAGE, "kind": "complaint", "team": "Billing"}).get_data(as_text=True)
    link = re.search(r'href="([^"]+)" data-export="tickets-csv"', html).group(1).replace("&amp;", "&")
    assert link.startswith("/reports/export.csv?") and "kind=tickets" in link and "kind=complaint" in link
    rows = _csv(boss.get(link))
    assert len(rows) == 1 + 1  # 3: the Billing complaint


def test_the_page_runs_a_fixed_number_of_statements_however_many_tickets(app, boss, story, world):
    boss.get("/reports", query_string=PAGE)
    with statements(app) as seen:
        assert boss.get("/reports", query_string=PAGE).status_code == 200
    with app.app_context():
        for n in range(20):
            tid = ticket_at(world, T + timedelta(minutes=17 * n), kind="inquiry",
                            category=("billing", "network", "other")[n % 3]).id
            assignment.assign(tid, world.id(("anna", "bert", "nina")[n % 3]), actor_of(world, "boss"), override=True,
                              now=T + timedelta(minutes=17 * n, seconds=n))
    with statements(app) as more:
        assert boss.get("/reports", query_string=PAGE).status_code == 200
    with statements(app) as filtered:
        assert boss.get("/reports", query_string={**PAGE, "agent": world.id("anna"), "category": "billing"}).status_code == 200
    assert len(more) == len(seen) == len(filtered), "\n".join(more)
    # 29 before the answered and the abandoned were read apart (each an index-only scan on
    # PostgreSQL, migration 0017): one more for the summary, the teams, the agents and the days
    assert len(seen) <= 33, "\n".join(seen)


def test_the_quarter_hours_are_grouped_by_the_same_expression_they_select_on_postgresql(app):
    from sqlalchemy.dialects import postgresql

    from callcenter.kpi import reports, summary

    by = reports.quarter_hour(summary.first_wait_ended(), "postgresql")
    expression = str(by.compile(dialect=postgresql.dialect()))
    sql = str(select(by, summary.count_if(Ticket.id > 1)).group_by(by).compile(dialect=postgresql.dialect()))
    assert "%(" not in expression  # no bound parameter, which would be a different one in each place
    assert sql.startswith(f"SELECT {expression} AS ") and sql.endswith(f"GROUP BY {expression}")


def test_the_default_period_is_the_30_days_that_end_today(boss, story):
    html = boss.get("/reports").get_data(as_text=True)
    today = datetime.now(ZONE).date()
    assert f'data-day="{(today - timedelta(days=29)).isoformat()}"' in html and f'data-day="{today.isoformat()}"' in html
    assert html.count("<tr data-day=") == 30
    assert _tiles(html)["service_level"][0] == 0.4  # the story's day is in it
    assert date.fromisoformat(DAY.isoformat()) >= today - timedelta(days=29)


def test_a_name_with_a_control_character_does_not_break_the_xlsx_export(app, boss, world):
    from openpyxl import load_workbook as load

    from callcenter.kpi.exports import xlsx_file

    book = load(xlsx_file([["name"], ["Bad\x01name"], ["=1+1"]], "t"), read_only=True)
    assert [r[0] for r in book.active.iter_rows(values_only=True)] == ["name", "Bad?name", "=1+1"]


COMPLIANCE_ROW = re.compile(r'<tr data-clock="(\w+)" data-value="([^"]*)"><td>([^<]*)</td>\s*'
                            r'<td><strong>([^<]*)</strong></td>\s*<td class="muted">([^<]*)</td></tr>')


def _compliance_table(html: str) -> dict:
    """{clock: (data-value, label, the share shown, 'met of decided')} of the per-clock table."""
    table = html.split('data-table="sla-compliance"', 1)[1].split("</table>", 1)[0]
    return {clock: (value, label, shown, made_of) for clock, value, label, shown, made_of in COMPLIANCE_ROW.findall(table)}


def test_sla_compliance_counts_each_clocks_met_and_breached_outcomes_decided_in_the_period(app, api, boss, world):
    """Next response, complaint final response and promise clocks, each met in time or breached
    (by a late stop or by the sweep a worker runs), on the report page and in the summary."""
    from callcenter.actions import sla, tickets
    from tests.factories import ticket_body

    r = api.post("/api/v1/sla-policies", who="admin", json={
        "name": "every clock", "match": {}, "calendar": "24x7", "warn_at": [], "escalation": [],
        "targets": {"first_response_seconds": 600, "next_response_seconds": 300, "resolution_seconds": 30 * 86400,
                    "final_response_seconds": 2 * 3600}})
    assert r.status_code == 201, r.json
    hour = 3600

    def at(seconds):
        return T + timedelta(seconds=seconds)

    with app.app_context():
        boss_actor = actor_of(world, "boss")

        def linked_inquiry():
            """An inquiry whose customer answers through their status link."""
            t, _created = tickets.create_ticket(ticket_body(kind="inquiry"), boss_actor, with_status_link=True, now=T)
            return t.id, t.status_token

        (n1, link1), (n2, link2), (n3, link3), (n4, _link4) = (linked_inquiry() for _ in range(4))
        c1, c2 = (ticket_at(world, T, kind="complaint").id for _ in range(2))
        for t in (n1, n2, n3, n4, c1):
            _reply(world, t, "boss", 60)  # first response met
        _reply(world, c2, "boss", 700)  # first response 100 s late: breached
        promise = {t: tickets.add_promise(t, "Call back", at(due), boss_actor, now=at(30 * 60)).id
                   for t, due in ((n1, 4 * hour), (n2, 5 * hour), (n3, 3 * hour), (n4, 24 * hour))}
        for link in (link1, link2):
            tickets.customer_reply(link, "One more question", now=at(hour))  # next response due in 300 s
        moved(world, c1, at(hour), "resolved")  # final response due at 2 h: met
        _reply(world, n1, "boss", hour + 120)  # next response met
        _reply(world, n2, "boss", hour + 400)  # next response stopped late: breached at 1 h + 300 s
        tickets.customer_reply(link3, "Still waiting", now=at(2 * hour))  # nobody answers it
        moved(world, c2, at(2 * hour + 200), "resolved")  # final response stopped late: breached at 2 h
        sla.sweep(now=at(2 * hour + 301))  # the worker finds n3's next response over: breached at 2 h + 300 s
        tickets.settle_promise(n1, promise[n1], "kept", boss_actor, now=at(3 * hour))  # kept an hour early: met
        tickets.settle_promise(n3, promise[n3], "kept", boss_actor, now=at(3 * hour + 600))  # 10 min late: breached
        sla.sweep(now=at(5 * hour + 1))  # n2's promise broken: breached at 5 h
        tickets.settle_promise(n4, promise[n4], "kept", boss_actor, now=at(23 * hour))  # met at 09:00 the next day

    # decided on the day (10:00 to 15:00 local), met in time / decided:
    # first response  n1-n4 and c1 met, c2 breached                       5 / 6
    # next response   n1 met, n2 (late reply) and n3 (swept) breached      1 / 3
    # resolution      c1 and c2 resolved within 30 days; the inquiries run 2 / 2
    # final response  c1 met, c2 (resolved 200 s late) breached            1 / 2  (complaints only)
    # promises        n1's met, n3's (kept late) and n2's (broken) breached 1 / 3; n4's is met the next day
    expected = {"first_response": (0.8333, 5, 6), "next_response": (0.3333, 1, 3), "resolution": (1.0, 2, 2),
                "final_response": (0.5, 1, 2), "promise": (0.3333, 1, 3)}
    s = _summary(api)
    assert {name: (m["value"], m["numerator"], m["denominator"]) for name, m in s["sla_compliance"].items()} == expected
    # every clock together: 16 decided, 1 + 2 + 0 + 1 + 2 = 6 breached
    assert (s["counts"]["sla_clocks_decided"], s["counts"]["sla_clocks_breached"]) == (16, 6)
    one = api.get("/api/v1/kpi/metrics/sla_breach_rate", query_string=API).json
    assert (one["value"], one["numerator"], one["denominator"]) == (0.375, 6, 16)

    table = _compliance_table(boss.get("/reports", query_string=PAGE).get_data(as_text=True))
    assert table == {
        "first_response": ("0.8333", "First response", "83.3%", "5 of 6"),
        "next_response": ("0.3333", "Next response", "33.3%", "1 of 3"),
        "resolution": ("1.0", "Resolution", "100.0%", "2 of 2"),
        "final_response": ("0.5", "Complaint final response", "50.0%", "1 of 2"),
        "promise": ("0.3333", "Promises", "33.3%", "1 of 3")}

    # The next day holds n4's promise alone, met; every other clock there is undecided.
    next_day = (DAY + timedelta(days=1)).isoformat()
    table = _compliance_table(boss.get("/reports", query_string={"from": next_day, "to": next_day}).get_data(as_text=True))
    assert table["promise"] == ("1.0", "Promises", "100.0%", "1 of 1")
    assert table["next_response"] == ("", "Next response", "—", "0 of 0")
    assert _summary(api, team="Network")["sla_compliance"]["next_response"]["denominator"] == 0  # all are Billing's
