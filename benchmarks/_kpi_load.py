"""The data of benchmarks/kpi.py: a desk's half year, written with COPY (psycopg 3).

Every row is made here, in Python, with the facts consistent the way the actions write them
(docs/KPIS.md): a ticket's answer is its first 'assigned' event, its queue wait and handle
seconds are the rounded seconds between its instants, its two SLA clocks (first response and
resolution, 24x7) carry a history the clock code reads back to the stored state, with
decided_at at the stop (met) or at the breach instant (breached), and each warning or breach a
clock crossed is an sla_fired row. Surveys go to about a fifth of the resolved tickets, callbacks
to about one ticket in twenty. Times are spread over DAYS days with a day-time peak in the
desk's time zone; everything happened before `now`.
"""
from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

N = "\\N"  # NULL in COPY's text format
TEAMS = ("Billing", "Network", "Devices", "Accounts", "Orders", "Complaints", "Business", "Roaming")
TEAM_WEIGHTS = (22, 18, 14, 12, 12, 8, 8, 6)
AGENTS_PER_TEAM = 25
CATEGORIES_PER_TEAM = 3
PASSWORD = "bench-kpi-pass-1"
SUPERVISOR_EMAIL = "boss@bench.kpi"
# Targets by priority (seconds, 24x7): first response, resolution.
TARGETS = {"P1": (900, 8 * 3600), "P2": (1800, 24 * 3600), "P3": (3600, 72 * 3600), "P4": (2 * 3600, 120 * 3600)}
PRIORITY_POLICY = {"P1": 1, "P2": 2, "P3": 3, "P4": 4}
WARN_AT = (0.75, 0.9)
LEVELS = ((0.75, "warning:0.75"), (0.9, "warning:0.9"), (1.0, "breach"))
# Calls peak in the day, where the desk is (hour 0..23, relative weights).
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 8, 14, 18, 20, 19, 16, 17, 19, 18, 16, 13, 10, 8, 6, 4, 3, 2)
AUTO_CLOSE_DAYS = 7
BIG_TABLES = ("tickets", "sla_clocks", "sla_fired", "ticket_events", "surveys", "followups", "customers")


@dataclass
class Loaded:
    """What was loaded, for the report and the checks."""
    rows: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    open_tickets: int = 0
    waiting: int = 0
    team_names: tuple = TEAMS
    supervisor_email: str = SUPERVISOR_EMAIL
    password: str = PASSWORD


class Stamp:
    """Epoch seconds to an ISO instant in UTC, fast (the date part cached per day)."""

    def __init__(self):
        self.days: dict[int, str] = {}

    def __call__(self, t: float) -> str:
        day, rest = divmod(t, 86400.0)
        day = int(day)
        prefix = self.days.get(day)
        if prefix is None:
            prefix = self.days[day] = datetime.fromtimestamp(day * 86400, timezone.utc).strftime("%Y-%m-%dT")
        us = int(rest * 1_000_000)
        s, us = divmod(us, 1_000_000)
        h, s = divmod(s, 3600)
        m, s = divmod(s, 60)
        return f"{prefix}{h:02d}:{m:02d}:{s:02d}.{us:06d}+00:00"


def _lognormal(rnd: random.Random, median: float, sigma: float, cap: float) -> float:
    return min(cap, median * rnd.lognormvariate(0.0, sigma))


def clock_outcome(segments, running_since, stopped, target, now):
    """The clock as sla/clock.py reads its history (24x7, so business time is wall time):
    (state, due_at, decided_at, next_check_at, crossings {level: instant})."""
    used = 0.0
    crossings = {}
    spans = list(segments) + ([(running_since, now)] if running_since is not None else [])
    for a, b in spans:
        length = b - a
        for fraction, level in LEVELS:
            limit = fraction * target
            if level not in crossings and used + length >= limit:
                crossings[level] = a + (limit - used)
        used += length
    used_before = used - (now - running_since if running_since is not None else 0.0)
    if stopped:
        state = "met" if used <= target else "breached"
    elif used >= target:
        state = "breached"
    elif running_since is None:
        state = "paused"
    elif used >= WARN_AT[0] * target:
        state = "warning"
    else:
        state = "running"
    due = running_since + (target - used_before) if running_since is not None else None
    decided = (segments[-1][1] if state == "met" else crossings["breach"] if state == "breached" else None)
    next_check = None
    if running_since is not None:
        pending = [running_since + fraction * target - used_before for fraction, level in LEVELS
                   if level not in crossings]
        next_check = min(pending) if pending else None
    return state, due, decided, next_check, crossings


