"""Fill zh catalog entries from a JSON file of {msgid: msgstr}; list what is still missing.

Plural entries are keyed by their singular msgid.

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
        # A plural entry is keyed by its singular; Chinese has one form for every count.
        key = message.id[0] if message.pluralizable else message.id
        if key in new:
            message.string = (new[key],) if message.pluralizable else new[key]
            message.flags.discard("fuzzy")
        elif not (message.string if not message.pluralizable else all(message.string)) or message.fuzzy:
            missing.append(key)
    with CATALOG.open("wb") as f:
        write_po(f, catalog, width=100)
    for msgid in missing:
        print(json.dumps(msgid, ensure_ascii=False))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
