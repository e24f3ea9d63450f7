"""Knowledge-base publishing under load: retrain + swap time, `/model/parse` latency
during a retrain vs idle (0 failed requests expected), server memory with the KB loaded.

    .venv/bin/python bench/kb.py [--articles 500,10000] [--idle-requests 2000]

For each size it writes a synthetic knowledge base (products × attributes, es and en,
3 questions per language per article) as YAML, starts a real `relevo run` on it
(SQLite, embedded NLU, no model file so a retrain really trains), measures parse latency
over HTTP idle, then asks for a retrain (`POST /api/kb/models` as a reviewer) and keeps
parsing until the new version serves. Then the inbox clustering benchmark
(`bench/kb_inbox.py`, helper C's) runs if it exists. Run as a script: `bench/` on sys.path.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from serving import free_port

from relevo.knowledge_base.articles import Article, export_dir

CONCURRENCY = 4
BRANDS = ("Voltia", "Nordik", "Azura", "Kestrel", "Lumo", "Brisa", "Tecla", "Orbe",
          "Punto", "Vela")
KINDS = (("headphones", "auriculares"), ("charger", "cargador"), ("power bank", "batería externa"),
         ("smartwatch", "reloj inteligente"), ("speaker", "altavoz"), ("phone case", "funda"),
         ("laptop sleeve", "funda de portátil"), ("keyboard", "teclado"),
         ("mouse", "ratón"), ("webcam", "cámara web"))
# attribute → (en questions, es questions), {p}: the product's name
ATTRIBUTES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "battery": (("How long does the {p} battery last?", "battery life of the {p}",
                 "does the {p} battery hold a charge all day"),
                ("¿Cuánto dura la batería del {p}?", "duración de batería {p}",
                 "la batería del {p} aguanta todo el día")),
    "warranty": (("What warranty does the {p} have?", "is the {p} under guarantee",
                  "how many years of warranty for the {p}"),
                 ("¿Qué garantía tiene el {p}?", "el {p} tiene garantía",
                  "cuántos años de garantía tiene el {p}")),
    "colours": (("What colours does the {p} come in?", "is the {p} available in black",
                 "{p} colour options"),
                ("¿En qué colores viene el {p}?", "hay {p} en negro",
                 "colores disponibles del {p}")),
    "weight": (("How much does the {p} weigh?", "weight of the {p}", "is the {p} heavy"),
               ("¿Cuánto pesa el {p}?", "peso del {p}", "el {p} pesa mucho")),
    "compatibility": (("Is the {p} compatible with iPhone?", "does the {p} work with android",
                       "{p} compatibility with my phone"),
                      ("¿El {p} es compatible con iPhone?", "funciona el {p} con android",
                       "compatibilidad del {p} con mi móvil")),
    "stock": (("Is the {p} in stock?", "when will the {p} be available again",
               "can I still buy the {p}"),
              ("¿Tenéis el {p} en stock?", "cuándo vuelve a estar disponible el {p}",
               "todavía se puede comprar el {p}")),
    "price": (("How much is the {p}?", "price of the {p}", "is the {p} on sale"),
              ("¿Cuánto cuesta el {p}?", "precio del {p}", "el {p} está de oferta")),
    "manual": (("Where can I find the {p} manual?", "{p} user guide pdf",
                "how do I set up the {p}"),
               ("¿Dónde está el manual del {p}?", "guía de usuario del {p} en pdf",
                "cómo configuro el {p}")),
    "water": (("Is the {p} waterproof?", "can the {p} get wet", "{p} water resistance rating"),
              ("¿El {p} es resistente al agua?", "se puede mojar el {p}",
               "resistencia al agua del {p}")),
    "size": (("What are the dimensions of the {p}?", "how big is the {p}",
              "size of the {p} in cm"),
             ("¿Qué medidas tiene el {p}?", "qué tamaño tiene el {p}",
              "tamaño del {p} en cm")),
}


def synthetic_articles(count: int) -> list[Article]:
    """`count` articles: product (brand × kind × model) × attribute, es and en."""
    articles: list[Article] = []
    model = 0
    while len(articles) < count:
        model += 1
        for brand in BRANDS:
            for kind_en, kind_es in KINDS:
                en, es = f"{brand} {kind_en} {model}", f"{kind_es} {brand} {model}"
                slug = f"{brand}_{kind_en}_{model}".lower().replace(" ", "_")
                for attribute, (en_q, es_q) in ATTRIBUTES.items():
                    if len(articles) == count:
                        return articles
                    articles.append(Article(
                        intent=f"{slug}_{attribute}", topic="product", tags=(attribute,),
                        status="published",
                        title={"en": f"{en}: {attribute}", "es": f"{es}: {attribute}"},
                        questions={"en": tuple(q.format(p=en) for q in en_q),
                                   "es": tuple(q.format(p=es) for q in es_q)},
                        answer={"en": f"About the {en}'s {attribute}: see the product page.",
                                "es": f"Sobre {attribute} del {es}: mira la ficha."}))
    return articles


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def rss_mb(pid: int, field: str = "VmRSS:") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return float("nan")


class Parses:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.failed = 0

    async def one(self, client: httpx.AsyncClient, text: str) -> None:
        started = time.perf_counter()
        try:
            response = await client.post("/model/parse", json={"text": text})
            ok = response.status_code == 200 and bool(response.json()["intent"]["name"])
        except httpx.HTTPError:
            ok = False
        self.latencies.append((time.perf_counter() - started) * 1000)
        self.failed += not ok

    def summary(self) -> dict[str, float]:
        return {"requests": len(self.latencies), "failed": self.failed,
                "p50_ms": percentile(self.latencies, 0.5),
                "p99_ms": percentile(self.latencies, 0.99)}


async def parse_loop(client: httpx.AsyncClient, parses: Parses, texts: list[str],
                     stop: asyncio.Event, limit: int | None = None) -> None:
    index = 0
    while not stop.is_set() and (limit is None or index < limit):
        await parses.one(client, texts[index % len(texts)])
        index += 1


def children_rss_mb(pid: int) -> float:
    """Resident memory of `pid`'s child processes (the NLU's training process)."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            try:
                total += rss_mb(int(child))
            except (OSError, ValueError):
                pass
    return total


