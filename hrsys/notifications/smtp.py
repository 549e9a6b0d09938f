"""SMTP for the outbox: the server from ``HRSYS_SMTP_URL``, the mail of one outbox row, and a send in two
steps so that the database can commit between the server's acceptance and nothing else.

:meth:`Connection.send` transfers everything but the final ``.`` of ``DATA``, calls ``before_end`` (the
deliverer marks the row sent there, uncommitted), sends the ``.`` and returns once the server accepted the
mail; the caller commits right after. A process that dies before the ``.`` leaves an unfinished ``DATA``,
which the server throws away (RFC 5321, 4.1.1.4), and a row still pending: nothing lost, nothing sent.
See README.md, "Delivery", for the window that remains.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from urllib.parse import unquote, urlsplit

_LINK_LINE = re.compile(r"(?m)^([ \t]*)(/[^\s]*)$")
_LEADING_DOT = re.compile(rb"(?m)^\.")


class Transient(Exception):
    """The server or the network refused for now (4xx, no answer, connection lost): try again later."""


class Permanent(Exception):
    """The server refused this mail for good (5xx): trying again would not help."""


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    tls: bool
    """``smtps://``: TLS from the first byte; otherwise STARTTLS when the server offers it."""
    user: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> Server:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError(f"{url!r} is not smtp://host:port or smtps://host:port")
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 25),
            tls=tls,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def absolute_links(body: str, base_url: str) -> str:
    """Each line of ``body`` that is a bare path (``/requests/12``) as a link on ``base_url``."""
    base = base_url.rstrip("/")
    return _LINK_LINE.sub(lambda m: f"{m.group(1)}{base}{m.group(2)}", body)


def build_message(
    *,
    message_id: str,
    sender: str,
    to: str,
    subject: str,
    body: str,
    language: str,
    base_url: str,
    date: dt.datetime,
) -> bytes:
    """The mail as sent: plain text in UTF-8, the subject encoded (RFC 2047), the row's Message-ID."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(date)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a notification
    msg.set_content(absolute_links(body, base_url), charset="utf-8")
    msg["Content-Language"] = "en" if language == "en" else "th"  # after set_content, which clears Content-*
    return msg.as_bytes()


class Connection:
    """One SMTP session, opened on first use and kept for the mails of a batch."""

    def __init__(self, server: Server, *, timeout: float) -> None:
        self.server = server
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        self.sent_last = False
        """Did the last :meth:`send` reach the final ``.`` (False when ``before_end`` abandoned it)?"""

    @property
    def closed(self) -> bool:
        return self._smtp is None

    def _open(self) -> smtplib.SMTP:
        s = self.server
        try:
            smtp: smtplib.SMTP
            if s.tls:
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            # The content and the final "." are two writes: without NODELAY, Nagle's algorithm holds the "."
            # until the server's delayed ACK of the content (40 ms a mail on Linux).
            if smtp.sock is not None:
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo()
            if not s.tls and smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise Transient(f"SMTP sign-in refused: {exc.smtp_code} {exc.smtp_error!r}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise Transient(f"cannot reach the SMTP server {s.host}:{s.port}: {exc}") from None
        return smtp

    def send(self, sender: str, to: str, data: bytes, before_end: Callable[[], bool]) -> None:
        """Send one mail. ``before_end()`` runs after the whole content and before the final ``.``; if it
        answers False the mail is abandoned (the connection closed, so the server discards it).
        Raises :class:`Transient` or :class:`Permanent`; returns once the server accepted the mail."""
        self.sent_last = False
        if self._smtp is None:
            self._smtp = self._open()
        smtp = self._smtp
        try:
            self._reply(smtp.mail(sender), 250, smtp)
            self._reply(smtp.rcpt(to), (250, 251), smtp)
            smtp.putcmd("data")
            self._reply(smtp.getreply(), 354, smtp)
            content = _LEADING_DOT.sub(b"..", data)
            if not content.endswith(b"\r\n"):
                content += b"\r\n"
            smtp.send(content)
            if not before_end():
                self.close(abort=True)
                return
            smtp.send(b".\r\n")
            self._reply(smtp.getreply(), 250, smtp, after_data=True)
            self.sent_last = True
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close(abort=True)
            raise Transient(f"SMTP connection lost: {exc}") from None

    def _reply(
        self, reply: tuple[int, bytes], expected: int | tuple[int, ...], smtp: smtplib.SMTP, after_data: bool = False
    ) -> None:
        code, text = reply
        if code in ((expected,) if isinstance(expected, int) else expected):
            return
        message = f"{code} {text.decode('utf-8', 'replace')}"
        if not after_data:  # mid-transaction: reset it so the connection serves the next mail
            try:
                smtp.rset()
            except (OSError, smtplib.SMTPException):
                self.close(abort=True)
        if code == -1 or code == 421:
            self.close(abort=True)
            raise Transient(f"SMTP server closed the session: {message}")
        raise (Permanent if 500 <= code < 600 else Transient)(message)

    def close(self, abort: bool = False) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            if abort:
                smtp.close()
            else:
                smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
