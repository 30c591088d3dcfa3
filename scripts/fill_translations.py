"""Fill zh catalog entries from a JSON file of {msgid: msgstr}; list what is still missing.

Usage: python scripts/fill_translations.py [translations.json]
"""
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOG = Path(__file__).resolve().parent.parent / "callcenter/translations/zh/LC_MESSAGES/messages.po"


def main() -> int:
    new = json.loads(Path(sys.argv[1]).read_text()) if len(sys.argv) > 1 else {}
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        if message.id in new:
            message.string = new[message.id]
            message.flags.discard("fuzzy")
        elif not message.string or message.fuzzy:
            missing.append(message.id)
    with CATALOG.open("wb") as f:
        write_po(f, catalog, width=100)
    for msgid in missing:
        print(json.dumps(msgid, ensure_ascii=False))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