SEVERITY = {"met": 0, "paused": 1, "running": 2, "warning": 3, "breached": 4}


class Copier:
    """COPY ... FROM STDIN in text format, one buffered write per chunk."""

    def __init__(self, conn):
        self.conn = conn
        self.rows: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    def copy(self, table: str, columns: str, lines: list[str]) -> None:
        if not lines:
            return
        t0 = time.perf_counter()
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            copy.write("".join(lines))
        self.rows[table] = self.rows.get(table, 0) + len(lines)
        self.seconds[table] = self.seconds.get(table, 0.0) + time.perf_counter() - t0


TICKET_COLUMNS = ("id, reference, kind, channel, status, priority, category_code, subject, description, language, "
                  "required_skills, customer_id, contact_name, contact_phone, contact_phone_norm, assignee_id, team_id, "
                  "reopen_count, waiting_since, queued_at, created_at, updated_at, assigned_at, first_response_at, "
                  "resolved_at, closed_at, cancelled_at, answered_at, queue_wait_seconds, handle_seconds, "
                  "agent_replies, first_response_due_at, resolution_due_at, sla_state")
CLOCK_COLUMNS = ("id, ticket_id, name, policy_id, calendar, target_seconds, warn_at, history, state, due_at, "
                 "next_check_at, cycle, updated_at, decided_at")
FIRED_COLUMNS = "id, ticket_id, clock_id, level, cycle, fired_at, due_at, carried_over"
EVENT_COLUMNS = "id, ticket_id, kind, actor_kind, actor_user_id, actor_name, field, before, after, data, created_at"
SURVEY_COLUMNS = "id, ticket_id, customer_id, nonce, created_at, expires_at, reminded_at, answered_at, csat, nps"
FOLLOWUP_COLUMNS = ("id, kind, status, ticket_id, customer_id, name, phone, phone_norm, language, window_start, "
                    "window_end, next_attempt_at, attempts_made, priority, tier, required_skills, team_id, declined_by, "
                    "assignee_id, assigned_at, round, outcome, requested_by, created_at, closed_at")


def people_and_setup(db, now: datetime) -> dict:
    """Teams, categories, SLA policies, 200 agents, a supervisor per team and the bench's supervisor."""
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from callcenter.auth.models import Team, User, user_teams
    from callcenter.sla.models import SlaPolicy
    from callcenter.tickets.models import Category

    rnd = random.Random(7)
    db.session.execute(insert(Team), [{"id": i + 1, "name": name, "description": f"{name} desk"}
                                      for i, name in enumerate(TEAMS)])
    categories = {}
    rows = []
    for t, name in enumerate(TEAMS):
        codes = [f"{name.lower()}-{k}" for k in range(CATEGORIES_PER_TEAM)]
        categories[t + 1] = codes
        rows += [{"code": code, "name_en": f"{name} {k}", "name_zh": f"{name} {k}", "team_id": t + 1,
                  "required_skills": {}, "active": True, "position": t * 10 + k} for k, code in enumerate(codes)]
    db.session.execute(insert(Category), rows)
    db.session.execute(insert(SlaPolicy), [{
        "id": PRIORITY_POLICY[p], "name": f"Standard {p}", "match": {"priority": [p]}, "calendar": "24x7",
        "targets": {"first_response_seconds": fr, "resolution_seconds": res}, "warn_at": list(WARN_AT),
        "escalation": [], "pause_statuses": ["pending_customer"], "position": PRIORITY_POLICY[p], "active": True,
        "created_at": now - timedelta(days=400)} for p, (fr, res) in TARGETS.items()])
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    users, members, agents = [], [], {}
    created = now - timedelta(days=400)

    def person(uid, email, name, role, presence, capacity):
        users.append({"id": uid, "email": email, "name": name, "role": role, "password_hash": hashed, "active": True,
                      "capacity": capacity, "languages": ["zh", "en"], "presence": presence,
                      "presence_changed_at": now - timedelta(minutes=rnd.randint(1, 600)), "created_at": created})

    person(1, SUPERVISOR_EMAIL, "Bench Supervisor", "supervisor", "available", 5)
    uid = 2
    for t in range(1, len(TEAMS) + 1):
        person(uid, f"sup{t}@bench.kpi", f"Supervisor {t}", "supervisor", "available", 5)
        members.append({"user_id": uid, "team_id": t})
        uid += 1
        agents[t] = []
        for _ in range(AGENTS_PER_TEAM):
            presence = rnd.choices(("available", "away", "offline"), (60, 15, 25))[0]
            person(uid, f"agent{uid}@bench.kpi", f"Agent {uid}", "agent", presence, rnd.choice((8, 10, 12, 15)))
            members.append({"user_id": uid, "team_id": t})
            agents[t].append(uid)
            uid += 1
    db.session.execute(insert(User), users)
    db.session.execute(insert(user_teams), members)
    db.session.commit()
    return {"categories": categories, "agents": agents}


