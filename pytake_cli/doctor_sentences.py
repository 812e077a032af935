"""``pytake doctor``'s check names and sentences in the CLI's language.

The checks live in the daemon (``pytake_daemon.system.checks`` and ``whatsapp_checks``), which
also answers ``GET /api/v1/system/checks`` and words them in English there. The doctor says them
again at the CLI's boundary: each shape below is a daemon sentence with its fields named, paired
with the CLI's msgid. What a server or a library said (an exception's text, Meta's explanation,
which the daemon already words in the language in force) stays inside a field as it came.
``tests/cli/test_doctor_language.py`` runs the doctor in Portuguese, so a sentence the daemon
rewords without this table following shows up there in English.
"""

from __future__ import annotations

from pytake_cli.i18n import N_, SentenceShapes

_NAMES = (
    ("graph api {number}", N_("graph api {number}")),
    ("templates {account}", N_("templates {account}")),
)
_NAME_WORDS = {
    name: name
    for name in (
        N_("database"),
        N_("redis"),
        N_("clock"),
        N_("secrets key"),
        N_("graph api"),
        N_("templates"),
        N_("webhook"),
        N_("backup storage"),
        N_("smtp"),
        N_("outbound http"),
        N_("disk"),
    )
}

_DETAILS = (
    # pytake_daemon/system/checks.py
    N_("no answer within {seconds} s"),
    N_("PostgreSQL can't be reached with database.url: {why}"),
    N_("PostgreSQL can't be reached with database.url"),
    N_("PostgreSQL can't be used: {error}"),
    N_(
        "schema at version {version}, {count} migration(s) not applied ({names}): run 'pytake "
        "migrate up'"
    ),
    N_("PostgreSQL answers; the schema is at version {version} of {latest}, current"),
    N_("Redis can't be reached: {error}"),
    N_("Redis refused PING: {error}"),
    N_("Redis answers PING in {ms} ms"),
    N_(
        "PostgreSQL's clock is {skew} s ahead of this machine's (at most {limit} s): synchronise "
        "both with NTP"
    ),
    N_(
        "PostgreSQL's clock is {skew} s behind this machine's (at most {limit} s): synchronise "
        "both with NTP"
    ),
    N_("this machine's clock and PostgreSQL's agree within {ms} ms"),
    N_("the numbers could not be read from the database"),
    N_(
        "the secrets of number(s) {numbers} can't be decrypted with this key (fingerprint {keys},"
        " from {source}): configure the key that encrypted them (docs/operations.md)"
    ),
    N_("every number's secrets decrypt with key {keys} ({source})"),
    N_("{where}: the probe object read back differs from the one written"),
    N_("{where}: a probe object was written, read back and deleted"),
    N_("the SMTP settings could not be read from the database"),
    N_("no tenant has SMTP settings (PUT /api/v1/notifications/smtp)"),
    N_("SMTP server {where}: {error}"),
    N_("connected and logged in to {servers} without sending"),
    N_("connected to {servers} without sending"),
    N_("{host}:{port} (tenant {tenant})"),
    N_(
        "flows.http_allowed lets flows call 169.254.169.254 (cloud metadata, credentials): narrow"
        " it"
    ),
    N_("DNS can't resolve {host}: {error}"),
    N_(
        "the flows' SSRF guard refuses private and local addresses except {addresses} "
        "(flows.http_allowed); {host} resolves to {address}"
    ),
    N_("the flows' SSRF guard refuses private and local addresses; {host} resolves to {address}"),
    N_("state dir {path}: {error}"),
    N_(
        "only {free} GiB ({share}) free for the state dir {path}: PostgreSQL stops writing when "
        "its disk is full"
    ),
    N_("{free} GiB ({share}) free for the state dir {path}"),
    # pytake_daemon/system/whatsapp_checks.py
    N_("no WhatsApp number is configured ('pytake numbers add')"),
    N_(
        "number {number}'s access token can't be decrypted with this secrets key (see the secrets"
        " key check)"
    ),
    N_("number {number} (tenant {tenant})"),
    N_("account {account} (tenant {tenant})"),
    N_("the Graph API refused {label}: {explanation}"),
    N_("{label} answers as {phone} ({verified_name})"),
    N_("{label} answers as {phone}"),
    N_("the Graph API answered for {found} when asked for {label}"),
    N_("templates of {label} can't be read: {explanation}"),
    N_("{label}: its templates can be read, so a sync will work"),
    N_("{label}: it has no templates yet, so a sync will work"),
    N_("server.public_url is not set, so Meta's path to the webhook is unknown"),
    N_("no verify token to try: no number and no whatsapp.verify_token"),
    N_("{url} can't be reached: {error}"),
    N_(
        "{url} answered {status} to Meta's verify-token handshake instead of echoing the "
        "challenge: check the proxy in front of the daemon"
    ),
    N_("{url} echoes Meta's verify-token handshake"),
)

_CHECK_NAMES = SentenceShapes(_NAMES, _NAME_WORDS)
# Each msgid is the daemon's English sentence itself, so it is also its own shape.
_CHECK_DETAILS = SentenceShapes([(sentence, sentence) for sentence in _DETAILS])


def check_name(name: str) -> str:
    """A check's name (``database``, ``graph api 1065…``) in the language in force."""
    return _CHECK_NAMES.say(name)


def check_detail(detail: str) -> str:
    """A check's sentence in the language in force; one the table doesn't know, as written."""
    return _CHECK_DETAILS.say(detail)
