"""Read a document (every problem with its path in the file) and compare it with the tenant as it
is: created / changed / unchanged / deleted, per item. Pure: no database here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from pytake_daemon.flows.validation import check_definition
from pytake_daemon.http.validation_words import validation_sentence
from pytake_daemon.i18n import _
from pytake_daemon.protocol import ProblemField, Role
from pytake_daemon.protocol.tenant_config import (
    CONFIG_VERSION,
    ChangeKind,
    ConfigChange,
    TenantConfig,
    TenantSection,
    UserConfig,
)
from pytake_daemon.tenant_config.export import reply_key
from pytake_i18n import DEFAULT_LANGUAGE

# Sections that are lists, and how an item is named in a diff line.
KEYS: dict[str, Callable[[Any], str]] = {
    "users": lambda u: u.email,
    "queues": lambda q: q.name,
    "flows": lambda f: f.name,
    "templates": lambda t: f"{t.waba_id}/{t.name}/{t.language}",
    "canned_responses": reply_key,
    "intents": lambda i: i.name,
}
SINGLETONS = ("tenant", "ai", "notifications")
# What a deletion means where rows carry history (ids referenced by conversations, sessions…).
DELETE_NOTES = {
    "users": "disabled: their history stays",
    "queues": "deactivated: its history stays",
    "flows": "archived: its sessions stay",
    "templates": "the local copy only: Meta keeps its own",
}


def path_of(loc: Sequence[str | int]) -> str:
    """``("queues", 2, "max_size")`` → ``queues[2].max_size``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def _problem(loc: str, msg: str, kind: str = "value_error") -> ProblemField:
    return ProblemField(loc=loc, msg=msg, type=kind)


def parse_document(text: str) -> tuple[TenantConfig | None, list[ProblemField]]:
    """The document when it is valid, and every problem found in it."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "(document)"
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [_problem(where, _("not valid YAML: {reason}", reason=reason), "yaml")]
    if not isinstance(data, dict):
        return None, [_problem("(document)", _("must be a mapping with 'version: 1' at the top"))]
    if data.get("version") != CONFIG_VERSION:
        found = data.get("version")
        return None, [
            _problem(
                "version",
                _(
                    "this daemon reads version {version}, found {found}",
                    version=CONFIG_VERSION,
                    found=repr(found),
                ),
            )
        ]
    try:
        config = TenantConfig.model_validate(data)
    except ValidationError as exc:
        return None, [
            # Worded from pydantic's error, in English: said again in the reader's language
            # where it is shown (the problem document, the CLI), as any marked sentence.
            _problem(path_of(e["loc"]), validation_sentence(e, DEFAULT_LANGUAGE), e["type"])
            for e in exc.errors(include_url=False, include_input=False)
        ]
    problems = _duplicates(config) + _flow_graphs(config)
    return (None if problems else config), problems


def _duplicates(config: TenantConfig) -> list[ProblemField]:
    problems = []
    for section, key in KEYS.items():
        items = getattr(config, section)
        if items is None:
            continue
        seen: dict[str, int] = {}
        for index, item in enumerate(items):
            name = key(item)
            if name in seen:
                problems.append(
                    _problem(
                        f"{section}[{index}]",
                        _(
                            "{name} is already {section}[{index}]",
                            name=repr(name),
                            section=section,
                            index=seen[name],
                        ),
                    )
                )
            seen.setdefault(name, index)
    return problems


def _flow_graphs(config: TenantConfig) -> list[ProblemField]:
    problems = []
    for i, flow in enumerate(config.flows or []):
        for j, version in enumerate(flow.versions):
            for p in check_definition(version.definition):
                where = f"flows[{i}].versions[{j}].definition"
                node = f" (node {p.node_id})" if p.node_id else ""
                problems.append(_problem(f"{where}.{p.field}", f"{p.message}{node}", "flow"))
    return problems


def check_against(
    wanted: TenantConfig, current: TenantConfig, *, by_role: Role, caller: str | None = None
) -> list[ProblemField]:
    """What the document names that the tenant won't have once it is applied, and changes the
    caller's role may not make; ``caller`` (an e-mail) must stay an enabled user."""
    problems: list[ProblemField] = []
    users = wanted.users if wanted.users is not None else current.users or []
    emails = {u.email for u in users}
    if wanted.users is not None:
        problems += _user_rules(wanted.users, current.users or [], by_role)
        if caller is not None and not any(u.email == caller and not u.disabled for u in users):
            problems.append(
                _problem("users", _("would disable you ({caller}): list yourself", caller=caller))
            )
    queues = wanted.queues if wanted.queues is not None else current.queues or []
    queue_names = {q.name for q in queues}
    flows = {f.name: f for f in (wanted.flows if wanted.flows is not None else current.flows or [])}
    for i, queue in enumerate(wanted.queues or []):
        for field in ("timeout_queue", "overflow_queue", "out_of_hours_queue"):
            target = getattr(queue, field)
            if target is not None and (target == queue.name or target not in queue_names):
                why = (
                    _("{target}: can't be the queue itself", target=repr(target))
                    if target == queue.name
                    else _("{target}: no such queue", target=repr(target))
                )
                problems.append(_problem(f"queues[{i}].{field}", why))
        if queue.timeout_flow is not None:
            flow = flows.get(queue.timeout_flow)
            if flow is None or flow.published_version is None or flow.archived:
                problems.append(
                    _problem(
                        f"queues[{i}].timeout_flow",
                        _("{flow}: no such published flow", flow=repr(queue.timeout_flow)),
                    )
                )
    if wanted.queues is None and wanted.flows is not None:
        # The queues stay as they are: a flow one of them starts must stay published.
        for queue in current.queues or []:
            flow = flows.get(queue.timeout_flow or "")
            if queue.timeout_flow is not None and (
                flow is None or flow.published_version is None or flow.archived
            ):
                problems.append(
                    _problem(
                        "flows",
                        _(
                            "queue {queue} starts {flow} on a timeout: keep it published",
                            queue=repr(queue.name),
                            flow=repr(queue.timeout_flow),
                        ),
                    )
                )
    for i, reply in enumerate(wanted.canned_responses or []):
        if reply.owner is not None and reply.owner not in emails:
            problems.append(
                _problem(f"canned_responses[{i}].owner", _("no user {owner}", owner=reply.owner))
            )
    stored = {f.name: f for f in current.flows or []}
    for i, flow in enumerate(wanted.flows or []):
        before = stored.get(flow.name)
        if before is None:
            continue
        if len(flow.versions) < len(before.versions):
            problems.append(
                _problem(
                    f"flows[{i}].versions",
                    _(
                        "the tenant has {n} versions: versions are never removed",
                        n=len(before.versions),
                    ),
                )
            )
        for j, (mine, theirs) in enumerate(zip(flow.versions, before.versions, strict=False)):
            if _data(mine) != _data(theirs):
                problems.append(
                    _problem(
                        f"flows[{i}].versions[{j}]",
                        _(
                            "differs from the stored version {version}: versions never "
                            "change, add a new one",
                            version=theirs.version,
                        ),
                    )
                )
    return problems


