"""What the demo's workspace is made of, in the language it is seeded in: the names a person
reads (the shop, the queues and their descriptions, the flow's description), the two queues and
the ready-made flow. ``demo_seed`` puts them in place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytake_daemon.protocol.flows import FlowDocument
from pytake_daemon.protocol.queues import QueueSettings
from pytake_i18n import get_language, normalize

FLOW_NAME = "demo"


@dataclass(frozen=True)
class DemoWords:
    """The names a person reads in the seeded workspace, in the language the demo is seeded in
    (``words_for``): the first run's language stays, since a later run finds its queues."""

    language: str
    shop: str
    owner_name: str
    sales: str
    support: str
    sales_description: str
    support_description: str
    flow_description: str


ENGLISH = DemoWords(
    language="en",
    shop="Demo Shop",
    owner_name="Demo Owner",
    sales="Sales",
    support="Support",
    sales_description="New orders and quotes.",
    support_description="Deliveries, returns, billing.",
    flow_description="Ready-made demo: greets in Portuguese and English, hands over to a queue.",
)
PORTUGUESE = DemoWords(
    language="pt_BR",
    shop="Loja Demo",
    owner_name="Dono da Loja Demo",
    sales="Vendas",
    support="Suporte",
    sales_description="Orçamentos e pedidos novos.",
    support_description="Entregas, trocas, cobranças.",
    flow_description="Demo pronta: saúda em português e inglês e passa para uma fila.",
)
SEEDED_WORDS = (ENGLISH, PORTUGUESE)


def words_for(language: str | None = None) -> DemoWords:
    """The demo's names in ``language`` (else the language in force: ``--lang``,
    ``PYTAKE_LANG``, the system locale); English for any language but Portuguese."""
    return PORTUGUESE if normalize(language or get_language()) == "pt_BR" else ENGLISH


TENANT_NAME = ENGLISH.shop

# The bracketed estimate is left out when the queue has no measured figures yet. The customers
# write in either language, so what they read is said in both.
_WELCOME = (
    "Você é o número {position} na fila {queue}[ (~{wait_minutes} min)]. "
    "You are number {position} in the {queue} queue[ (~{wait_minutes} min)]."
)
_POSITION = "Agora você é o número {position}. You are now number {position}."


def queues(words: DemoWords = ENGLISH) -> tuple[QueueSettings, ...]:
    """Sales and Support, named in ``words``' language."""
    return (
        QueueSettings(
            name=words.sales,
            description=words.sales_description,
            welcome_message=_WELCOME,
            position_message=_POSITION,
        ),
        QueueSettings(
            name=words.support,
            description=words.support_description,
            welcome_message=_WELCOME,
            position_message=_POSITION,
        ),
    )


QUEUES = queues(ENGLISH)

# Answers greetings in Portuguese or English (the simulated customers' openers) and, through its
# universal trigger, any other first message; asks with three buttons, and hands over to a
# queue — "Urgent" jumps the Support line; an answer that is no button goes to Support. The
# buttons speak both languages (the customers' choice); the queues are named in the demo's.
_SALES, _SUPPORT, _URGENT = "Vendas · Sales", "Suporte · Support", "Urgente · Urgent"


def _transfer(node_id: str, queue: str, priority: int, message: str) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": "action_transfer_to_queue",
        "queueId": queue,
        "queueName": queue,
        "priority": priority,
        "message": message,
        "waitTimeoutMinutes": 30,
        "fallbackAction": "keep_waiting",
    }


def demo_flow(words: DemoWords = ENGLISH) -> FlowDocument:
    """The ready-made flow, handing over to the queues named in ``words``."""
    return FlowDocument.model_validate(
        {
            "name": FLOW_NAME,
            "description": words.flow_description,
            "definition": {
                "session_expiry_minutes": 15,
                "exit_keywords": ["sair", "exit"],
                "nodes": [
                    {"id": "start", "type": "trigger_keyword", "match": "starts_with",
                     "keywords": ["oi", "olá", "bom dia", "boa tarde", "hi", "hello",
                                  "good morning", "menu"]},
                    # The universal fallback (the original's template > keyword > universal):
                    # any other first message ("Cadê o meu pedido?") gets the same menu.
                    {"id": "anything", "type": "trigger_universal"},
                    {"id": "menu", "type": "ask", "variable": "topic", "validation": "option",
                     "question": "Olá {{contact.name}}! Como podemos ajudar? · "
                                 "Hi! How can we help?",
                     "options": [_SALES, _SUPPORT, _URGENT], "max_attempts": 2,
                     "retry_message": "Toque num botão, por favor. · Please tap a button.",
                     "timeout_minutes": 30},
                    {"id": "is_sales", "type": "condition",
                     "rules": [{"variable": "topic", "operator": "equals", "value": _SALES}]},
                    {"id": "is_urgent", "type": "condition",
                     "rules": [{"variable": "topic", "operator": "equals", "value": _URGENT}]},
                    _transfer("to_sales", words.sales, 0,
                              "Um vendedor já vem! · A salesperson will be right with you."),
                    _transfer("to_support", words.support, 0,
                              "Vou te passar para o suporte. · Passing you to support."),
                    _transfer("to_urgent", words.support, 2,
                              "Prioridade máxima! · Top priority: an agent is on the way."),
                    {"id": "bye", "type": "action_close",
                     "message": "Sem resposta, encerramos. Volte quando quiser! · "
                                "No answer, so we're closing. Write any time!"},
                ],
                "edges": [
                    {"source": "start", "target": "menu"},
                    {"source": "anything", "target": "menu"},
                    {"source": "menu", "target": "is_sales"},
                    {"source": "menu", "target": "to_support", "branch": "invalid"},
                    {"source": "menu", "target": "bye", "branch": "timeout"},
                    {"source": "is_sales", "target": "to_sales", "branch": "true"},
                    {"source": "is_sales", "target": "is_urgent", "branch": "false"},
                    {"source": "is_urgent", "target": "to_urgent", "branch": "true"},
                    {"source": "is_urgent", "target": "to_support", "branch": "false"},
                ],
            },
        }
    )  # fmt: skip


DEMO_FLOW = demo_flow(ENGLISH)