def reset_sequences(conn) -> None:
    tables = ("teams", "users", "sla_policies") + BIG_TABLES
    with conn.cursor() as cur:
        for table in tables:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST(1, (SELECT max(id) FROM {table})))")


def secondary_indexes(conn) -> list[tuple[str, str]]:
    """The big tables' indexes that no constraint owns (name, CREATE statement): dropped for the
    COPY and built again after it, as pg_restore does."""
    with conn.cursor() as cur:
        cur.execute("""SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
                       JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                       WHERE t.relname = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
                       ORDER BY t.relname, i.relname""", (list(BIG_TABLES),))
        return cur.fetchall()


def load(db, tickets: int, days: int, now: datetime, tz: str, seed: int = 20261202, vacuum: bool = True,
         progress=print) -> Loaded:
    """Everything, into the schema the migrations built (`db` is Flask-SQLAlchemy's), then
    VACUUM (ANALYZE), as autovacuum would leave rows that no longer change (their pages marked
    all-visible, so an index can answer alone), or ANALYZE only."""
    started = time.perf_counter()
    setup = people_and_setup(db, now)
    raw = db.engine.raw_connection()
    conn = raw.driver_connection  # psycopg 3
    conn.autocommit = False
    out = Loaded()
    try:
        indexes = secondary_indexes(conn)
        with conn.cursor() as cur:
            cur.execute("SET session_replication_role = replica")  # foreign keys unchecked: the rows are made consistent here
            for name, _ in indexes:
                cur.execute(f'DROP INDEX "{name}"')
        copier = Copier(conn)
        _generate(copier, setup, tickets, days, now, tz, seed, out, progress)
        t0 = time.perf_counter()
        with conn.cursor() as cur:
            cur.execute("SET maintenance_work_mem = '1GB'")
            cur.execute("SET max_parallel_maintenance_workers = 2")
            for _, ddl in indexes:
                cur.execute(ddl)
            cur.execute("SET session_replication_role = origin")
        reset_sequences(conn)
        conn.commit()
        out.seconds["indexes"] = time.perf_counter() - t0
        conn.autocommit = True
        t0 = time.perf_counter()
        with conn.cursor() as cur:
            cur.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")
        out.seconds["analyze"] = time.perf_counter() - t0
    finally:
        conn.rollback()
        conn.autocommit = False  # back to the pool as the app's sessions expect it (transactions, SET LOCAL)
        raw.close()
    out.rows.update(copier.rows)
    out.seconds["copy"] = sum(copier.seconds.values())
    out.seconds["total"] = time.perf_counter() - started
    return out


def _creation_times(rnd: random.Random, n: int, days: int, now: float, tz: str) -> list[float]:
    zone = ZoneInfo(tz)
    today = datetime.fromtimestamp(now, zone).date()
    midnights = [datetime.combine(today - timedelta(days=d), datetime.min.time(), zone).timestamp()
                 for d in range(days + 1)]
    cum, total = [], 0
    for w in HOUR_WEIGHTS:
        total += w
        cum.append(total)
    hours = rnd.choices(range(24), cum_weights=cum, k=2 * n)
    out = []
    i = 0
    start = now - days * 86400
    while len(out) < n:
        if i >= len(hours):
            hours = rnd.choices(range(24), cum_weights=cum, k=n)
            i = 0
        t = midnights[rnd.randrange(days + 1)] + hours[i] * 3600 + rnd.random() * 3600
        i += 1
        if start <= t < now:
            out.append(t)
    out.sort()
    return out