def _user_rules(
    wanted: list[UserConfig], current: list[UserConfig], by_role: Role
) -> list[ProblemField]:
    problems = []
    before = {u.email: u for u in current}
    for i, user in enumerate(wanted):
        old = before.get(user.email)
        if old is not None and _data(old, "agent") == _data(user, "agent"):
            continue  # agent settings alone are a supervisor's business
        needed = max(user.role, old.role if old else user.role, key=lambda r: r.rank)
        if not by_role.at_least(needed):
            problems.append(_problem(f"users[{i}].role", _needs(needed, by_role)))
    listed = {u.email for u in wanted}
    for email, old in before.items():
        if email not in listed and not old.disabled and not by_role.at_least(old.role):
            problems.append(
                _problem(
                    "users",
                    _(
                        "disabling {email} needs the {role} role (this import runs as {by_role})",
                        email=email,
                        role=old.role.value,
                        by_role=by_role.value,
                    ),
                )
            )
    if not any(u.role is Role.OWNER and not u.disabled for u in wanted):
        problems.append(_problem("users", _("leaves the tenant without an enabled owner")))
    return problems


def _needs(role: Role, by_role: Role) -> str:
    return _(
        "needs the {role} role (this import runs as {by_role})",
        role=role.value,
        by_role=by_role.value,
    )


def _data(model: BaseModel | None, *leave_out: str) -> dict[str, Any]:
    if model is None:
        return {}
    data = model.model_dump(mode="json", exclude_none=True, by_alias=True)
    return {k: v for k, v in data.items() if k not in leave_out}


def compare(wanted: TenantConfig, current: TenantConfig) -> list[ConfigChange]:
    """Every item of the document's sections against the tenant, then what it would delete."""
    changes: list[ConfigChange] = []
    for section in SINGLETONS:
        mine = getattr(wanted, section)
        if mine is not None:
            # A tenant listed without a profile keeps the one it has (it is never removed).
            keep = ("profile",) if isinstance(mine, TenantSection) and mine.profile is None else ()
            fields = _differing(_data(mine, *keep), _data(getattr(current, section), *keep))
            kind = ChangeKind.CHANGED if fields else ChangeKind.UNCHANGED
            changes.append(
                ConfigChange(section=section, key=section, path=section, kind=kind, fields=fields)
            )
    for section, key in KEYS.items():
        items = getattr(wanted, section)
        if items is None:
            continue
        stored = {key(item): item for item in getattr(current, section) or []}
        for index, item in enumerate(items):
            name = key(item)
            before = stored.pop(name, None)
            path = f"{section}[{index}]"
            if before is None:
                changes.append(
                    ConfigChange(section=section, key=name, path=path, kind=ChangeKind.CREATED)
                )
                continue
            # A user listed without agent settings keeps the ones they have.
            leave_out = ("agent",) if isinstance(item, UserConfig) and item.agent is None else ()
            fields = _differing(_data(item, *leave_out), _data(before, *leave_out))
            kind = ChangeKind.CHANGED if fields else ChangeKind.UNCHANGED
            changes.append(
                ConfigChange(section=section, key=name, path=path, kind=kind, fields=fields)
            )
        for name, before in stored.items():
            if section == "users" and before.disabled:
                continue  # already as good as deleted
            if section == "queues" and not before.active:
                continue
            if section == "flows" and before.archived:
                continue
            changes.append(
                ConfigChange(
                    section=section,
                    key=name,
                    path=None,
                    kind=ChangeKind.DELETED,
                    note=DELETE_NOTES.get(section),
                )
            )
    return changes


def _differing(mine: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    return [k for k in {**theirs, **mine} if mine.get(k) != theirs.get(k)]


def summary(changes: Sequence[ConfigChange]) -> dict[str, int]:
    """How many items of each kind (for the audit entry and the CLI's last line)."""
    counts = Counter(change.kind.value for change in changes)
    return {kind.value: counts.get(kind.value, 0) for kind in ChangeKind}
