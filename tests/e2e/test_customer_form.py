"""A customer fills the form in a real browser, fixes a mistake, and lands on their status page."""
import os
from pathlib import Path

from playwright.sync_api import expect

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))


def test_customer_submits_a_complaint_and_follows_it(page, world, api):
    page.goto("/submit")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")  # the browser asks for zh-CN
    expect(page.locator("h1")).to_have_text("请告诉我们发生了什么")

    page.check("input[name=kind][value=complaint]")
    page.fill("input[name=name]", "王芳")
    page.fill("input[name=email]", "not-an-email")
    page.select_option("select[name=category]", "billing")
    page.fill("input[name=subject]", "话费多扣了 50 元")
    page.fill("textarea[name=description]", "十月份账单多扣了 50 元，请核实并退还。")
    page.click("button[type=submit]")

    # The mistake is pointed out and nothing typed is lost.
    expect(page.locator('[data-error-for="email"]')).to_be_visible()
    expect(page.locator("input[name=subject]")).to_have_value("话费多扣了 50 元")
    expect(page.locator("textarea[name=description]")).to_have_value("十月份账单多扣了 50 元，请核实并退还。")

    page.fill("input[name=email]", "wang.fang@example.cn")
    page.fill("input[name=phone]", "139 1111 2222")
    page.click("button[type=submit]")

    page.wait_for_url("**/t/**")
    reference = page.locator("[data-reference]").get_attribute("data-reference")
    assert reference.startswith("CC-")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "new")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "status-page.png"), full_page=True)

    # An agent answers; the customer sees it on reload and replies from the page.
    ticket = api.get(f"/api/v1/tickets?q={reference}").json["items"][0]
    api.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"body": "您好，已为您核实，退款将在 3 个工作日内到账。"})
    page.reload()
    expect(page.locator(".message.agent")).to_contain_text("退款将在 3 个工作日内到账")
    page.fill("textarea[name=body]", "好的，谢谢！")
    page.click("form[action$='/reply'] button[type=submit]")
    expect(page.locator(".message.customer").last).to_contain_text("好的，谢谢！")
    events = api.get(f"/api/v1/tickets/{ticket['id']}/events").json["items"]
    assert events[-1]["actor"]["kind"] == "customer"


def test_language_switch_in_the_header(page, world):
    page.goto("/submit")
    page.click("a[data-lang=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Tell us what happened")
