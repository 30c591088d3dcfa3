"""Follow-ups through the actions, on the database, with `now` given: callbacks become work
routed like tickets and take a seat; tries are retried, closed and messaged; revisits follow
the policy and a bad one starts a service recovery, recorded once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from callcenter.actions import followup_routing, followups
from callcenter.agents.load import load_of
from callcenter.customers.models import Customer
from callcenter.errors import Conflict, ValidationFailed
from callcenter.extensions import db
from callcenter.followups import service
from callcenter.followups.models import FollowUp, FollowUpAttempt, FollowUpStatus, Recovery, Survey
from callcenter.notifications.models import OutboundMessage
from callcenter.tickets.models import Ticket, TicketEvent
from tests.capture import capture
from tests.factories import actor_of, agent, moved, set_presence, ticket_at

T0 = datetime(2030, 3, 4, 2, 0, tzinfo=timezone.utc)  # a Monday, 10:00 in Shanghai


def _callback(world, ticket_id=None, start=T0 + timedelta(hours=1), minutes=60, who="boss", **extra):
    data = {"phone": "+86 139 0000 1111", "name": "王芳", "window_start": start,
            "window_end": start + timedelta(minutes=minutes), "ticket_id": ticket_id, **extra}
    return followups.request_callback(data, actor_of(world, who), now=T0)


def _kinds(ticket_id: int) -> list[str]:
    return list(db.session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id)
                                   .order_by(TicketEvent.id)))


def _messages(ticket_id=None) -> list[OutboundMessage]:
    stmt = select(OutboundMessage).order_by(OutboundMessage.id)
    if ticket_id is not None:
        stmt = stmt.where(OutboundMessage.ticket_id == ticket_id)
    return list(db.session.scalars(stmt))


# ---------------------------------------------------------------- booking

def test_a_callback_window_in_the_past_is_refused_and_nothing_is_booked(world, ctx):
    with pytest.raises(ValidationFailed) as refused:
        _callback(world, start=T0 - timedelta(hours=1))
    assert refused.value.code == "in_past"
    assert db.session.scalar(select(func.count(FollowUp.id))) == 0


def test_a_callback_window_ending_before_it_starts_is_refused(world, ctx):
    with pytest.raises(ValidationFailed) as refused:
        _callback(world, minutes=-10)
    assert refused.value.code == "ends_before_start"


def test_a_callback_outside_the_desks_open_hours_is_refused(world, ctx):
    service.save_settings({"calendar": "office"}, actor_of(world, "admin"))
    from callcenter.sla.models import SlaCalendar
    db.session.add(SlaCalendar(name="office", tz="Asia/Shanghai", weekly={str(d): "09:00-18:00" for d in range(5)}))
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        _callback(world, start=T0 + timedelta(hours=9))  # 19:00 Shanghai
    assert refused.value.code == "outside_open_hours"


def test_a_callback_in_the_customers_do_not_call_hours_is_refused(world, ctx):
    ticket = ticket_at(world, T0)
    ticket.customer.do_not_call = "10:30-12:00"
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        _callback(world, ticket.id, start=T0 + timedelta(minutes=45))
    assert refused.value.code == "in_quiet_hours"


def test_a_callback_booked_on_a_ticket_is_on_its_timeline_and_the_customer_is_told(world, ctx):
    ticket = ticket_at(world, T0)
    before = len(_messages(ticket.id))
    callback = _callback(world, ticket.id)
    assert callback.status is FollowUpStatus.scheduled and callback.phone_norm
    assert "callback_requested" in _kinds(ticket.id)
    assert len(_messages(ticket.id)) == before + 1


def test_a_ticket_may_have_several_callbacks(world, ctx):
    ticket = ticket_at(world, T0)
    _callback(world, ticket.id)
    _callback(world, ticket.id, start=T0 + timedelta(hours=3))
    assert db.session.scalar(select(func.count(FollowUp.id)).where(FollowUp.ticket_id == ticket.id)) == 2


def test_a_callback_for_a_waiting_ticket_keeps_the_tickets_place_in_the_queue(world, ctx):
    ticket = ticket_at(world, T0 - timedelta(minutes=30))
    assert ticket.status.value == "new"
    callback = _callback(world, ticket.id)
    assert callback.waiting_since == ticket.waiting_since


# ---------------------------------------------------------------- falling due and routed

def test_a_due_callback_goes_to_an_available_agent_and_takes_a_seat(world, ctx):
    zoe = agent("zoe@test.cc", capacity=2)
    callback = _callback(world)
    assert followup_routing.due(callback.id, T0 + timedelta(minutes=30)) == "not-yet"
    with capture() as seen:
        assert followup_routing.due(callback.id, T0 + timedelta(hours=1)) == "due"
    db.session.expire_all()
    callback = db.session.get(FollowUp, callback.id)
    assert callback.status is FollowUpStatus.assigned and callback.assignee_id == zoe.id
    assert load_of(zoe.id) == 1
    due = [p for name, p, _rooms in seen.emits if name == "callback.due"]
    assert len(due) == 1 and due[0]["phone"] == "+86 139 0000 1111"


def test_a_timer_run_early_sets_itself_again_instead_of_leaving_the_call_to_the_sweep(world, ctx):
    callback = _callback(world)
    with capture() as seen:
        assert followup_routing.due(callback.id, callback.window_start - timedelta(milliseconds=400)) == "not-yet"
    assert [(f, a) for f, a in seen.jobs] == [(service.DUE_JOB, (callback.id,))]


def test_the_customers_own_agent_gets_their_callback_first(world, ctx):
    agent("zoe@test.cc")  # idler, but not the customer's agent
    set_presence(world.id("anna"), "available")
    ticket = ticket_at(world, T0)
    tickets_assign(world, ticket.id, "anna")
    callback = _callback(world, ticket.id)
    followup_routing.due(callback.id, T0 + timedelta(hours=1))
    assert db.session.get(FollowUp, callback.id).assignee_id == world.id("anna")


def tickets_assign(world, ticket_id, who):
    from callcenter.actions import assignment
    assignment.assign(ticket_id, world.id(who), actor_of(world, "boss"), now=T0)


def test_a_due_callback_waits_when_nobody_has_room_and_says_why(world, ctx):
    callback = _callback(world)
    followup_routing.due(callback.id, T0 + timedelta(hours=1))
    callback = db.session.get(FollowUp, callback.id)
    assert callback.status is FollowUpStatus.due and callback.waiting_reason == "no_agent_online"


def test_an_agent_declining_a_callback_is_no_try_and_it_goes_to_the_next(world, ctx):
    zoe, yan = agent("zoe@test.cc"), agent("yan@test.cc")
    callback = _callback(world)
    followup_routing.due(callback.id, T0 + timedelta(hours=1))
    first = db.session.get(FollowUp, callback.id).assignee_id
    other = yan.id if first == zoe.id else zoe.id
    followups.decline(callback.id, actor_of_user(first), now=T0 + timedelta(hours=1, minutes=1))
    followup_routing.route_followup(callback.id, T0 + timedelta(hours=1, minutes=1))
    db.session.expire_all()
    callback = db.session.get(FollowUp, callback.id)
    assert callback.assignee_id == other and callback.attempts_made == 0


def actor_of_user(user_id):
    from callcenter.actors import Actor
    from callcenter.auth.models import User
    return Actor.of_user(db.session.get(User, user_id))


# ---------------------------------------------------------------- tries

def _given(world, **kw):
    zoe = agent("zoe@test.cc")
    callback = _callback(world, **kw)
    followup_routing.due(callback.id, T0 + timedelta(hours=1))
    return zoe, callback.id


def test_no_answer_is_retried_after_fifteen_minutes_and_frees_the_seat(world, ctx):
    zoe, cid = _given(world)
    at = T0 + timedelta(hours=1, minutes=2)
    followups.record_attempt(cid, actor_of_user(zoe.id), "no_answer", "voicemail", now=at)
    callback = db.session.get(FollowUp, cid)
    assert callback.status is FollowUpStatus.scheduled and callback.next_attempt_at == at + timedelta(minutes=15)
    assert load_of(zoe.id) == 0


def test_three_misses_close_it_as_unreachable_and_message_the_customer(world, ctx):
    ticket = ticket_at(world, T0)
    zoe, cid = _given(world, ticket_id=ticket.id)
    at = T0 + timedelta(hours=1)
    for outcome in ("no_answer", "busy", "no_answer"):
        callback = db.session.get(FollowUp, cid)
        at = max(at, callback.next_attempt_at)
        followup_routing.due(cid, at)
        followups.record_attempt(cid, actor_of_user(zoe.id), outcome, now=at + timedelta(minutes=1))
        db.session.expire_all()
    callback = db.session.get(FollowUp, cid)
    assert callback.status is FollowUpStatus.unreachable and callback.attempts_made == 3
    assert [m.subject for m in _messages(ticket.id)][-1] in ("We tried to call you", "我们尝试联系过您")
    assert _kinds(ticket.id).count("callback_attempt") == 3


def test_a_wrong_number_closes_at_once_and_marks_the_number_suspect(world, ctx):
    ticket = ticket_at(world, T0, customer={"name": "王芳", "phone": "+86 139 0000 1111"})
    zoe, cid = _given(world, ticket_id=ticket.id)
    followups.record_attempt(cid, actor_of_user(zoe.id), "wrong_number", now=T0 + timedelta(hours=1, minutes=1))
    assert db.session.get(FollowUp, cid).status is FollowUpStatus.unreachable
    assert db.session.get(Customer, ticket.customer_id).phone_suspect_at is not None


def test_the_same_try_cannot_be_recorded_twice(world, ctx):
    zoe, cid = _given(world)
    followups.record_attempt(cid, actor_of_user(zoe.id), "busy", now=T0 + timedelta(hours=1, minutes=1))
    with pytest.raises(Conflict):
        followups.record_attempt(cid, actor_of_user(zoe.id), "busy", now=T0 + timedelta(hours=1, minutes=1))
    assert db.session.scalar(select(func.count(FollowUpAttempt.id))) == 1


# ---------------------------------------------------------------- revisits and recovery

def _resolved_complaint(world, resolver="anna"):
    set_presence(world.id(resolver), "available")
    ticket = ticket_at(world, T0)
    tickets_assign(world, ticket.id, resolver)
    moved(world, ticket.id, T0 + timedelta(hours=1), "in_progress", "resolved", by=resolver)
    return db.session.get(Ticket, ticket.id)


def test_a_resolved_complaint_gets_a_revisit_by_someone_other_than_its_resolver(world, ctx):
    ticket = _resolved_complaint(world)
    set_presence(world.id("bert"), "available")
    revisit = db.session.scalar(select(FollowUp).where(FollowUp.ticket_id == ticket.id, FollowUp.kind == "revisit"))
    assert revisit is not None and revisit.avoid_agent_id == world.id("anna")
    followup_routing.due(revisit.id, revisit.next_attempt_at)
    assert db.session.get(FollowUp, revisit.id).assignee_id == world.id("bert")


def test_a_cancelled_ticket_gets_no_revisit_and_no_survey(world, ctx):
    ticket = ticket_at(world, T0)
    moved(world, ticket.id, T0, "cancelled")
    assert db.session.scalar(select(func.count(FollowUp.id))) == 0
    assert db.session.scalar(select(func.count(Survey.id))) == 0


def test_a_revisit_scored_two_reopens_raises_priority_and_alerts_supervisors_once(world, ctx):
    ticket = _resolved_complaint(world)
    priority = ticket.priority.value
    set_presence(world.id("bert"), "available")
    revisit = db.session.scalar(select(FollowUp).where(FollowUp.ticket_id == ticket.id, FollowUp.kind == "revisit"))
    at = revisit.next_attempt_at
    followup_routing.due(revisit.id, at)
    with capture() as seen:
        followups.record_attempt(revisit.id, actor_of(world, "bert"), "reached",
                                 answers={"solved": True, "score": 2, "comment": "slow"},
                                 now=at + timedelta(minutes=5))
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status.value == "in_progress" and ticket.priority.value < priority
    assert seen.names().count("recovery.started") == 1
    assert db.session.scalar(select(func.count(Recovery.id))) == 1
    # resolved again: the second revisit comes, whatever the sample says
    moved(world, ticket.id, at + timedelta(hours=2), "resolved", by="anna")
    second = db.session.scalar(select(FollowUp).where(FollowUp.ticket_id == ticket.id, FollowUp.round == 2))
    assert second is not None and second.status is FollowUpStatus.scheduled


def test_a_second_failed_recovery_marks_the_customer_at_risk(world, ctx):
    ticket = _resolved_complaint(world)
    set_presence(world.id("bert"), "available")
    for round_ in (1, 2):
        revisit = db.session.scalar(select(FollowUp).where(FollowUp.ticket_id == ticket.id, FollowUp.round == round_))
        at = revisit.next_attempt_at
        followup_routing.due(revisit.id, at)
        followups.record_attempt(revisit.id, actor_of(world, "bert"), "reached", answers={"solved": False},
                                 now=at + timedelta(minutes=5))
        db.session.expire_all()
        if round_ == 1:
            moved(world, ticket.id, at + timedelta(hours=1), "resolved", by="anna")
    assert db.session.get(Customer, db.session.get(Ticket, ticket.id).customer_id).at_risk_at is not None


# ---------------------------------------------------------------- surveys

def test_a_survey_is_issued_on_resolution_and_answered_once(world, ctx):
    ticket = _resolved_complaint(world)
    survey = service.survey_for_ticket(ticket.id)
    token = service.survey_token(survey)
    followups.answer_survey(token, 5, 9, "good", now=T0 + timedelta(hours=2))
    with pytest.raises(service.SurveyLinkGone) as gone:
        followups.answer_survey(token, 1, 0, "again", now=T0 + timedelta(hours=3))
    assert gone.value.why == "used"
    assert db.session.get(Survey, survey.id).csat == 5


def test_a_forged_or_expired_survey_link_records_nothing(world, ctx):
    ticket = _resolved_complaint(world)
    survey = service.survey_for_ticket(ticket.id)
    token = service.survey_token(survey)
    with pytest.raises(service.SurveyLinkGone) as forged:
        followups.answer_survey(token[:-2] + "xx", 5, 9, None, now=T0 + timedelta(hours=2))
    assert forged.value.why == "forged"
    with pytest.raises(service.SurveyLinkGone) as expired:
        followups.answer_survey(token, 5, 9, None, now=T0 + timedelta(days=15))
    assert expired.value.why == "expired"
    assert db.session.get(Survey, survey.id).answered_at is None


def test_a_bad_survey_answer_starts_a_recovery(world, ctx):
    ticket = _resolved_complaint(world)
    token = service.survey_token(service.survey_for_ticket(ticket.id))
    followups.answer_survey(token, 2, 3, "bad", now=T0 + timedelta(hours=2))
    assert db.session.get(Ticket, ticket.id).status.value == "in_progress"
    assert db.session.scalar(select(Recovery.source)) == "survey"


def test_a_resolved_ticket_closes_by_itself_after_seven_days(world, ctx):
    ticket = ticket_at(world, T0, kind="inquiry")
    moved(world, ticket.id, T0, "in_progress", "resolved")
    assert followups.sweep(T0 + timedelta(days=6))["closed"] == 0
    assert followups.sweep(T0 + timedelta(days=7, minutes=1))["closed"] == 1
    assert db.session.get(Ticket, ticket.id).status.value == "closed"


# ---------------------------------------------------------------- personal data

def test_an_erased_customer_keeps_no_number_name_or_words_on_follow_ups_and_the_scores_stay(world, ctx):
    from callcenter.actions import privacy

    ticket = _resolved_complaint(world)
    callback = _callback(world, ticket.id, note="王芳 asked for evenings")
    token = service.survey_token(service.survey_for_ticket(ticket.id))
    followups.answer_survey(token, 4, 9, "王芳: it was fine", now=T0 + timedelta(hours=2))
    customer_id = db.session.get(Ticket, ticket.id).customer_id
    exported = privacy.export_customer(customer_id, actor_of(world, "admin"))
    assert exported["tickets"][0]["survey"]["comment"] == "王芳: it was fine"
    assert {f["kind"] for f in exported["tickets"][0]["followups"]} == {"callback", "revisit"}
    privacy.erase_customer(customer_id, actor_of(world, "admin"))
    db.session.expire_all()
    callback = db.session.get(FollowUp, callback.id)
    assert callback.phone == "" and callback.name == "" and "王芳" not in (callback.note or "")
    survey = service.survey_for_ticket(ticket.id)
    assert survey.csat == 4 and survey.nps == 9 and "王芳" not in survey.comment


def test_a_customer_whose_do_not_call_hours_cover_every_open_hour_is_closed_not_retried(world, ctx):
    from callcenter.sla.models import SlaCalendar

    db.session.add(SlaCalendar(name="office", tz="Asia/Shanghai", weekly={str(d): "09:00-18:00" for d in range(5)}))
    db.session.commit()
    service.save_settings({"calendar": "office"}, actor_of(world, "admin"))
    db.session.commit()
    ticket = ticket_at(world, T0, customer={"name": "王芳", "phone": "+86 139 0000 1111"})
    zoe, cid = _given(world, ticket_id=ticket.id)
    ticket.customer.do_not_call = "08:00-19:00"  # set after booking: every open hour is now quiet
    db.session.commit()
    followups.record_attempt(cid, actor_of_user(zoe.id), "no_answer", now=T0 + timedelta(hours=1, minutes=1))
    callback = db.session.get(FollowUp, cid)
    assert callback.status is FollowUpStatus.unreachable and callback.outcome == "no_time_to_call"


# ---------------------------------------------------------------- edges found in review

def _revisit_of(ticket_id, round_=1):
    return db.session.scalar(select(FollowUp).where(FollowUp.ticket_id == ticket_id, FollowUp.kind == "revisit",
                                                    FollowUp.round == round_))


def _revisit_given_to_bert(world):
    """A resolved complaint (anna resolved it) whose revisit fell due and went to bert."""
    ticket = _resolved_complaint(world)
    set_presence(world.id("bert"), "available")
    revisit = _revisit_of(ticket.id)
    at = revisit.next_attempt_at
    followup_routing.due(revisit.id, at)
    return ticket, revisit, at


def test_a_revisit_rescheduled_after_a_reopening_takes_new_tries(world, ctx):
    ticket, revisit, at = _revisit_given_to_bert(world)
    followups.record_attempt(revisit.id, actor_of(world, "bert"), "no_answer", now=at + timedelta(minutes=1))
    moved(world, ticket.id, at + timedelta(minutes=5), "in_progress", by="anna")  # reopened: cancelled
    moved(world, ticket.id, at + timedelta(minutes=10), "resolved", by="anna")  # scheduled again
    db.session.expire_all()
    again = db.session.get(FollowUp, revisit.id)
    assert again.status is FollowUpStatus.scheduled and again.attempts_made == 0
    followup_routing.due(again.id, again.next_attempt_at)
    followups.record_attempt(again.id, actor_of(world, "bert"), "reached", answers={"solved": True, "score": 5},
                             now=again.next_attempt_at + timedelta(minutes=1))
    assert [a.number for a in db.session.get(FollowUp, revisit.id).attempts] == [1, 2]


def test_a_wrong_number_is_sent_no_message(world, ctx):
    ticket = ticket_at(world, T0, customer={"name": "刘洋", "phone": "+86 138 0013 8000"})  # no email
    zoe, cid = _given(world, ticket_id=ticket.id)
    before = len(_messages())
    followups.record_attempt(cid, actor_of_user(zoe.id), "wrong_number", now=T0 + timedelta(hours=1, minutes=1))
    assert len(_messages()) == before


def test_messages_about_a_callback_go_to_the_tickets_contact_not_the_number_booked(world, ctx):
    ticket = ticket_at(world, T0, customer={"name": "刘洋", "phone": "+86 138 0013 8000"})  # no email
    _callback(world, ticket.id, phone="+86 137 0000 9999")
    assert [(m.channel, m.recipient) for m in _messages(ticket.id)][-1] == ("sms", "+86 138 0013 8000")


def test_the_sweep_hands_back_a_follow_up_still_held_by_an_agent_who_went_offline(world, ctx):
    zoe, cid = _given(world)
    set_presence(zoe.id, "offline")  # as if the hand-back had skipped the row, locked then
    yan = agent("yan@test.cc")
    result = followups.sweep(T0 + timedelta(hours=1, minutes=2))
    assert result["handed_back"] == 1
    assert db.session.get(FollowUp, cid).assignee_id == yan.id


def test_an_agent_freeing_up_does_not_get_the_revisit_of_the_ticket_they_resolved_when_someone_else_may(world, ctx):
    from callcenter.actions import routing as routing_actions

    ticket = _resolved_complaint(world)  # anna resolved it and is available
    set_presence(world.id("anna"), "offline")
    revisit = _revisit_of(ticket.id)
    at = revisit.next_attempt_at
    followup_routing.due(revisit.id, at)  # nobody available: it waits
    set_presence(world.id("anna"), "available")
    set_presence(world.id("bert"), "available")
    routing_actions.route_for_agent(world.id("anna"), at + timedelta(minutes=1))
    assert db.session.get(FollowUp, revisit.id).assignee_id is None
    routing_actions.route_for_agent(world.id("bert"), at + timedelta(minutes=1))
    assert db.session.get(FollowUp, revisit.id).assignee_id == world.id("bert")


def test_a_follow_up_that_waited_into_do_not_call_hours_is_not_given_then_but_scheduled_after(world, ctx):
    ticket = ticket_at(world, T0, customer={"name": "王芳", "phone": "+86 139 0000 1111"})
    ticket.customer.do_not_call = "21:00-09:00"
    db.session.commit()
    callback = _callback(world, ticket.id)  # 11:00-12:00 Shanghai
    followup_routing.due(callback.id, T0 + timedelta(hours=1))  # nobody available: it waits
    agent("zoe@test.cc")
    late = T0 + timedelta(hours=13, minutes=30)  # 21:30 Shanghai
    followup_routing.route_followup(callback.id, late)
    callback = db.session.get(FollowUp, callback.id)
    assert callback.status is FollowUpStatus.scheduled and callback.assignee_id is None
    assert callback.next_attempt_at == T0 + timedelta(days=1, hours=-1)  # 09:00 the next morning


def test_slots_are_none_when_quiet_hours_cover_every_open_hour_and_the_policy_refuses_such_hours(world, ctx):
    st = service.Settings(quiet_hours="00:00-23:59,23:59-00:00")
    assert service.slots(T0, st, None) == []
    with pytest.raises(ValidationFailed) as refused:
        followups.save_policy({"quiet_hours": "00:00-23:59,23:59-00:00"}, actor_of(world, "admin"))
    assert "quiet_hours" in refused.value.details["fields"]


def test_a_follower_of_a_ticket_cannot_cancel_its_callback(world, ctx):
    from callcenter.errors import Forbidden

    ticket = ticket_at(world, T0)  # Billing: nina (Network) may not change it
    callback = _callback(world, ticket.id)
    with pytest.raises(Forbidden):
        followups.cancel(callback.id, actor_of(world, "nina"), now=T0)
    assert db.session.get(FollowUp, callback.id).status is FollowUpStatus.scheduled


def test_a_recovery_on_a_ticket_whose_owner_left_puts_it_back_in_the_queue(world, ctx):
    from callcenter.actions import directory

    ticket, revisit, at = _revisit_given_to_bert(world)
    directory.deactivate_user(world.id("anna"), actor_of(world, "admin"), now=at)
    followups.record_attempt(revisit.id, actor_of(world, "bert"), "reached", answers={"solved": False},
                             now=at + timedelta(minutes=5))
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status.value in ("new", "assigned") and ticket.assignee_id != world.id("anna")


def test_a_revisit_nobody_made_before_its_due_time_is_cancelled_by_the_sweep(world, ctx):
    ticket = _resolved_complaint(world)
    revisit = _revisit_of(ticket.id)
    assert followups.sweep(revisit.window_end + timedelta(minutes=1))["expired"] == 1
    assert db.session.get(FollowUp, revisit.id).status is FollowUpStatus.cancelled


def test_a_customer_who_asked_not_to_be_contacted_gets_no_second_revisit(world, ctx):
    ticket, revisit, at = _revisit_given_to_bert(world)
    followups.record_attempt(revisit.id, actor_of(world, "bert"), "reached",
                             answers={"solved": False, "may_contact_again": False}, now=at + timedelta(minutes=5))
    moved(world, ticket.id, at + timedelta(hours=1), "resolved", by="anna")
    assert _revisit_of(ticket.id, 2) is None
    assert "revisit_skipped" in _kinds(ticket.id)
