"""What inbox search costs at a million messages: ``GET /api/v1/conversations?q=…`` by contact
name, by phone number (typed the way people write it) and by message text, next to the plain
list (no ``q``) measured in the same run, through the real daemon and its role (row-level
security included).

The data is loaded with a few set-returning INSERTs on the owner connection (fast), then
``VACUUM ANALYZE`` as autovacuum would: 20,000 contacts with a conversation each, and 1,000,000
messages of six words from a small vocabulary, one in ten naming an order number. The daemon
runs in its own process; this process is the client, one request at a time by default, so the
figures are latencies, not throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from typing import Any

import aiohttp
from cryptography.fernet import Fernet
from harness import bench_stack, free_port, wait_ready

_FIRST_NAMES = (
    "Ana Beatriz Bruno Camila Carlos Daniela Diego Eduarda Felipe Fernanda Gabriel Gabriela "
    "Gustavo Helena Igor Isabela João Julia Larissa Leonardo Luana Lucas Luiza Marcos Mariana "
    "Mateus Natália Paulo Pedro Rafael Rafaela Renata Ricardo Rodrigo Sofia Tatiane Thiago "
    "Vanessa Vinícius Yasmin"
)
_LAST_NAMES = (
    "Almeida Alves Araújo Barbosa Barros Cardoso Carvalho Castro Costa Dias Fernandes Ferreira "
    "Gomes Lima Lopes Machado Martins Melo Mendes Moreira Nascimento Oliveira Pereira Pinto "
    "Ribeiro Rocha Rodrigues Santos Silva Soares Souza Teixeira Vieira"
)
_WORDS = (
    "olá bom dia boa tarde noite obrigado obrigada por favor quando chega entrega pedido "
    "produto pagamento boleto pix cartão troca devolução tamanho cor prazo frete endereço "
    "rastreio código nota fiscal desconto cupom promoção estoque disponível cancelar confirmar "
    "atendimento ajuda problema defeito garantia loja site aplicativo horário amanhã hoje "
    "semana valor preço parcela juros recebido enviado aguardando transportadora correios "
    "retirada balcão presente embalagem manual instruções voltagem modelo versão azul preto "
    "branco vermelho grande pequeno médio"
)
FIRST_NAMES = _FIRST_NAMES.split()
LAST_NAMES = _LAST_NAMES.split()
WORDS = _WORDS.split()

_CONTACTS = """
INSERT INTO contacts (tenant_id, wa_id, profile_name)
SELECT $1,
       '55' || (11 + g % 89)::text || '9' || lpad(g::text, 8, '0'),
       ($2::text[])[1 + g % cardinality($2::text[])] || ' ' ||
       ($3::text[])[1 + (g / cardinality($2::text[])) % cardinality($3::text[])] || ' ' ||
       ($3::text[])[1 + (g * 7) % cardinality($3::text[])]
  FROM generate_series(1, $4::int) AS g
"""
_CONVERSATIONS = """
INSERT INTO conversations (tenant_id, number_id, contact_id, status, unread_count,
                           last_message_at, last_inbound_at, last_message_preview)
SELECT $1, $2, ct.id,
       (ARRAY['open', 'open', 'pending', 'snoozed', 'resolved', 'resolved'])
           [1 + floor(random() * 6)::int],
       CASE WHEN random() < 0.2 THEN 1 + floor(random() * 5)::int ELSE 0 END,
       t.at, t.at, 'última mensagem'
  FROM contacts ct, LATERAL (SELECT now() - random() * interval '30 days' AS at) t
 WHERE ct.tenant_id = $1
"""
_MESSAGES = """
INSERT INTO messages (tenant_id, conversation_id, direction, type, content, text, status,
                      created_at)
SELECT $1, conv.ids[1 + g % cardinality(conv.ids)],
       CASE WHEN g % 3 = 0 THEN 'out' ELSE 'in' END, 'text', '{}'::jsonb,
       w[1 + floor(random() * n)::int] || ' ' || w[1 + floor(random() * n)::int] || ' ' ||
       w[1 + floor(random() * n)::int] || ' ' || w[1 + floor(random() * n)::int] || ' ' ||
       w[1 + floor(random() * n)::int] || ' ' || w[1 + floor(random() * n)::int] ||
       CASE WHEN g % 10 = 0 THEN ' pedido ' || (100000 + g)::text ELSE '' END,
       CASE WHEN g % 3 = 0 THEN 'delivered' ELSE 'received' END,
       now() - (g % 43200) * interval '1 minute'
  FROM (SELECT array_agg(id) AS ids FROM conversations WHERE tenant_id = $1) AS conv,
       (SELECT $4::text[] AS w, cardinality($4::text[]) AS n) AS vocab,
       generate_series($2::int, $3::int) AS g
