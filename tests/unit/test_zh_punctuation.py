"""Chinese translations punctuate Chinese text with full-width marks: "原因：" not "原因:", "，"
not ",", and so on. A half-width colon, comma, semicolon, question or exclamation mark right
after a Chinese character, and followed by a Chinese character, a space, the end or a
placeholder (the value it stands for is part of the Chinese sentence: "原因:%(reason)s"), is
flagged; so is a half-width parenthesis between two Chinese characters. Times (21:00), URLs and
codes (billing:4, Content-Type: application/json) do not count: the mark there follows a Latin
letter or a digit; placeholders (%(name)s, %s, {customer_name}) are masked before the check, so
their own parentheses never count."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(ROOT.glob("callcenter/translations/zh*/LC_MESSAGES/messages.po"))

# Chinese characters (ideographs) and what reads as Chinese around them: CJK punctuation, full-width
# forms, Chinese quotation marks.
HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CHINESE = HAN + r"\u3000-\u303f\uff00-\uffef\u201c\u201d\u2018\u2019"
# %(name)s, %(num)d, %s, %%, {customer_name}: each masked as one private-use character.
PLACEHOLDER = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]|%[sdif%]|\{\w+\}")
MASK = "\ue000"
HALF_WIDTH_MARK = re.compile(rf"(?<=[{CHINESE}])[:,;?!](?=[{CHINESE}{MASK}]|\s|$)")
HALF_WIDTH_PAREN = re.compile(rf"(?<=[{CHINESE}])[()](?=[{CHINESE}])")


def half_width_marks(text: str) -> list[str]:
    """Each flagged mark, with a little of the text around it."""
    masked = PLACEHOLDER.sub(MASK, text)
    found = sorted([m.start() for m in HALF_WIDTH_MARK.finditer(masked)]
                   + [m.start() for m in HALF_WIDTH_PAREN.finditer(masked)])
    return [masked[max(0, i - 4):i + 3].replace(MASK, "%(…)s") for i in found]


def flagged_entries(path: Path) -> dict[str, list[str]]:
    """{msgid: the flagged bits of its translation(s)} for one catalog (obsolete entries aside)."""
    with path.open("rb") as f:
        catalog = read_po(f)
    problems: dict[str, list[str]] = {}
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        bits = [bit for string in strings if string for bit in half_width_marks(string)]
        if bits:
            key = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
            problems[key] = bits
    return problems


@pytest.mark.parametrize("text", [
    "原因:请稍后再试", "已完成!", "你好, 世界", "是否继续?", "第一项;第二项", "原因:%(reason)s", "团队:",
    "编号（%(reference)s）,请保存", "电话(手机)号码",
])
def test_a_half_width_mark_in_chinese_text_is_flagged(text):
    assert half_width_marks(text), text


@pytest.mark.parametrize("text", [
    "请按 21:00-09:00 的格式填写", "技能格式应为 billing:4", "请以 Content-Type: application/json 发送 JSON。",
    "请使用请求头 Authorization: Bearer <token>。", "详情：https://example.cn/t/abc?x=1", "%(name)s:%(value)s",
    "将%(kind)s交给 %(to)s", "满意度 %(score)s/5", "例如 15m, 1h, next_morning", "原因：请稍后再试，谢谢！",
    "只能包含数字及 + - ( ) 和空格", "{customer_name}您好", "共 %(num)d 个（%(n)s%%）",
])
def test_times_codes_urls_placeholders_and_full_width_marks_are_not_flagged(text):
    assert half_width_marks(text) == [], text


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parts[-3])
def test_chinese_translations_use_full_width_punctuation_in_chinese_text(path):
    problems = flagged_entries(path)
    assert not problems, "half-width punctuation in Chinese text:\n" + "\n".join(
        f"{msgid!r}: {bits}" for msgid, bits in sorted(problems.items()))


def test_there_is_a_chinese_catalog_to_check():
    assert CATALOGS, "no callcenter/translations/zh*/LC_MESSAGES/messages.po"
