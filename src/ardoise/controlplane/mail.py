"""The mailer: plain-text French emails over SMTP (reviewers when a submission waits,
submitters when it is decided; the DPO of a habilitation in issue #16).

``smtp_host`` empty means no email is sent (``make run``): :meth:`Mailer.send` then returns
False and says why in the log. A failing SMTP server never fails the action that sent the
email: the action is committed first, the email is best effort and its failure is logged.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ardoise.settings import Settings

log = logging.getLogger("ardoise.mail")
TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    body: str


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host.strip()
        self.port = settings.smtp_port
        self.user = settings.smtp_user
        self._password = settings.smtp_password.reveal()
        self.starttls = settings.smtp_starttls
        self.sender = settings.smtp_sender
        self.public_url = settings.public_url  # the links of the mails

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    def message(self, mail: Mail) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = ", ".join(mail.to)
        msg["Subject"] = mail.subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain="ardoise")
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies
        msg.set_content(mail.body)
        return msg

    def send(self, mail: Mail) -> bool:
        """Send ``mail``; False (logged) when disabled, without recipient, or on failure."""
        recipients = tuple(dict.fromkeys(a for a in mail.to if a))
        if not recipients:
            return False
        if not self.enabled:
            log.info("courriel non envoyé (ARDOISE_SMTP_HOST vide) : %s", mail.subject)
            return False
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_S) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self._password)
                smtp.send_message(self.message(Mail(recipients, mail.subject, mail.body)))
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("courriel non envoyé (%s) : %s", type(exc).__name__, mail.subject)
            return False
        return True

    def send_all(self, mails: Sequence[Mail]) -> int:
        """Send each mail; how many were sent."""
        return sum(self.send(m) for m in mails)
