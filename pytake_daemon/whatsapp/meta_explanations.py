"""What an agent reads about a failed send: a plain sentence per Meta error code, in the
language in force (``explain``). A stored English one is said again by
``conversations.explanations.explanation_in``, which reads the form written here.

Split from ``meta_errors`` (which decides what to do about each code) so that module stays a
readable size; ``meta_errors`` re-exports ``explain`` (and ``explanation_in``).
"""

from __future__ import annotations

from pytake_daemon.i18n import N_, _, gettext

_PERMISSION = N_(
    "The WhatsApp access token for this number lacks a permission this needs: an admin must "
    "grant whatsapp_business_messaging and whatsapp_business_management to the app."
)

_EXPLANATIONS: dict[int, str] = {
    0: N_(
        "WhatsApp could not authenticate the access token for this number: an admin must update it."
    ),
    1: N_("WhatsApp's API had an unexpected problem; the message will be retried."),
    2: N_("WhatsApp's service is temporarily unavailable; the message will be retried."),
    3: _PERMISSION,
    4: N_("Too many requests to WhatsApp from this app; the message will be retried."),
    10: _PERMISSION,
    17: N_("Too many requests to WhatsApp from this account; the message will be retried."),
    33: N_(
        "This business phone number no longer exists at Meta: an admin must check its settings."
    ),
    100: N_("WhatsApp rejected a parameter of this message."),
    190: N_(
        "The WhatsApp access token for this number is invalid or expired: an admin must update it."
    ),
    341: N_("This app reached a WhatsApp limit; the message will be retried."),
    368: N_(
        "This WhatsApp Business account is temporarily blocked for policy violations: nothing "
        "can be sent until the block ends."
    ),
    613: N_("Too many requests to WhatsApp; the message will be retried."),
    80007: N_(
        "This WhatsApp Business account reached its rate limit; the message will be retried."
    ),
    130429: N_("Sending too fast for this number; the message will be retried."),
    130472: N_(
        "WhatsApp didn't deliver this marketing message: the customer is part of a Meta experiment."
    ),
    130497: N_("This business account may not message customers in this country."),
    131000: N_("Something went wrong at WhatsApp; the message will be retried a few times."),
    131005: _PERMISSION,
    131008: N_("A required part of this message is missing."),
    131009: N_("A value in this message is not valid."),
    131016: N_("A WhatsApp service is temporarily unavailable; the message will be retried."),
    131021: N_("A business number cannot send messages to itself."),
    131026: N_(
        "WhatsApp couldn't deliver this message (the number may not be on WhatsApp, or the "
        "customer's app is too old)."
    ),
    131031: N_(
        "This WhatsApp Business account is locked (policy violation or failed verification): "
        "nothing can be sent."
    ),
    131037: N_(
        "This business number has no approved display name yet, so WhatsApp won't send from it: "
        "an admin must get the display name approved."
    ),
    131042: N_("A payment problem on the WhatsApp Business account: an admin must fix billing."),
    131045: N_("This phone number is not registered correctly: an admin must register it again."),
    131047: N_(
        "More than 24 hours have passed since the customer last wrote: only an approved "
        "template can be sent now."
    ),
    131048: N_(
        "Sending from this number is limited because earlier messages were reported as spam; "
        "try again later."
    ),
    131049: N_(
        "WhatsApp didn't deliver this marketing message, to limit how many the customer "
        "receives; try again later."
    ),
    131050: N_("The customer has stopped marketing messages from this business."),
    131051: N_("WhatsApp doesn't support this message type."),
    131052: N_("WhatsApp couldn't download the media the customer sent."),
    131053: N_(
        "WhatsApp couldn't use this message's media (unsupported type or size, or the link "
        "could not be fetched)."
    ),
    131056: N_(
        "Too many messages to this customer in a short time; the message will be retried later."
    ),
    131057: N_("The WhatsApp Business account is in maintenance; the message will be retried."),
    131062: N_(
        "This customer is known only by their WhatsApp username (no phone number), and this "
        "message needs a phone number: authentication templates with one-tap, zero-tap or "
        "copy-code buttons can't be sent to them. Ask the customer to share their phone first."
    ),
    131063: N_(
        "Marketing templates are turned off for this account on the Cloud API: send them "
        "through Meta's Marketing Messages API, or pick a utility template."
    ),
    131064: N_(
        "This account reached its messaging limit after templates were reclassified for "
        "breaking WhatsApp's category rules: wait for the limit to reset and review the "
        "templates' categories."
    ),
    132000: N_("The number of template parameters doesn't match the template's placeholders."),
    132001: N_("This template doesn't exist in this language, or isn't approved yet."),
    132005: N_("The template's text is too long once its parameters are filled in."),
    132007: N_("The template's content breaks WhatsApp's policies."),
    132012: N_(
        "A template parameter has the wrong kind (e.g. text where the header expects an image)."
    ),
    132015: N_("This template is paused because of low quality: pick another template."),
    132016: N_("This template is disabled because of low quality: pick another template."),
    132018: N_(
        "A template parameter contains a line break, a tab or more than 4 consecutive spaces."
    ),
    133004: N_("WhatsApp's server is temporarily unavailable; the message will be retried."),
    133010: N_("This phone number isn't registered on WhatsApp: an admin must register it."),
    135000: N_("WhatsApp refused the message for an unknown reason."),
}

# Codes whose ``details`` name the offending field or value: worth showing to the agent.
_WITH_DETAILS = frozenset(
    {100, 131008, 131009, 131051, 131053, 132000, 132001, 132005, 132012, 132018, 135000}
)


def explain(code: int | None, details: str | None = None, *, message: str | None = None) -> str:
    """A plain sentence for an agent about a failed send, in the language in force.

    ``details`` (Meta's ``error_data.details``) is added for the codes where it names what is
    wrong; ``message`` (Meta's own text) is used only for codes without a known explanation.
    Meta's words are quoted as Meta wrote them (English): only ours are translated.
    """
    known = _EXPLANATIONS.get(code) if code is not None else None
    if known is None and code is not None and 200 <= code <= 299:
        known = _PERMISSION
    if known is not None:
        if details and code in _WITH_DETAILS:
            said = as_sentence(details)
            return _("{known} Meta says: {said}", known=gettext(known), said=said).say()
        return gettext(known)
    said = as_sentence(message or details or "")
    if code is None:
        if said:
            return _("WhatsApp could not be reached or answered oddly: {said}", said=said).say()
        return gettext(N_("WhatsApp could not be reached; the message will be retried."))
    if said:
        return _("WhatsApp refused the message (error {code}): {said}", code=code, said=said).say()
    return _("WhatsApp refused the message (error {code}).", code=code).say()


def as_sentence(text: str) -> str:
    """Meta's text as one sentence: blanks collapsed, a full stop when it has none."""
    text = " ".join(text.split())
    if text and text[-1] not in ".!?":
        text += "."
    return text
