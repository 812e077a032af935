"""The protocol's own check sentences, each under a stable pydantic error type.

A validator refuses with ``raise refusal("<type>", field=value)``: pydantic reports the error
under that type with the values in ``ctx``, so each reader's side words it again from its own
catalog: the daemon's 422 from this table (``pytake_daemon/http/validation_words.py``), the
console's form checks from its copy (``pytake_tui/check_words.py``). The sentence stays English
in the error's ``msg`` (logs, ``str()``). A test keeps the tables and the raises in step.
"""

from __future__ import annotations

from pydantic_core import PydanticCustomError

from pytake_i18n import N_

CHECKS: dict[str, str] = {
    "ai_a_personal_reply_has": N_("a personal reply has no department"),
    "contacts_a_name_can_t": N_("a name can't be blank (null removes it)"),
    "contacts_attribute_key_lower_case": N_(
        "attribute key {key}: lower-case letters, digits and '_', starting with a letter, "
        "at most 40 characters"
    ),
    "contacts_attribute_at_most_characters": N_(
        "attribute {key}: at most {attribute_value_length} characters"
    ),
    "conversations_a_note_can_t": N_("a note can't be blank"),
    "conversations_give_either_queue_id": N_("give either queue_id or agent_id"),
    "conversations_give_exactly_one_of": N_("give exactly one of take, agent_id or queue_id"),
    "conversations_override_capacity_applies_to": N_(
        "override_capacity applies to an agent, not a queue"
    ),
    "conversations_a_tag_can_t": N_("a tag can't be blank, a control character or contain NUL"),
    "conversations_a_tag_has_at": N_("a tag has at most {tag_length} characters: {tag}"),
    "conversations_a_tag_can_t_2": N_("a tag can't contain a comma: {tag}"),
    "flow_nodes_not_a_valid_regular": N_("not a valid regular expression: {exc}"),
    "gamification_must_not_be_blank": N_("must not be blank"),
    "gamification_give_queue_id_or": N_("give queue_id or department, not both"),
    "gamification_last_day_is_before": N_("last_day is before first_day"),
    "gamification_a_challenge_lasts_at": N_("a challenge lasts at most a year"),
    "notifications_until_must_be_after": N_("until must be after since"),
    "notifications_start_and_end_must": N_("start and end must differ"),
    "notifications_needs_a_utc_offset": N_("needs a UTC offset (e.g. 2026-12-05T18:00:00Z)"),
    "outbound_webhooks_an_http_s_url": N_(
        "an http(s) URL with a host, e.g. https://crm.example.com/hooks"
    ),
    "outbound_webhooks_no_credentials_in_the": N_(
        "no credentials in the URL: receivers verify the signature"
    ),
    "outgoing_must_be_a_single": N_("must be a single emoji, or empty to remove the reaction"),
    "outgoing_a_list_may_have": N_(
        "a list may have at most {max_list_rows} rows in all sections together, got {len}"
    ),
    "outgoing_every_section_needs_a": N_(
        "every section needs a title when the list has several sections"
    ),
    "outgoing_a_reaction_names_its": N_(
        "a reaction names its message in content.message_id; omit reply_to"
    ),
    "outgoing_fields_must_not_be_blank": N_("must not be blank"),
    "outgoing_fields_must_be_an_https": N_("must be an https:// URL"),
    "outgoing_fields_must_not_contain_whitespace": N_("must not contain whitespace"),
    "outgoing_fields_must_be_unique_repeated": N_("{what} must be unique; repeated: {repeated}"),
    "outgoing_fields_give_exactly_one_of": N_("give exactly one of media_id or link"),
    "outgoing_templates_template_parameters_cannot_contain": N_(
        "template parameters cannot contain line breaks or tabs"
    ),
    "outgoing_templates_template_parameters_cannot_contain_2": N_(
        "template parameters cannot contain more than 4 consecutive spaces"
    ),
    "outgoing_templates_give_exactly_one_of": N_("give exactly one of {choices}"),
    "outgoing_templates_a_template_header_has": N_(
        "a template header has at most one variable: give one text value, not {len}"
    ),
    "outgoing_templates_filename_is_only_allowed": N_(
        "filename is only allowed for a document header"
    ),
    "outgoing_templates_a_quick_reply_button": N_(
        "a quick_reply button takes a payload (and no text)"
    ),
    "outgoing_templates_a_url_button_takes": N_(
        "a url button takes text, the URL's variable part (and no payload)"
    ),
    "outgoing_templates_a_template_has_at": N_("a template has at most one header component"),
    "outgoing_templates_a_template_has_at_2": N_("a template has at most one body component"),
    "outgoing_templates_use_either_lists_positional": N_(
        "use either lists (positional {{{{1}}}}) or objects (named {{{{name}}}}) for every "
        "parameter of a template, not both"
    ),
    "queues_unknown_weekday_use": N_("unknown weekday {day}: use {weekdays}"),
    "unknown_time_zone": N_("unknown time zone {value} (an IANA name like America/Sao_Paulo)"),
    "queues_timeout_action_move_needs": N_("timeout_action 'move' needs timeout_queue_id"),
    "queues_timeout_action_start_flow": N_("timeout_action 'start_flow' needs timeout_flow_id"),
    "queues_overflow_action_divert_needs": N_("overflow_action 'divert' needs overflow_queue_id"),
    "queues_out_of_hours_action": N_("out_of_hours_action 'divert' needs out_of_hours_queue_id"),
    "queues_agent_id_and_to": N_("agent_id and to_queue_id need item_id"),
    "queues_with_item_id_give": N_("with item_id give exactly one of agent_id or to_queue_id"),
    "queues_override_capacity_applies_to": N_("override_capacity applies to an agent_id"),
    "queues_times_are_hh_mm": N_("{day}: times are HH:MM (00:00 to 24:00), got {start}-{end}"),
    "queues_ends_before_it_starts": N_("{day}: {start}-{end} ends before it starts"),
    "report_schedules_can_t_be_e": N_("{dataset} can't be e-mailed: choose among {names}"),
    "reports_not_a_period_use": N_("not a period: use {period_help}"),
    "reports_give_either_period_or": N_("give either period or first_day and last_day, not both"),
    "reports_first_day_and_last": N_("first_day and last_day go together"),
    "reports_last_day_is_before": N_("last_day is before first_day"),
    "reports_a_report_covers_at": N_("a report covers at most {max_days} days"),
    "tenant_config_timeout_action_move_needs": N_("timeout_action 'move' needs timeout_queue"),
    "tenant_config_timeout_action_start_flow": N_("timeout_action 'start_flow' needs timeout_flow"),
    "tenant_config_overflow_action_divert_needs": N_(
        "overflow_action 'divert' needs overflow_queue"
    ),
    "tenant_config_out_of_hours_action": N_(
        "out_of_hours_action 'divert' needs out_of_hours_queue"
    ),
    "tenant_config_versions_must_be_numbered": N_("versions must be numbered 1, 2, 3… in order"),
    "tenant_config_published_version_is_not": N_(
        "published_version {published_version} is not listed"
    ),
    "tenant_config_a_personal_reply_owner": N_("a personal reply (owner) has no department"),
}


def refusal(kind: str, **ctx: str) -> PydanticCustomError:
    """The error a validator raises for the check sentence ``kind``, its fields in ``ctx``."""
    # Formatted here, not by pydantic: its templates know no ``{{`` escapes.
    return PydanticCustomError(kind, CHECKS[kind].format(**ctx), dict(ctx))
