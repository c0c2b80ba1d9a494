"""6 · Notify: rendering (pure) and sending (I/O) of mails and reports."""

from rospoll.notify.delivery import DeliveryState, DeliveryThread
from rospoll.notify.digest import Digest
from rospoll.notify.mail import MailRejectedError, MailSettings, send_message
from rospoll.notify.message import compose_message
from rospoll.notify.notifier import Notifier
from rospoll.notify.outbox import Backoff, Outbox, Pending
from rospoll.notify.render import RenderedEmail, render_email
from rospoll.notify.report import ChangeReport
from rospoll.notify.site import ReportSite

__all__ = [
    "Backoff",
    "ChangeReport",
    "DeliveryState",
    "DeliveryThread",
    "Digest",
    "MailRejectedError",
    "MailSettings",
    "Notifier",
    "Outbox",
    "Pending",
    "RenderedEmail",
    "ReportSite",
    "compose_message",
    "render_email",
    "send_message",
]
