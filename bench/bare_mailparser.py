"""The yardstick for intake speed: bare mail-parser over the same .eml files, in a process of its own.

``python -m bench.bare_mailparser DIR`` parses every file with ``mailparser.parse_from_bytes`` and reads what
Rotadesk's intake also reads (headers, text and HTML parts, attachments), then prints how many it parsed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import mailparser


def main(folder: str) -> int:
    parsed = 0
    for path in sorted(Path(folder).glob("*.eml")):
        mail = mailparser.parse_from_bytes(path.read_bytes())
        _ = (mail.from_, mail.to, mail.subject, mail.date, mail.message_id, mail.text_plain, mail.text_html,
             [a["filename"] for a in mail.attachments])
        parsed += 1
    print(f"{parsed} parsed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
