"""The document's reading and comparison without a database: paths, what a missing part means,
and the stable text."""

from __future__ import annotations

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.onboarding import TenantProfile
from pytake_daemon.protocol.tenant_config import (
    AgentConfig,
    ChangeKind,
    FlowConfig,
    QueueConfig,
    TenantConfig,
    TenantSection,
    UserConfig,
)
from pytake_daemon.tenant_config.diff import check_against, compare, parse_document, path_of
from pytake_daemon.tenant_config.export import dump_yaml


def test_paths_read_like_the_file() -> None:
    assert path_of(("queues", 2, "max_size")) == "queues[2].max_size"
    assert path_of(("flows", 0, "versions", 1, "definition", "nodes", 3)) == (
        "flows[0].versions[1].definition.nodes[3]"
    )
    assert path_of(()) == "(document)"


def test_yaml_errors_name_the_line() -> None:
    config, problems = parse_document("version: 1\nqueues:\n  - name: [\n")
    assert config is None
    assert problems[0].loc.startswith("line ")
    assert problems[0].msg.startswith("not valid YAML")
    _, problems = parse_document("- just a list\n")
    assert problems[0].msg == "must be a mapping with 'version: 1' at the top"


def test_left_out_parts_are_kept() -> None:
    """No profile, no agent settings, no sections: the tenant keeps what it has."""
    profile = TenantProfile(business_name="Acme", segment="retail")
    current = TenantConfig(
        version=1,
        tenant=TenantSection(name="Acme", profile=profile),
        users=[
            UserConfig(email="o@a.test", name="O", role=Role.OWNER, agent=AgentConfig(capacity=5))
        ],
        queues=[],
    )
    wanted = TenantConfig(
        version=1,
        tenant=TenantSection(name="Acme"),
        users=[UserConfig(email="o@a.test", name="O", role=Role.OWNER)],
    )
    changes = compare(wanted, current)
    assert [(c.section, c.kind) for c in changes] == [
        ("tenant", ChangeKind.UNCHANGED),
        ("users", ChangeKind.UNCHANGED),
    ]
    assert check_against(wanted, current, by_role=Role.OWNER) == []
    nobody = wanted.model_copy(update={"users": []})
    problems = check_against(nobody, current, by_role=Role.OWNER, caller="o@a.test")
    assert [p.msg for p in problems] == [
        "leaves the tenant without an enabled owner",
        "would disable you (o@a.test): list yourself",
    ]


def test_the_text_is_stable() -> None:
    config, problems = parse_document(
        "version: 1\nintents:\n  - name: refund\n    keywords: [reembolso]\n"
        "queues:\n  - name: B\n  - name: A\n    business_hours: {mon: [['09:00', '18:00']]}\n"
    )
    assert problems == []
    assert config is not None
    text = dump_yaml(config)
    again, _ = parse_document(text)
    assert again is not None
    assert dump_yaml(again) == text
    # Times stay strings: YAML 1.1 would read an unquoted 18:00 as 1,080 (base 60).
    assert "'18:00'" in text
    assert again.queues is not None
    assert again.queues[1].business_hours == {"mon": [("09:00", "18:00")]}


def test_a_flow_a_queue_starts_stays_published() -> None:
    flow = FlowConfig.model_validate(
        {
            "name": "Welcome",
            "published_version": 1,
            "versions": [
                {
                    "version": 1,
                    "definition": {
                        "nodes": [
                            {"id": "s", "type": "trigger_universal"},
                            {"id": "m", "type": "msg_text", "text": "oi"},
                        ],
                        "edges": [{"source": "s", "target": "m", "branch": "next"}],
                    },
                }
            ],
        }
    )
    queue = QueueConfig(name="Support", timeout_action="start_flow", timeout_flow="Welcome")
    current = TenantConfig(version=1, queues=[queue], flows=[flow])
    archived = flow.model_copy(update={"archived": True})
    problems = check_against(TenantConfig(version=1, flows=[archived]), current, by_role=Role.OWNER)
    assert [(p.loc, p.msg) for p in problems] == [
        ("flows", "queue 'Support' starts 'Welcome' on a timeout: keep it published")
    ]
    problems = check_against(TenantConfig(version=1, flows=[]), current, by_role=Role.OWNER)
    assert len(problems) == 1
    assert check_against(TenantConfig(version=1, flows=[flow]), current, by_role=Role.OWNER) == []
