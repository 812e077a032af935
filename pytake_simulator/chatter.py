"""Chatter: random customers writing random things, for demos (``pytake simulate --chatter``)."""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING, Any

from pytake_simulator.customer_messages import CustomerMessage

if TYPE_CHECKING:
    from pytake_simulator.simulator import Simulator
# Portuguese and English in equal measure (the demo's customers), one Spanish for variety. A
# few start with a greeting, which is what the demo's ready-made flow answers.
CHATTER_TEXTS = [
    "Hi! Is the store open today?",
    "Hello, I need help with my order",
    "Where is my order?",
    "Can I change my delivery address?",
    "Thanks, that solved it 🙏",
    "Do you have this in blue?",
    "I was charged twice this month",
    "Olá, vocês entregam no sábado?",
    "Oi! Quero falar com um atendente",
    "Cadê o meu pedido? Já faz uma semana",
    "Posso trocar o endereço de entrega?",
    "Obrigada, resolveu! 🙏",
    "Vocês têm esse modelo em azul?",
    "Fui cobrado duas vezes este mês",
    "¿Tienen descuentos para estudiantes?",
]
CHATTER_CUSTOMERS = [f"1555010{n:04d}" for n in range(1, 9)]


def chatter_message(rng: random.Random, sim: Simulator, wa_id: str) -> CustomerMessage:
    """A plausible random message, choosing only kinds that make sense right now (a button
    reply only after the business sent buttons, a reaction only after it sent anything)."""
    number = sim.default_number
    kinds: list[tuple[str, float]] = [
        ("text", 6.0),
        ("image", 1.0),
        ("audio", 0.7),
        ("document", 0.4),
        ("location", 0.4),
        ("sticker", 0.3),
        ("contacts", 0.2),
    ]
    last = sim.store.last_outbound(number.phone_number_id, wa_id)
    if last is not None:
        kinds.append(("reaction", 0.5))
        if last.type == "interactive":
            kinds.append(("interactive", 4.0))
    kind = rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
    body: dict[str, Any] = {"type": kind}
    if kind == "text":
        body["text"] = {"body": rng.choice(CHATTER_TEXTS)}
    elif kind == "audio":
        body["audio"] = {"voice": rng.random() < 0.8}
    elif kind == "image":
        body["image"] = {"caption": rng.choice([None, "like this one", "the receipt"])}
    elif kind == "document":
        body["document"] = {"filename": "receipt.pdf"}
    elif kind == "location":
        body["location"] = {"latitude": -23.5614, "longitude": -46.6559, "name": "Av. Paulista"}
    elif kind == "sticker":
        body["sticker"] = {"animated": rng.random() < 0.5}
    elif kind == "contacts":
        body["contacts"] = [
            {
                "name": {"formatted_name": "Maria Souza", "first_name": "Maria"},
                "phones": [
                    {"phone": "+55 11 99999-0000", "type": "CELL", "wa_id": "5511999990000"}
                ],
            }
        ]
    elif kind == "reaction":
        body["reaction"] = {"emoji": rng.choice(["👍", "❤️", "😂", "🙏"])}
    elif kind == "interactive":
        body["interactive"] = _reply_to(last.body if last else {}, rng)
    return CustomerMessage.model_validate(body)


def _reply_to(sent: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Pick one of the options of an interactive message the business sent."""
    interactive = sent.get("interactive", {})
    action = interactive.get("action", {}) if isinstance(interactive, dict) else {}
    buttons = [b.get("reply", {}) for b in action.get("buttons", []) if isinstance(b, dict)]
    if buttons:
        choice = rng.choice(buttons)
        return {
            "type": "button_reply",
            "button_reply": {"id": choice["id"], "title": choice["title"]},
        }
    rows = [r for s in action.get("sections", []) for r in s.get("rows", [])]
    if rows:
        row = rng.choice(rows)
        return {"type": "list_reply", "list_reply": {"id": row["id"], "title": row["title"]}}
    return {
        "type": "nfm_reply",
        "nfm_reply": {"response_json": json.dumps({"flow_token": "unused"})},
    }
