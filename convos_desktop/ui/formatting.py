"""Short human forms of times, dates and sizes, in the UI language."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QCoreApplication, QDate, QLocale, QTime


def _local(value: dt.datetime) -> dt.datetime:
    return value.astimezone()


def short_time(value: dt.datetime, now: dt.datetime | None = None) -> str:
    """``14:05`` today, ``yesterday``-free ``12/03`` otherwise (the ticket list)."""
    local = _local(value)
    today = _local(now or dt.datetime.now(dt.UTC)).date()
    locale = QLocale()
    if local.date() == today:
        return locale.toString(QTime(local.hour, local.minute), QLocale.FormatType.ShortFormat)
    if local.year == today.year:
        return locale.toString(QDate(local.year, local.month, local.day), day_month_format(locale))
    return locale.toString(
        QDate(local.year, local.month, local.day), QLocale.FormatType.ShortFormat
    )


def day_month_format(locale: QLocale) -> str:
    """``d MMM`` (4 dic) or, where the locale puts the month first, ``MMM d`` (Dec 4)."""
    short = locale.dateFormat(QLocale.FormatType.ShortFormat)
    return "MMM d" if short.find("M") < short.find("d") else "d MMM"


def clock_time(value: dt.datetime) -> str:
    """``14:05`` in local time (inside a message bubble)."""
    local = _local(value)
    return QLocale().toString(QTime(local.hour, local.minute), QLocale.FormatType.ShortFormat)


def day_label(day: dt.date, today: dt.date | None = None) -> str:
    """``Today``, ``Yesterday`` or the long date (the chat's day separators)."""
    today = today or dt.date.today()
    if day == today:
        return QCoreApplication.translate("Formatting", "Today")
    if day == today - dt.timedelta(days=1):
        return QCoreApplication.translate("Formatting", "Yesterday")
    return QLocale().toString(QDate(day.year, day.month, day.day), QLocale.FormatType.LongFormat)


def format_size(size: int) -> str:
    """A size such as ``1.3 MB`` in the UI locale, 1024-based as the limits are stated
    (100 KB = 102,400 bytes, 25 MiB); a whole number of units has no decimals (``25 MB``)."""
    unit = 1024 ** max(0, (max(size, 1).bit_length() - 1) // 10)
    decimals = 0 if size % unit == 0 else 1
    return QLocale().formattedDataSize(
        size, decimals, QLocale.DataSizeFormat.DataSizeTraditionalFormat
    )


def local_date(value: dt.datetime) -> str:
    """The local date in the UI locale's short form (``04/12/26``, ``12/4/26``)."""
    local = _local(value)
    return QLocale().toString(
        QDate(local.year, local.month, local.day), QLocale.FormatType.ShortFormat
    )


def local_date_time(value: dt.datetime) -> str:
    """The local date and time in the UI locale's short form (``04/12/26 14:05``)."""
    local = _local(value)
    return f"{local_date(value)} {clock_time(local)}"


def whole_number(value: int) -> str:
    """An integer with the UI locale's digit grouping (``12.345``, ``12,345``)."""
    return QLocale().toString(value)


def format_duration(seconds: float) -> str:
    """A duration in its two largest units: ``45 s``, ``3 min``, ``2 h 5 min``, ``3 d 4 h``."""
    tr = QCoreApplication.translate
    total = round(seconds)
    if total < 60:
        return tr("Formatting", "{n} s").format(n=total)
    minutes, _ = divmod(total, 60)
    if minutes < 60:
        return tr("Formatting", "{n} min").format(n=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if not minutes:
            return tr("Formatting", "{h} h").format(h=hours)
        return tr("Formatting", "{h} h {m} min").format(h=hours, m=minutes)
    days, hours = divmod(hours, 24)
    if not hours:
        return tr("Formatting", "{d} d").format(d=days)
    return tr("Formatting", "{d} d {h} h").format(d=days, h=hours)