def _generate(copier: Copier, setup: dict, n: int, days: int, now_dt: datetime, tz: str, seed: int, out: Loaded,
              progress) -> None:
    rnd = random.Random(seed)
    now = now_dt.timestamp()
    iso = Stamp()
    agents = setup["agents"]
    categories = setup["categories"]
    team_ids = list(range(1, len(TEAMS) + 1))
    customers = max(1, n // 4)
    t0 = time.perf_counter()
    lines = [f"{c}\tCustomer {c}\t+86 139 {c:08d}\t86139{c:08d}\t{rnd.choices('ABCV', (10, 20, 65, 5))[0].replace('V', 'VIP')}"
             f"\tzh\t{iso(now - 400 * 86400 + c)}\n" for c in range(1, customers + 1)]
    copier.copy("customers", "id, name, phone, phone_norm, tier, language, created_at", lines)
    progress(f"  customers: {customers:,} in {time.perf_counter() - t0:.1f} s")
    created = _creation_times(rnd, n, days, now, tz)
    chunk = 50_000
    clock_id = fired_id = event_id = survey_id = followup_id = 0
    t_start = time.perf_counter()
    random_ = rnd.random
    expo = rnd.expovariate
    choices = rnd.choices
    team_cum = [sum(TEAM_WEIGHTS[:k + 1]) for k in range(len(TEAM_WEIGHTS))]
    for base in range(0, n, chunk):
        tickets, clocks, fired, events, surveys, followups = [], [], [], [], [], []
        for tid in range(base + 1, min(n, base + chunk) + 1):
            c_at = created[tid - 1]
            team = choices(team_ids, cum_weights=team_cum)[0]
            category = categories[team][int(random_() * CATEGORIES_PER_TEAM)]
            r = random_()
            kind = "complaint" if r < 0.15 else "service_request" if r < 0.55 else "inquiry"
            r = random_()
            channel = "phone" if r < 0.40 else "web" if r < 0.70 else "email" if r < 0.90 else "api"
            r = random_()
            priority = "P1" if r < 0.05 else "P2" if r < 0.25 else "P3" if r < 0.80 else "P4"
            customer = 1 + int(random_() * customers)
            phone = channel == "phone"
            # The first wait: seconds while agents have room, a minute or more in a busy hour.
            wait = expo(1 / 8) if random_() < 0.8 else _lognormal(rnd, 90, 1.5, 12 * 3600)
            abandons = random_() < (0.06 if phone else 0.02)
            status = None
            assignee = answered = assigned = first_response = resolved = closed = cancelled = None
            queue_wait = handle = None
            replies = reopen_count = 0
            waiting_since = queued_at = None
            pause_at = reopen_at = first_resolution = None
            if abandons:
                gone = expo(1 / 40)
                if c_at + gone < now:
                    status, cancelled, queue_wait = "cancelled", c_at + gone, round(gone)
            elif c_at + wait < now:
                answered = assigned = c_at + wait
                queue_wait = round(wait)
                assignee = agents[team][int(random_() * AGENTS_PER_TEAM)]
                if phone:
                    r = random_()
                    replies = 0 if r < 0.6 else 1 if r < 0.9 else 2
                    work = _lognormal(rnd, 360, 1.0, 3 * 86400) if replies == 0 else _lognormal(rnd, 5 * 3600, 1.5, 20 * 86400)
                else:
                    r = random_()
                    replies = 1 if r < 0.45 else 2 if r < 0.75 else 3 if r < 0.9 else 4 + int(random_() * 4)
                    work = _lognormal(rnd, 5 * 3600, 1.5, 20 * 86400)
                if replies:
                    first_response = answered + min(work * 0.5, _lognormal(rnd, 900, 1.3, 3 * 86400))
                end = answered + work
                r = random_()
                if r < 0.01:  # cancelled after an agent took it: answered, not an abandon
                    if end < now:
                        status, cancelled = "cancelled", end
                elif r < 0.08:  # reopened once (or twice), resolved again later
                    reopen_count = 2 if r < 0.02 else 1
                    first_resolution = end
                    reopen_at = end + _lognormal(rnd, 86400, 0.8, 10 * 86400)
                    final = reopen_at + _lognormal(rnd, 6 * 3600, 1.2, 10 * 86400)
                    if now < reopen_at:
                        reopen_count, reopen_at, final = 0, None, None
                        resolved = first_resolution
                    elif now < final:
                        status = "in_progress"
                        replies = max(replies, 1)
                    else:
                        resolved = final
                elif end < now:
                    resolved = end
                if status is None and resolved is not None:
                    handle = round(resolved - answered)
                    if resolved < now - AUTO_CLOSE_DAYS * 86400:
                        status, closed = "closed", resolved + AUTO_CLOSE_DAYS * 86400
                    else:
                        status = "resolved"
                elif status is None:  # still being worked on
                    r = random_()
                    status = "assigned" if r < 0.25 else "in_progress" if r < 0.7 else "pending_customer"
                    if first_response is not None and first_response >= now:
                        first_response, replies = None, 0  # the first reply is still to come
                    if status == "pending_customer":  # waiting on the customer: an agent has written
                        replies = max(replies, 1)
                        if first_response is None:
                            first_response = answered + (now - answered) * random_() * 0.5
                        pause_at = first_response + (now - first_response) * random_()
            if status is None:  # nobody has taken it yet
                status = "new"
                waiting_since = queued_at = c_at
            # The SLA clocks (on_status stops them when the ticket is done, a reply stops the first response).
            fr_target, res_target = TARGETS[priority]
            done_at = cancelled if cancelled is not None else (first_resolution or resolved)
            fr_stop = first_response if first_response is not None and (done_at is None or first_response < done_at) else done_at
            if fr_stop is not None and fr_stop > now:
                fr_stop = None
            fr_hist = [[iso(c_at), "start"]]
            if fr_stop is not None:
                fr_hist.append([iso(fr_stop), "stop"])
                fr = clock_outcome([(c_at, fr_stop)], None, True, fr_target, now)
            else:
                fr = clock_outcome([], c_at, False, fr_target, now)
            res_hist = [[iso(c_at), "start"]]
            cycle = 1
            if reopen_at is not None:
                res_hist += [[iso(first_resolution), "stop"], [iso(reopen_at), "start"]]
                cycle = 2
                if resolved is not None:
                    res_hist.append([iso(resolved), "stop"])
                    res = clock_outcome([(c_at, first_resolution), (reopen_at, resolved)], None, True, res_target, now)
                else:
                    res = clock_outcome([(c_at, first_resolution)], reopen_at, False, res_target, now)
            elif done_at is not None:
                res_hist.append([iso(done_at), "stop"])
                res = clock_outcome([(c_at, done_at)], None, True, res_target, now)
            elif pause_at is not None:
                res_hist.append([iso(pause_at), "pause"])
                res = clock_outcome([(c_at, pause_at)], None, False, res_target, now)
            else:
                res = clock_outcome([], c_at, False, res_target, now)
            is_open = status in ("new", "assigned", "in_progress", "pending_customer")
            live = [c[0] for c, stopped in ((fr, fr_stop is not None), (res, done_at is not None and reopen_at is None
                                                                          or resolved is not None)) if not stopped]
            sla_state = max(live if is_open and live else [fr[0], res[0]], key=SEVERITY.__getitem__)
            if is_open:
                out.open_tickets += 1
                out.waiting += status == "new"
            updated = max(t for t in (c_at, answered, first_response, resolved, closed, cancelled, pause_at, reopen_at)
                          if t is not None)
            ref = f"CC-{datetime.fromtimestamp(c_at, timezone.utc).year}-{tid:07d}"
            tickets.append("\t".join((
                str(tid), ref, kind, channel, status, priority, category, f"Bench ticket {tid}", "bench", "zh", "{}",
                str(customer), f"Customer {customer}", f"+86 139 {customer:08d}", f"86139{customer:08d}",
                str(assignee) if assignee else N, str(team), str(reopen_count),
                iso(waiting_since) if waiting_since else N, iso(queued_at) if queued_at else N, iso(c_at), iso(updated),
                iso(assigned) if assigned else N, iso(first_response) if first_response and first_response < now else N,
                iso(resolved) if resolved else N, iso(closed) if closed and closed < now else N,
                iso(cancelled) if cancelled else N, iso(answered) if answered else N,
                str(queue_wait) if queue_wait is not None else N, str(handle) if handle is not None else N,
                str(replies), iso(fr[1]) if fr[1] else N, iso(res[1]) if res[1] else N, sla_state)) + "\n")
            for name, (state, due, decided, next_check, crossings), hist, cyc, target in (
                    ("first_response", fr, fr_hist, 1, fr_target), ("resolution", res, res_hist, cycle, res_target)):
                clock_id += 1
                clocks.append("\t".join((
                    str(clock_id), str(tid), name, str(PRIORITY_POLICY[priority]), "24x7", str(target), "[0.75, 0.9]",
                    json.dumps(hist), state, iso(due) if due else N, iso(next_check) if next_check else N, str(cyc),
                    iso(updated), iso(decided) if decided else N)) + "\n")
                for level, at in crossings.items():
                    fired_id += 1
                    level_cycle = 1 if reopen_at is None or at < reopen_at or name != "resolution" else 2
                    fired.append(f"{fired_id}\t{tid}\t{clock_id}\t{level}\t{level_cycle}\t{iso(min(now, at + random_() * 1.5))}"
                                 f"\t{iso(at)}\tf\n")
            event_id += 1
            events.append(f"{event_id}\t{tid}\tcreated\tsystem\t{N}\tSystem\t{N}\t{N}\t"
                          f'{{"reference": "{ref}", "kind": "{kind}", "channel": "{channel}", "priority": "{priority}", '
                          f'"category": "{category}", "team_id": {team}}}\t{{}}\t{iso(c_at)}\n')
            if answered is not None:
                event_id += 1
                events.append(f"{event_id}\t{tid}\tassigned\tsystem\t{N}\tRouting\tassignee\tnull\t"
                              f'{{"id": {assignee}, "name": "Agent {assignee}"}}\t{{}}\t{iso(answered)}\n')
            if resolved is not None and resolved + 60 < now and random_() < 0.2:  # a survey, sent at the resolution
                survey_id += 1
                sent = resolved + 60
                expires = sent + 14 * 86400
                answer = sent + expo(1 / (6 * 3600)) if random_() < 0.85 else None
                if answer is not None and (answer >= now or answer >= expires):
                    answer = None
                reminded = sent + 3 * 86400 if answer is None and sent + 3 * 86400 < now else None
                csat = nps = N
                if answer is not None:
                    r = random_()
                    if r < 0.9:
                        csat = str(rnd.choices((1, 2, 3, 4, 5), (6, 5, 10, 30, 49))[0])
                    if r > 0.1:
                        nps = str(rnd.choices(range(11), (3, 1, 1, 2, 2, 4, 5, 10, 20, 22, 30))[0])
                surveys.append(f"{survey_id}\t{tid}\t{customer}\t{tid:032x}\t{iso(sent)}\t{iso(expires)}\t"
                               f"{iso(reminded) if reminded else N}\t{iso(answer) if answer else N}\t{csat}\t{nps}\n")
            if random_() < 0.05:  # a callback the customer booked
                followup_id += 1
                booked = c_at + 60 + random_() * 600
                start = booked + 3600 * (1 + int(random_() * 4))
                r = random_()
                fstatus, outcome, attempts, closed_cb, who, assigned_cb, next_try = "scheduled", N, 0, None, None, None, start
                if start <= now < start + 3600:
                    fstatus = "due"  # its window is open: waiting for an agent
                elif start + 3600 <= now:
                    who = agents[team][int(random_() * AGENTS_PER_TEAM)]
                    if r < 0.7:
                        fstatus, outcome, attempts, closed_cb = "completed", "reached", 1, start + random_() * 1800
                    elif r < 0.9:
                        fstatus, outcome, attempts, closed_cb = "unreachable", "no_answer", 3, start + 2 * 3600 + random_() * 3600
                    else:
                        fstatus, closed_cb, who = "cancelled", start - random_() * 600, None
                    if closed_cb is not None and closed_cb >= now:
                        fstatus, outcome, closed_cb = "assigned", N, None
                    assigned_cb, next_try = (start if who else None), None
                followups.append("\t".join((
                    str(followup_id), "callback", fstatus, str(tid), str(customer), f"Customer {customer}",
                    f"+86 139 {customer:08d}", f"86139{customer:08d}", "zh", iso(start), iso(start + 3600),
                    iso(next_try) if next_try else N, str(attempts), "P2", "C", "{}", str(team), "[]",
                    str(who) if who else N, iso(assigned_cb) if assigned_cb else N, "1", outcome, "customer",
                    iso(booked), iso(closed_cb) if closed_cb else N)) + "\n")
        copier.copy("tickets", TICKET_COLUMNS, tickets)
        copier.copy("sla_clocks", CLOCK_COLUMNS, clocks)
        copier.copy("sla_fired", FIRED_COLUMNS, fired)
        copier.copy("ticket_events", EVENT_COLUMNS, events)
        copier.copy("surveys", SURVEY_COLUMNS, surveys)
        copier.copy("followups", FOLLOWUP_COLUMNS, followups)
        done = min(n, base + chunk)
        if done % 200_000 == 0 or done == n:
            progress(f"  {done:,} tickets in {time.perf_counter() - t_start:.1f} s")
