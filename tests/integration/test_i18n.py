"""zh-CN and en: chosen by the user's setting, this browser's switch, or Accept-Language."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from tests.factories import login

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "callcenter/translations/zh/LC_MESSAGES/messages.po"


def test_accept_language_picks_chinese(client, world):
    html = client.get("/submit", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert 'lang="zh-CN"' in html and "提交" in html


def test_accept_language_picks_english(client, world):
    html = client.get("/submit", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in html and "Tell us what happened" in html


def test_the_header_switch_overrides_the_browser(client, world):
    r = client.get("/lang/en?next=/submit", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 302 and r.headers["Location"] == "/submit"
    html = client.get("/submit", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'lang="en"' in html


def test_a_signed_in_users_choice_is_saved_on_the_user(app, world):
    first = app.test_client()
    login(first, "anna@test.cc")
    first.get("/lang/zh_CN")
    second = app.test_client()  # another browser, English by default
    login(second, "anna@test.cc")
    assert 'lang="zh-CN"' in second.get("/desk/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_api_errors_speak_the_callers_language(api, world):
    r = api.get("/api/v1/tickets/4242", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 404 and "工单" in r.json["error"]["message"]


def test_switch_refuses_to_redirect_elsewhere(client, world):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        r = client.get("/lang/en", query_string={"next": target})
        assert r.status_code == 302 and "evil" not in r.headers["Location"], target


def test_every_message_in_the_source_is_translated_to_chinese(tmp_path):
    """Extract the messages afresh: a string added without updating the catalog fails here."""
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-k", "lazy_gettext", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        source_ids = {m.id for m in read_po(f) if m.id}
    with CATALOG.open("rb") as f:
        catalog = {m.id: m for m in read_po(f) if m.id}
    missing = sorted(str(i) for i in source_ids - set(catalog))
    untranslated = sorted(str(i) for i in source_ids & set(catalog) if not catalog[i].string or catalog[i].fuzzy)
    assert not missing, f"run `make extract-messages` and translate: {missing[:10]}"
    assert not untranslated, f"untranslated in zh: {untranslated[:10]}"


def test_every_chinese_translation_keeps_the_placeholders_of_its_message():
    """What pybabel compile checks: a translation naming a placeholder its message lacks (or
    dropping one it has) fails the build, and would fail at runtime."""
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    problems = [(str(message.id)[:60], [str(e) for e in errors]) for message, errors in catalog.check()]
    assert not problems, problems[:5]