"""


async def load_data(
    admin_dsn: str, tenant_id: uuid.UUID, box_key: bytes, conversations: int, messages: int
) -> dict[str, float]:
    from pytake_daemon.db.pool import connect
    from pytake_daemon.whatsapp.secretbox import SecretBox

    box = SecretBox([box_key])
    conn = await connect(admin_dsn)
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        number_id = await conn.fetchval(
            """
            INSERT INTO whatsapp_numbers (tenant_id, phone_number_id, waba_id, access_token_enc,
                                          app_secret_enc, verify_token_enc)
            VALUES ($1, '100200300400', '500600700800', $2, $3, $4) RETURNING id
            """,
            tenant_id,
            box.encrypt("bench-token"),
            box.encrypt("bench-app-secret"),
            box.encrypt("bench-verify"),
        )
        await conn.execute(_CONTACTS, tenant_id, FIRST_NAMES, LAST_NAMES, conversations)
        await conn.execute(_CONVERSATIONS, tenant_id, number_id)
        chunk = 100_000
        for first in range(1, messages + 1, chunk):
            last = min(first + chunk - 1, messages)
            await conn.execute(_MESSAGES, tenant_id, first, last, WORDS)
            print(f"  messages {last:>9,}", file=sys.stderr, flush=True)
        timings["load_s"] = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE contacts, conversations, messages")
        timings["vacuum_s"] = time.perf_counter() - started
    finally:
        await conn.close()
    return timings


async def sample_queries(
    admin_dsn: str, tenant_id: uuid.UUID, n: int, messages: int
) -> dict[str, list[str]]:
    """Searches an agent would type, for rows that exist: part of a name, a phone number with
    its usual punctuation, an order number from a message, and a common word."""
    from pytake_daemon.db.pool import connect

    conn = await connect(admin_dsn)
    try:
        contacts = await conn.fetch(
            "SELECT profile_name, wa_id FROM contacts WHERE tenant_id = $1 "
            "ORDER BY random() LIMIT $2",
            tenant_id,
            n,
        )
    finally:
        await conn.close()
    rng = random.Random(7)
    names = []
    for r in contacts:
        first, second, _ = r["profile_name"].split(" ")
        names.append(f"{first} {second[: max(3, len(second) - 2)]}".lower())
    phones = [f"+{w[:2]} {w[2:4]} {w[4:9]}-{w[9:]}" for w in (r["wa_id"] for r in contacts)]
    orders = [f"pedido {100000 + 10 * rng.randrange(1, messages // 10)}" for _ in range(n)]
    words = [
        rng.choice(("entrega", "garantia", "rastreio", "boleto", "devolução")) for _ in range(n)
    ]
    return {"name": names, "phone": phones, "text": orders, "text_common": words}


async def measure(
    base: str, token: str, queries: list[dict[str, str]], total: int, concurrency: int
) -> dict[str, float]:
    latencies: list[float] = []
    counter = iter(range(total))
    headers = {"Authorization": f"Bearer {token}"}

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in counter:
            params = queries[i % len(queries)]
            started = time.perf_counter()
            async with session.get(f"{base}/api/v1/conversations", params=params) as resp:
                await resp.read()
                assert resp.status == 200, (resp.status, await resp.text())
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    found: list[int] = []
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        for params in queries[: min(len(queries), 20)]:  # warm-up: pool, plans, caches
            async with session.get(f"{base}/api/v1/conversations", params=params) as resp:
                found.append(len((await resp.json())["items"]))
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    latencies.sort()
    return {
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
        "items": statistics.fmean(found),
    }


async def stats_latency(base: str, token: str, total: int) -> float:
    latencies = []
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
        for i in range(total + 5):
            started = time.perf_counter()
            async with session.get(f"{base}/api/v1/conversations/stats") as resp:
                await resp.read()
                assert resp.status == 200
            if i >= 5:
                latencies.append(time.perf_counter() - started)
    return statistics.median(latencies) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=400, help="per kind of search")
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()

    from pytake_daemon.protocol import Role

    box_key = Fernet.generate_key()
    with bench_stack("ptb-") as bench:
        tenant_id, token = bench.tenant.id, bench.tenant[Role.AGENT].token
        print(
            f"loading {args.conversations:,} conversations, {args.messages:,} messages…",
            file=sys.stderr,
        )
        timings = asyncio.run(
            load_data(bench.admin_dsn, tenant_id, box_key, args.conversations, args.messages)
        )
        port = free_port()
        bench.spawn_daemon(port, PYTAKE_WHATSAPP__SECRETS_KEY=box_key.decode())

        async def run() -> tuple[dict[str, dict[str, float]], float]:
            app = f"http://127.0.0.1:{port}"
            await wait_ready(f"{app}/readyz", timeout=120)
            pools = await sample_queries(bench.admin_dsn, tenant_id, 200, args.messages)
            n, c = args.requests, args.concurrency
            out = {"baseline": await measure(app, token, [{}], n, c)}
            for kind, texts in pools.items():
                out[kind] = await measure(app, token, [{"q": t} for t in texts], n, c)
            return out, await stats_latency(app, token, 50)

        results, stats_ms = asyncio.run(run())

    print(f"load {timings['load_s']:.1f} s, vacuum analyze {timings['vacuum_s']:.1f} s")
    base = results["baseline"]["p50_ms"]
    for name, r in results.items():
        print(
            f"{name:12s} p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  "
            f"mean {r['mean_ms']:7.2f} ms  x{r['p50_ms'] / base:.2f} of baseline p50  "
            f"({r['items']:.1f} conversations a page)"
        )
    print(f"{'stats':12s} p50 {stats_ms:7.2f} ms")
    fields: dict[str, Any] = {
        "messages": args.messages,
        "conversations": args.conversations,
        "baseline_p50_ms": f"{base:.2f}",
        "baseline_p99_ms": f"{results['baseline']['p99_ms']:.2f}",
    }
    for kind in ("name", "phone", "text", "text_common"):
        fields[f"{kind}_p50_ms"] = f"{results[kind]['p50_ms']:.2f}"
        fields[f"{kind}_p99_ms"] = f"{results[kind]['p99_ms']:.2f}"
        fields[f"{kind}_ratio"] = f"{results[kind]['p50_ms'] / base:.2f}"
    fields["stats_p50_ms"] = f"{stats_ms:.2f}"
    print("RESULT search " + " ".join(f"{k}={v}" for k, v in fields.items()))


if __name__ == "__main__":
    main()
