"""Demo data: teams, categories, staff with skills, customers and tickets in every status.

Built through the services, so the demo tickets carry a real audit trail.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import click
from sqlalchemy import select

from .actions import accounts, assignment, tickets, unit_of_work
from .actions import followups as followup_actions
from .actors import Actor
from .auth.models import Presence, Skill, User
from .customers.models import Tier
from .customers.services import Contact, resolve
from .db_types import utcnow
from .directory import catalogue
from .directory.lookups import team_by_name
from .extensions import db
from .followups import service as followups
from .followups.models import FollowUp, FollowUpKind, FollowUpPolicy
from .replies import service as canned
from .replies.models import CannedResponse
from .routing.models import RoutingRule
from .routing.service import request_sweep
from .sla.models import SlaCalendar, SlaPolicy
from .tickets.models import Category, Status, Ticket

DEMO_PASSWORD = "demo-pass-2026"


def _saved(step):
    """Each step of the demo is one unit of work, committed when it is done."""
    def run():
        with unit_of_work():
            step()
    run.__name__, run.__doc__ = step.__name__, step.__doc__
    return run
ADMIN_EMAIL = "admin@demo.callcenter"

TEAMS = ("账单组 Billing", "技术支持 Technical Support", "客户关怀 Customer Care")

CATEGORIES = [
    # code, English, Chinese, team, skill
    ("billing", "Billing and charges", "账单与扣费", "账单组 Billing", "billing"),
    ("account", "Account and plan", "账户与套餐", "账单组 Billing", "account"),
    ("network", "Network and signal", "网络与信号", "技术支持 Technical Support", "network"),
    ("device", "Device and installation", "设备与安装", "技术支持 Technical Support", "device"),
    ("delivery", "Delivery and returns", "配送与退货", "客户关怀 Customer Care", "logistics"),
    ("service_quality", "Service quality", "服务质量", "客户关怀 Customer Care", "complaints"),
    ("other", "Something else", "其他", "客户关怀 Customer Care", None),
]

STAFF = [
    # email, name, role, teams, skills, capacity, languages
    (ADMIN_EMAIL, "Admin", "admin", [], {}, 5, ["zh", "en"]),
    ("supervisor@demo.callcenter", "王静 Wang Jing", "supervisor", list(TEAMS),
     {"complaints": 5, "billing": 4}, 5, ["zh", "en"]),
    ("li.na@demo.callcenter", "李娜 Li Na", "agent", ["账单组 Billing"], {"billing": 5, "account": 3}, 5, ["zh"]),
    ("zhang.wei@demo.callcenter", "张伟 Zhang Wei", "agent", ["账单组 Billing"], {"billing": 3, "account": 4}, 4, ["zh", "en"]),
    ("chen.jie@demo.callcenter", "陈杰 Chen Jie", "agent", ["技术支持 Technical Support"], {"network": 5, "device": 3}, 5, ["zh"]),
    ("emma.liu@demo.callcenter", "Emma Liu", "agent", ["技术支持 Technical Support"], {"network": 3, "device": 4}, 5, ["en", "zh"]),
    ("zhao.min@demo.callcenter", "赵敏 Zhao Min", "agent", ["客户关怀 Customer Care"], {"complaints": 4, "logistics": 4}, 6, ["zh"]),
    ("tom.wu@demo.callcenter", "Tom Wu", "agent", ["客户关怀 Customer Care"], {"complaints": 3, "logistics": 2}, 5, ["en"]),
]

CUSTOMERS = [
    # name, phone, email, tier, language
    ("刘洋", "138 0013 8000", "liu.yang@example.cn", Tier.VIP, "zh"),
    ("孙丽", "+86 139-1234-5678", None, Tier.A, "zh"),
    ("周强", "13700001111", "zhouq@example.cn", Tier.B, "zh"),
    ("Sarah Chen", "+44 20 7946 0018", "sarah.chen@example.com", Tier.A, "en"),
    ("吴芳", "15800002222", None, Tier.C, "zh"),
    ("Mark Davis", None, "mark.davis@example.com", Tier.C, "en"),
]

# kind, channel, category, subject, description, customer index, final status, assignee email
TICKETS = [
    ("complaint", "phone", "billing", "上月账单重复扣费", "我的账户上月被扣了两次月费，共 198 元，要求退款。", 0, "new", None),
    ("complaint", "web", "network", "家里宽带每天晚上断线", "最近一周每晚 8 点后宽带断线，影响孩子上网课。", 1, "assigned", "chen.jie@demo.callcenter"),
    ("service_request", "web", "account", "Change my plan to the 200 GB package", "Please move my account to the 200 GB plan from next month.", 3, "in_progress", "zhang.wei@demo.callcenter"),
    ("complaint", "phone", "delivery", "路由器退货一直没有退款", "两周前退回的路由器至今没有退款，客服说会处理但没有消息。", 2, "pending_customer", "zhao.min@demo.callcenter"),
    ("inquiry", "email", "device", "How do I reset the set-top box?", "The box shows error E-102 after a power cut.", 5, "resolved", "emma.liu@demo.callcenter"),
    ("complaint", "web", "service_quality", "客服态度恶劣，要求投诉到消协", "上次来电客服挂我电话，如果不给说法我会向 12315 投诉。", 4, "closed", "zhao.min@demo.callcenter"),
    ("service_request", "api", "other", "Paper invoice for October", "Please post a paper invoice for October to my office address.", 3, "cancelled", None),
    ("complaint", "phone", "network", "5G 信号差，要求赔偿", "小区 5G 信号长期只有一格，打电话经常掉线，要求赔偿月费。", 0, "in_progress", "chen.jie@demo.callcenter"),
]


SKILLS = [
    # code, Chinese, English
    ("complaints", "投诉处理", "Complaint handling"),
    ("billing", "账单", "Billing"),
    ("account", "账户与套餐", "Accounts and plans"),
    ("network", "网络故障", "Network faults"),
    ("device", "设备", "Devices"),
    ("logistics", "物流与退货", "Logistics and returns"),
]


@_saved
def _ensure_teams_and_skills() -> None:
    for name in TEAMS:
        catalogue.ensure_team(name)
    for code, zh, en in SKILLS:
        if db.session.get(Skill, code) is None:
            db.session.add(Skill(code=code, name_zh=zh, name_en=en))


@_saved
def _ensure_categories() -> None:
    for position, (code, en, zh, team, skill) in enumerate(CATEGORIES):
        if db.session.get(Category, code) is None:
            db.session.add(Category(code=code, name_en=en, name_zh=zh, team=team_by_name(team),
                                    required_skills={skill: 1} if skill else {}, position=position))


def _ensure_staff() -> dict[str, User]:
    users = {}
    for email, name, role, teams, skills, capacity, languages in STAFF:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = accounts.create_user(email, DEMO_PASSWORD, role, name=name, teams=teams, skills=skills,
                                    capacity=capacity, languages=languages)
        users[email] = user
    return users


def _agents_online(users: dict[str, User]) -> None:
    """After the demo tickets exist: agents come online (the worker's sweep then serves the queue)."""
    with unit_of_work() as fx:
        for user in users.values():
            if user.role.value == "agent":
                user.presence = Presence.available
                user.presence_changed_at = utcnow()
        request_sweep(fx)  # the worker serves the demo queue now that agents are online


RULES = [
    # name, match, skills, team, priority, position
    ("法律或监管投诉威胁 Legal or regulator threat", {"keywords": ["律师", "起诉", "法院", "12315", "消协", "lawyer", "court", "regulator"]},
     {"complaints": 4}, "客户关怀 Customer Care", "P1", 10),
    ("VIP 投诉 VIP complaints", {"kind": "complaint", "tier": "VIP"}, {"complaints": 5}, "客户关怀 Customer Care", "P1", 20),
    ("账单与账户 Billing and accounts", {"category": ["billing", "account"]}, {"billing": 3}, "账单组 Billing", None, 30),
    ("网络与设备 Network and devices", {"category": ["network", "device"]}, {"network": 3}, "技术支持 Technical Support", None, 40),
    ("英文咨询 English speakers", {"language": "en", "kind": "inquiry"}, {}, None, None, 90),
]


# Names are data: the demo's read in both of its languages.
OFFICE = "中国办公时间 China office"
OFFICE_DAY = 8 * 3600  # 09:00-12:00 and 13:00-18:00

SLA_POLICIES = [
    # name, match, calendar, first response s, resolution s, position
    ("VIP 投诉 VIP complaints", {"kind": "complaint", "tier": "VIP"}, "24x7", 15 * 60, 2 * 3600, 10),
    ("P1 投诉 P1 complaints", {"kind": "complaint", "priority": "P1"}, "24x7", 30 * 60, 4 * 3600, 20),
    ("投诉 Complaints", {"kind": "complaint"}, OFFICE, 2 * 3600, 3 * OFFICE_DAY, 30),
    ("服务请求 Service requests", {"kind": "service_request"}, OFFICE, 4 * 3600, 5 * OFFICE_DAY, 40),
    ("咨询 Inquiries", {}, OFFICE, 8 * 3600, 5 * OFFICE_DAY, 90),
]


@_saved
def _ensure_sla() -> None:
    if not db.session.scalar(select(SlaCalendar.id).where(SlaCalendar.name == OFFICE)):
        db.session.add(SlaCalendar(name=OFFICE, tz="Asia/Shanghai", country="CN",
                                   weekly={str(d): "09:00-12:00,13:00-18:00" for d in range(5)}))
    if not db.session.scalar(select(SlaPolicy.id)):
        for name, match, calendar, first, resolution, position in SLA_POLICIES:
            db.session.add(SlaPolicy(name=name, match=match, calendar=calendar, position=position,
                                     targets={"first_response_seconds": first, "resolution_seconds": resolution}))


@_saved
def _ensure_rules() -> None:
    if db.session.scalar(select(RoutingRule.id)):
        return
    for name, match, skills, team, priority, position in RULES:
        db.session.add(RoutingRule(name=name, match=match, skills=skills, priority=priority, position=position,
                                   team=team_by_name(team) if team else None))


@_saved
def _ensure_customer_tiers() -> None:


    for name, phone, email, tier, language in CUSTOMERS:
        customer = resolve(Contact(name, phone, email), trusted=True, language=language).customer
        customer.tier = tier


def _walk_to(ticket_id: int, status: str, assignee: User | None, supervisor: User, created: datetime,
             wait: timedelta) -> None:
    """Take a fresh ticket through the lifecycle to the wanted status, as people would: taken
    after `wait` in the queue, answered a minute or two later, resolved within the hour, so the
    wallboard's ASA and handle time show what a morning's work looks like."""
    by = Actor.of_user(assignee) if assignee else Actor.of_user(supervisor)
    if status == "cancelled":
        tickets.transition(ticket_id, "cancelled", by, reason="customer withdrew the request", now=created + wait)
        return
    if status == "new" or assignee is None:
        return
    taken = created + wait
    assignment.assign(ticket_id, assignee.id, Actor.of_user(supervisor), now=taken)
    if status == "assigned":
        return
    tickets.add_message(ticket_id, "您好，我们已收到您的问题，正在核实处理。/ Hello, we are looking into this now.",
                        False, by, now=taken + timedelta(seconds=90))
    if status == "in_progress":
        tickets.add_message(ticket_id, "Checked billing history; escalated to finance.", True, by,
                            now=taken + timedelta(minutes=4))
        return
    if status == "pending_customer":
        tickets.add_promise(ticket_id, "退款到账后电话告知客户", utcnow() + timedelta(days=2), by,
                            now=taken + timedelta(minutes=5))
        tickets.transition(ticket_id, "pending_customer", by, reason="waiting for the return tracking number",
                           now=taken + timedelta(minutes=6))
        return
    tickets.transition(ticket_id, "resolved", by, reason="fixed", now=taken + timedelta(minutes=18))
    if status == "closed":
        tickets.transition(ticket_id, "closed", by, resolution={
            "resolution_summary": "已致歉并赠送一个月话费，客户接受。",
            "root_cause": "坐席未按流程转接，提前挂断来电。",
            "responsible_department": "客服中心一组",
        }, now=taken + timedelta(minutes=25))


# When each demo ticket came in (minutes before the seeding) and how long it waited for an agent.
ARRIVALS = [(4, 0), (88, 12), (80, 14), (72, 8), (64, 16), (55, 10), (40, 30), (30, 45)]


def seed() -> bool:
    """Load whatever part of the demo is missing; True if anything was added.

    Every step is idempotent on its own, so a run cut off halfway is completed by the next.
    """
    _ensure_teams_and_skills()
    _ensure_categories()
    users = _ensure_staff()  # created offline while the demo tickets are walked through their statuses
    _ensure_customer_tiers()
    _ensure_rules()
    _ensure_sla()
    _ensure_followup_policy()
    _ensure_canned_responses()
    supervisor = users["supervisor@demo.callcenter"]
    created = False
    seeded_at = utcnow()
    for (kind, channel, category, subject, description, cust, status, assignee), (ago, wait) in zip(TICKETS, ARRIVALS, strict=True):
        if db.session.scalar(select(Ticket.id).where(Ticket.subject == subject)):
            continue
        name, phone, email, _tier, language = CUSTOMERS[cust]
        came = seeded_at - timedelta(minutes=ago)
        ticket, _created = tickets.create_ticket({
            "kind": kind, "channel": channel, "category": category, "subject": subject,
            "description": description, "language": language,
            "customer": {"name": name, "phone": phone, "email": email},
        }, Actor.of_user(supervisor), now=came)
        _walk_to(ticket.id, status, users.get(assignee) if assignee else None, supervisor, came,
                 timedelta(seconds=wait))
        created = True
    if created:
        _ensure_callback(supervisor)
        _agents_online(users)
    return created


@_saved
def _ensure_followup_policy() -> None:
    """Callbacks and revisits keep the office's hours (a demo on a weekend books Monday), and
    nobody is called at night."""
    if db.session.get(FollowUpPolicy, followups.POLICY_ID) is None:
        followups.save_settings({"calendar": OFFICE, "quiet_hours": "21:00-08:00"}, Actor.of_user(db.session.scalar(
            select(User).where(User.email == ADMIN_EMAIL))))


CANNED = [
    # made by (email), scope, team, shortcut, language, title, body
    (ADMIN_EMAIL, "site", None, "hello", "zh", "问候", "{customer_name}您好，我是客服{agent_name}，很高兴为您服务。"),
    (ADMIN_EMAIL, "site", None, "hi", "en", "Greeting",
     "Hello {customer_name}, this is {agent_name} from customer service. Thank you for contacting us."),
    (ADMIN_EMAIL, "site", None, "thanks", "zh", "结束语",
     "感谢您的耐心等待。如有其他问题，请回复此工单（编号 {reference}）。祝您生活愉快！"),
    (ADMIN_EMAIL, "site", None, "bye", "en", "Closing",
     "Thank you for your patience. If anything else comes up, just reply to ticket {reference}."),
    ("supervisor@demo.callcenter", "team", "账单组 Billing", "refund", "zh", "退款处理中",
     "您的退款申请已提交财务部门审核，我们将在 {promise_due} 前给您答复。"),
    ("supervisor@demo.callcenter", "team", "账单组 Billing", "refund-en", "en", "Refund in progress",
     "Your refund request is with our finance team; we will come back to you by {promise_due}."),
    ("chen.jie@demo.callcenter", "personal", None, "reboot", "zh", "重启光猫",
     "请先将光猫断电 30 秒后重新通电，等待指示灯稳定后再试一次，然后告诉我结果。"),
]


@_saved
def _ensure_canned_responses() -> None:
    """A few ready-made replies: greetings and closings for everyone, the billing team's
    refund answer, and one agent's own."""
    if db.session.scalar(select(CannedResponse.id)):
        return
    for email, scope, team, shortcut, language, title, body in CANNED:
        author = db.session.scalar(select(User).where(User.email == email))
        team_id = team_by_name(team).id if team else None
        canned.create({"scope": scope, "team_id": team_id, "shortcut": shortcut, "language": language,
                       "title": title, "body": body}, Actor.of_user(author), utcnow())


def _ensure_callback(supervisor: User) -> None:
    """A customer waiting on a new complaint asked to be called back in the next free slot."""
    if db.session.scalar(select(FollowUp.id).where(FollowUp.kind == FollowUpKind.callback)):
        return
    waiting = db.session.scalar(select(Ticket).where(Ticket.status == Status.new, Ticket.contact_phone.is_not(None))
                                .order_by(Ticket.id))
    slots = followups.slots(utcnow(), followups.settings(), waiting.customer if waiting else None, count=1)
    if waiting is None or not slots:
        return
    start, end = slots[0]
    followup_actions.request_callback({"phone": waiting.contact_phone, "name": waiting.contact_name,
                                       "window_start": start, "window_end": end, "ticket_id": waiting.id,
                                       "note": "客户希望下班后回电 / asked for a call after work"},
                                      Actor.of_user(supervisor), requested_by="agent")


def print_logins() -> None:
    click.echo("\nDemo logins (password for all: %s)" % DEMO_PASSWORD)
    for email, name, role, teams, *_rest in STAFF:
        click.echo(f"  {role:<10} {email:<30} {name}  {', '.join(teams)}")
    click.echo("")