async def measure(base: str, token: str, texts: list[str], idle_requests: int,
                  server_pid: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        idle, never = Parses(), asyncio.Event()
        await asyncio.gather(*(parse_loop(client, idle, texts[i::CONCURRENCY], never,
                                          idle_requests // CONCURRENCY)
                               for i in range(CONCURRENCY)))
        during, done = Parses(), asyncio.Event()
        loops = [asyncio.create_task(parse_loop(client, during, texts[i::CONCURRENCY], done))
                 for i in range(CONCURRENCY)]
        started, trainer_mb = time.perf_counter(), 0.0
        asked = await client.post("/api/kb/models", headers=headers)
        if asked.status_code != 202:
            raise SystemExit(f"POST /api/kb/models: {asked.status_code} {asked.text}")
        while True:
            status = (await client.get("/api/kb/models", headers=headers)).json()
            newest = status["history"][0] if status["history"] else None
            if newest and newest["status"] != "training" and not status["training"]:
                break
            trainer_mb = max(trainer_mb, children_rss_mb(server_pid))
            await asyncio.sleep(0.1)
        wall = time.perf_counter() - started
        done.set()
        await asyncio.gather(*loops)
    return {"idle": idle.summary(), "during": during.summary(), "version": newest,
            "retrain_wall_s": wall, "trainer_mb": trainer_mb}


def relevo(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "relevo.app.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"relevo {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def wait_healthy(base: str, server: subprocess.Popen[bytes], deadline_s: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < deadline_s:
        if server.poll() is not None:
            raise SystemExit("relevo run exited before it was healthy")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"relevo run was not healthy within {deadline_s:.0f} s")


def run_size(count: int, idle_requests: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"relevo-kb-{count}-"))
    articles = synthetic_articles(count)
    export_dir(articles, workdir / "content")
    env = {**os.environ, "RELEVO_LOG_LEVEL": "WARNING", "RELEVO_NLU__BACKEND": "embedded",
           "RELEVO_NLU__MODEL_PATH": "",  # no model file: the retrain really trains
           "RELEVO_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'relevo.db'}",
           "RELEVO_KNOWLEDGE_BASE__CONTENT_DIR": str(workdir / "content")}
    added = relevo(env, workdir, "operators", "add", "--name", "Rita", "--kind", "internal",
                   "--role", "reviewer")
    token = added.strip().split()[-1]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "relevo.app.cli", "run", "--port", str(port)],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL,
        stderr=open(workdir / "server.log", "wb"))
    base = f"http://127.0.0.1:{port}"
    try:
        start_s = wait_healthy(base, server, deadline_s=1800)
        loaded_mb = rss_mb(server.pid)
        texts = [q for a in articles[:: max(1, count // 200)]
                 for qs in a.questions.values() for q in qs]
        result = asyncio.run(measure(base, token, texts, idle_requests, server.pid))
        result |= {"articles": count, "start_s": start_s, "loaded_mb": loaded_mb,
                   "rss_mb": rss_mb(server.pid),
                   "peak_rss_mb": rss_mb(server.pid, "VmHWM:"), "log": str(workdir)}
        return result
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def report(result: dict[str, Any]) -> None:
    version, idle, during = result["version"], result["idle"], result["during"]
    print(f"\n== {result['articles']:,} articles ({version['examples']:,} examples) ==")
    print(f"start-up (train + serve):   {result['start_s']:.1f} s")
    print(f"retrain: train {version['train_seconds'] or float('nan'):.1f} s, "
          f"request → new version serving {result['retrain_wall_s']:.1f} s "
          f"(status {version['status']}{', ' + str(version['error']) if version['error'] else ''})")
    for name, phase in (("idle", idle), ("during retrain", during)):
        print(f"/model/parse {name:>15}: p50 {phase['p50_ms']:.1f} ms, "
              f"p99 {phase['p99_ms']:.1f} ms, {phase['requests']} requests, "
              f"{phase['failed']} failed")
    print(f"server RSS: {result['loaded_mb']:.0f} MB after start-up, "
          f"{result['rss_mb']:.0f} MB after the retrain "
          f"(peak {result['peak_rss_mb']:.0f} MB; target ≤ 300 MB)")
    if result["trainer_mb"]:
        print(f"training child process (large knowledge bases train there): up to "
              f"{result['trainer_mb']:.0f} MB while it trained, returned when it ends")


# --- inbox clustering (helper C's bench/kb_inbox.py) ------------------------------------
def inbox_clustering() -> None:
    """Clustering 10,000 unanswered questions: bench/kb_inbox.py, when it exists."""
    script = Path(__file__).with_name("kb_inbox.py")
    if not script.exists():
        print("\n(inbox clustering: bench/kb_inbox.py not present)")
        return
    print("\n== inbox clustering (bench/kb_inbox.py) ==", flush=True)
    subprocess.run([sys.executable, str(script)], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", default="500,10000",
                        help="comma-separated knowledge-base sizes")
    parser.add_argument("--idle-requests", type=int, default=2000)
    parser.add_argument("--no-inbox", action="store_true", help="skip bench/kb_inbox.py")
    args = parser.parse_args()
    for count in (int(n) for n in args.articles.split(",")):
        report(run_size(count, args.idle_requests))
    if not args.no_inbox:
        inbox_clustering()


if __name__ == "__main__":
    main()
