#!/usr/bin/env python3
"""A real SMTP server for formwork-jobs' email tests, built on aiosmtpd.

Listens on 127.0.0.1 at a free port, prints `READY <port>`, then one JSON line per message
received: envelope, the raw and the decoded subject (Python's own RFC 2047 decoder), ids, and
the text and HTML parts. Stops when its standard input closes.
"""

import email
import json
import socket
import sys
from email import policy

from aiosmtpd.controller import Controller


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_header(raw, name):
    """The header as it travelled, folded lines joined, encoded words untouched."""
    return email.message_from_bytes(raw, policy=policy.compat32)[name]


class Sink:
    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=policy.default)
        text = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        print(json.dumps({
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "raw_subject": raw_header(raw, "Subject"),
            "subject": str(msg["subject"]),
            "from": str(msg["from"]),
            "message_id": msg["message-id"],
            "event_id": msg["x-formwork-event-id"],
            "content_type": msg.get_content_type(),
            "text": text.get_content() if text else None,
            "html": html.get_content() if html else None,
        }, ensure_ascii=False), flush=True)
        return "250 2.0.0 OK queued"


def main():
    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"READY {port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
