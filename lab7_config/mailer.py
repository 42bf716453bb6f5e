"""Email over SMTP, when SMTP_HOST is set: the notification a user actually sees."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from .settings import Settings

SMTP_SECONDS = 10


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def enabled(self) -> bool:
        return bool(self.settings.smtp_host)

    def send(self, to: str, subject: str, text: str) -> None:
        """Send one message; an error (the server is down, refuses) raises, and the consumer retries."""
        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text)
        with smtplib.SMTP(self.settings.smtp_host, self.settings.smtp_port, timeout=SMTP_SECONDS) as smtp:
            smtp.send_message(message)
