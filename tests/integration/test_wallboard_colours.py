"""The wallboard's colours as an admin sets them: saved per tile, shown at the next redraw,
checked (a bad limit beyond the warning one; a share within 0-100 %), logged, and restorable."""
from __future__ import annotations

from datetime import timedelta

from callcenter.db_types import utcnow
from tests.factories import csrf_from, login, logout, ticket_at


def _post(client, data: dict):
    token = csrf_from(client.get("/admin/wallboard").get_data(as_text=True))
    return client.post("/admin/wallboard", data={"csrf_token": token, **data})


def _tile_class(html: str, tile: str) -> str:
    return html.split(f'data-tile="{tile}"')[0].rsplit('class="tile', 1)[1].split('"')[0].strip()


def test_an_admins_limits_colour_the_wallboard_at_its_next_redraw(app, client, world):
    with app.app_context():
        for i in range(3):
            ticket_at(world, utcnow() - timedelta(seconds=30 + i), kind="inquiry")
    login(client, "boss@test.cc")
    assert _tile_class(client.get("/wallboard/panel").get_data(as_text=True), "waiting") == ""
    logout(client)
    login(client, "admin@test.cc")
    r = _post(client, {"waiting.warn": "1", "waiting.bad": "2", "service-level.warn": "90", "service-level.bad": "75",
                       "asa.warn": "20", "asa.bad": "60", "nps.warn": "12.345678"})  # asa: the defaults; nps: warn only
    assert r.status_code == 302, r.get_data(as_text=True)
    page = client.get("/admin/wallboard").get_data(as_text=True)
    assert 'name="waiting.warn" value="1"' in page and 'name="service-level.bad" value="75"' in page
    assert 'name="nps.warn" value="12.345678"' in page  # shown as saved, so it posts back unchanged
    assert 'name="nps.bad" value="0"' in page  # not sent: kept
    logout(client)
    login(client, "boss@test.cc")
    html = client.get("/wallboard/panel").get_data(as_text=True)  # the snapshot is the same; the colours are new
    assert _tile_class(html, "waiting") == "bad"  # 3 waiting, bad above 2
    with app.app_context():
        from callcenter.directory.log import recent

        entry = recent()[0]
        assert entry.action == "wallboard.colours_saved"
        assert entry.details["tiles"]["waiting"] == {"warn_above": 1.0, "bad_above": 2.0}
        assert entry.details["tiles"]["service-level"] == {"warn_below": 0.9, "bad_below": 0.75}
        assert "asa" not in entry.details["tiles"]  # the configured rule again: not kept, it follows the configuration
        assert entry.details["tiles"]["nps"] == {"warn_below": 12.345678, "bad_below": 0}


def test_a_bad_limit_on_the_wrong_side_or_out_of_range_is_refused_by_field_and_nothing_is_saved(app, client, world):
    login(client, "admin@test.cc")
    r = _post(client, {"waiting.warn": "9", "waiting.bad": "3", "abandonment.warn": "150", "asa.warn": "soon",
                       "asa.bad": "1" * 40, "oldest-wait.warn": "20%"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'data-error-for="asa.warn"' in html  # not a number: nothing else is checked until it is
    assert 'data-error-for="asa.bad"' in html  # too long to be a limit: refused, not cut
    assert 'data-error-for="oldest-wait.warn"' in html  # a percent sign only on shares
    assert 'value="soon"' in html and 'value="150"' in html  # what was typed stays
    r = _post(client, {"waiting.warn": "9", "waiting.bad": "3", "abandonment.warn": "150"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'data-error-for="waiting.bad"' in html and 'data-error-for="abandonment.warn"' in html
    with app.app_context():
        from callcenter.kpi import tile_settings

        assert tile_settings.saved() == {}


def test_restoring_brings_back_the_configured_colours_and_a_supervisor_only_reads_them(app, client, world):
    login(client, "admin@test.cc")
    assert _post(client, {"waiting.warn": "", "waiting.bad": "1"}).status_code == 302
    assert 'name="waiting.warn" value=""' in client.get("/admin/wallboard").get_data(as_text=True)
    assert _post(client, {"restore": "1"}).status_code == 302
    page = client.get("/admin/wallboard").get_data(as_text=True)
    assert 'name="waiting.warn" value="5"' in page and 'name="waiting.bad" value="20"' in page  # the defaults
    logout(client)
    login(client, "boss@test.cc")
    page = client.get("/admin/wallboard")
    assert page.status_code == 200 and "data-read-only" in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    assert client.post("/admin/wallboard", data={"csrf_token": token, "waiting.bad": "1"}).status_code == 403
