"""Personal data kept out of logs, dead letters and traces (个人信息脱敏), in one place.

What a service writes about its own failures (log lines, dead-letter headers and the dead-letter store's error
text, trace span status) can quote the data that failed: an exception's message, a SQL statement's parameters.
:func:`redact` masks what identifies a person there: resident ID numbers (居民身份证号, GB 11643), mobile phone
numbers and bank card numbers, keeping just enough to tell two apart (``430104********123X``, ``138****8000``,
``************1234``). SQL parameters never reach error text at all (``hide_parameters`` on every engine,
:mod:`exchange.db.database`). :func:`install_log_redaction` applies :func:`redact` to every log record of the
process, its traceback included.

Not covered by a pattern: names and addresses in free text. They stay out by the rule that errors name fields,
not values (``contracts.text`` problems give the path and what is wrong, never the value).
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactingFormatter", "install_log_redaction", "redact"]

_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])([1-9]\d{5})(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}([0-9Xx])(?![0-9A-Za-z])"
)
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_BANK_CARD = re.compile(r"(?<![\d.:-])\d{12,15}(\d{4})(?![\d.:-])")
# pydantic quotes the value it refused (`input_value='张三'`): a name or address would ride along. Not kept at all.
_INPUT_VALUE = re.compile(r"input_value=(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\{[^}]*\}|\[[^\]]*\]|[^,\]\s]*)")
# What any of the four needs: every number above has 11 digits in a row or more. Most text (span names, ids,
# topics) has neither, and one search tells so (a trace exports every span's every string through here).
_MAYBE_PERSONAL = re.compile(r"\d{11}|input_value=")


def redact(text: str) -> str:
    """``text`` with ID numbers, mobile numbers and bank card numbers masked, and values quoted by a validation
    error left out."""
    if _MAYBE_PERSONAL.search(text) is None:
        return text
    text = _INPUT_VALUE.sub("input_value=<hidden>", text)
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(0)[-4:]}", text)
    text = _PHONE.sub(r"\1****\2", text)
    return _BANK_CARD.sub(lambda m: "*" * (len(m.group(0)) - 4) + m.group(1), text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then masks the whole line, traceback included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


_installed = False


def install_log_redaction() -> None:
    """Every log record made in this process from now on has its message masked when it is made (so every
    handler, and a test's log capture, sees it masked); :class:`RedactingFormatter` on the handlers masks the
    tracebacks as well. Idempotent."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def masked(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call is logging's to report, when the record is emitted
            return record
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(masked)
    _installed = True
