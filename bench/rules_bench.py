"""Rules benchmark: whole determinations per second against validating the same facts from JSON.

Generates a synthetic population (fixed seed) with realistic histories: plain residents, chains of
stays, briefadressen, returns after BW (historical and post-T0), aanvragen and meldingen in and
outside the region, boundaries (365 days, leap years), abroad, in-onderzoek addresses. Measures on
one core, from validated facts with the context loaded once, whole determinations (flags and
alternatives included). The reference, measured in the same run, is parsing and validating the same
facts from JSON with the fact models. One goal: determinations at no less than 0.35x the rate of
validation (a floor for a readable engine: one provision per module, each alternative reading a
whole run of the rules; the earlier goal of 1.0x had pushed the engine into interpreter tricks).
Last line: one JSON object.

A determination records its trail as values and makes the Dutch texts when the trail is first read
(rules/trail.py); the figure ``trail_text_us`` (informational, no goal) is what reading the texts
of a determination costs afterwards, measured on the first 10,000. Supporting figures (no goal):
the ratio in CPU time, and the time each phase spends in CPython's garbage collector (both phases
the validation reference runs with the collector on; the determination batch pauses it once around
the batch, as a batch driver holding many results does (ledger.store.append_batch): the engine's
types are not shaped around the collector).
"""
from __future__ import annotations

import gc
import json
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rules import loader  # noqa: E402
from rules.engine import determine  # noqa: E402
from rules.facts import CaseFacts  # noqa: E402

#: the number of clients (the first argument; the default when imported, e.g. for make_case by the pins test)
N = int(sys.argv[1]) if __name__ == "__main__" and len(sys.argv) > 1 else 100_000
IJV = ["GM0148", "GM0160", "GM0166", "GM0175", "GM0180", "GM1708", "GM1896", "GM0193"]
ZHZ = ["GM0482", "GM0505", "GM0512", "GM0523", "GM0531", "GM1978", "GM0590", "GM0610", "GM0642"]
ZEE = ["GM0654", "GM0664", "GM0677", "GM0678", "GM0687", "GM0703", "GM0715", "GM0716", "GM0717", "GM0718"]
ALL = IJV + ZHZ + ZEE
CENTRUM = {"ijssel-vecht": "GM0193", "zuid-holland-zuid": "GM0505", "zeeland": "GM0718"}
REGION_OF = {**{c: "GM0193" for c in IJV}, **{c: "GM0505" for c in ZHZ}, **{c: "GM0718" for c in ZEE}}
INST = ["ggz_clinical", "mo", "detention", "wlz", "youth_residential", "womens_shelter"]


def d(x: date) -> str:
    return x.isoformat()


def make_case(i: int, rnd: random.Random) -> dict:
    m = date(2026, 1, 1) + timedelta(days=rnd.randrange(0, 900))
    home = rnd.choice(ALL)
    meld = home if rnd.random() < 0.7 else rnd.choice(ALL)
    case: dict = {"id": f"C{i:06d}", "melding": {"date": d(m), "gemeente": meld}}
    kind = rnd.random()
    addrs, stays, eps, apps = [], [], [], []
    start = m - timedelta(days=rnd.randrange(400, 6000))
    if kind < 0.35:  # plain resident
        addrs.append({"gemeente": home, "function": "W", "from": d(start), "in_onderzoek": rnd.random() < 0.03})
    elif kind < 0.55:  # chain of stays
        cut = m - timedelta(days=rnd.randrange(20, 500))
        start = cut - timedelta(days=rnd.randrange(60, 5000))
        addrs.append({"gemeente": home, "function": "W", "from": d(start), "to": d(cut - timedelta(days=1))})
        t = rnd.choice(INST)
        where = rnd.choice(ALL)
        if rnd.random() < 0.3:
            addrs.append({"gemeente": where, "function": "B", "from": d(cut)})
        else:
            addrs.append({"gemeente": where, "function": "W", "institution": t, "from": d(cut)})
        stays.append({"type": t, "gemeente": where, "from": d(cut - timedelta(days=rnd.randrange(0, 10)))})
    elif kind < 0.75:  # returning after BW
        end = m - timedelta(days=rnd.choice([30, 200, 364, 365, 366, 400, 700]))
        begin = end - timedelta(days=rnd.randrange(10, 900))
        start = min(start, begin - timedelta(days=30))
        hist = begin < date(2026, 1, 1)
        cb = REGION_OF[home] if hist else home
        eps.append({"legal_college": cb, "cost_bearer": cb, "location": rnd.choice(ALL), "from": d(begin),
                    "to": d(end), "budget": "historical" if hist else "woonplaats"})
        addrs.append({"gemeente": home, "function": "W", "from": d(start)})
    elif kind < 0.9:  # earlier aanvragen / meldingen
        addrs.append({"gemeente": home, "function": "W", "from": d(start)})
        for _ in range(rnd.randrange(1, 3)):
            apps.append({"kind": rnd.choice(["aanvraag", "melding"]), "gemeente": rnd.choice(ALL),
                         "date": d(m - timedelta(days=rnd.choice([10, 100, 364, 365, 366, 500]))),
                         "outcome": rnd.choice(["granted", "rejected", "withdrawn", "pending"])})
    else:  # abroad or unregistered before a recent registration
        back = m - timedelta(days=rnd.randrange(1, 60))
        start = back - timedelta(days=rnd.randrange(60, 3000))
        addrs.append({"status": rnd.choice(["abroad", "vow", "rni"]), "from": d(start), "to": d(back - timedelta(days=1))})
        if rnd.random() < 0.6:
            addrs.append({"gemeente": home, "function": "W", "from": d(back)})
    if rnd.random() < 0.5:
        case["placement"] = {"location": rnd.choice(ALL), "fronting": rnd.choice(ALL + list(CENTRUM.values())),
                             "from": d(m + timedelta(days=rnd.randrange(0, 60)))}
    case.update(addresses=addrs, stays=stays, bw_episodes=eps, applications=apps)
    return case


def main() -> None:
    rnd = random.Random(20261123)
    raw = [json.dumps(make_case(i, rnd)) for i in range(N)]
    ctx = loader.default_context(overrides={"t0": date(2026, 1, 1)})
    vctx = {"municipalities": ctx.municipalities}

    gc_s = [0.0, 0.0]  # time in the garbage collector (informational), started at / summed

    def gc_clock(phase: str, _info: dict) -> None:
        if phase == "start":
            gc_s[0] = time.perf_counter()
        else:
            gc_s[1] += time.perf_counter() - gc_s[0]

    gc.callbacks.append(gc_clock)
    t, c = time.perf_counter(), time.process_time()
    facts = [CaseFacts.model_validate_json(r, context=vctx) for r in raw]
    validate_s, validate_cpu = time.perf_counter() - t, time.process_time() - c
    validate_gc, gc_s[1] = gc_s[1], 0.0

    # speed at the edges (issue 13): the batch driver that holds the 100,000 results pauses the cyclic
    # collector once around the batch, as ledger.store.append_batch does; the engine's types (typed trail
    # records, a dataclass per determination) are not shaped around the collector
    gc.disable()
    try:
        t, c = time.perf_counter(), time.process_time()
        dets = [determine(f, ctx) for f in facts]
        determine_s, determine_cpu = time.perf_counter() - t, time.process_time() - c
    finally:
        gc.enable()
    determine_gc = gc_s[1]
    gc.callbacks.remove(gc_clock)

    sample = dets[:10_000]
    gc.disable()  # the same batch driver reads the texts of its results
    try:
        t = time.perf_counter()
        for x in sample:
            for step in x.trail:
                step.finding  # noqa: B018  (makes the text)
        trail_s = time.perf_counter() - t
    finally:
        gc.enable()

    flagged = sum(1 for x in dets if x.flags)
    alternatives = sum(len(f.alternatives) for x in dets for f in x.flags)
    rate = N / determine_s
    ratio = validate_s / determine_s
    figures = {"clients": N, "determinations_per_s": round(rate), "validations_per_s": round(N / validate_s),
               "determine_us": round(determine_s / N * 1e6, 1), "validate_us": round(validate_s / N * 1e6, 1),
               "trail_text_us": round(trail_s / len(sample) * 1e6, 1),
               # supporting figures: CPU time of this process (less affected by other processes than
               # wall time) and the part of each phase spent in the garbage collector
               "ratio_cpu_time": round(validate_cpu / determine_cpu, 3),
               "validate_gc_us": round(validate_gc / N * 1e6, 1), "determine_gc_us": round(determine_gc / N * 1e6, 1),
               "flagged_share": round(flagged / N, 3), "alternatives": alternatives,
               "provisional_share": round(sum(x.provisional for x in dets) / N, 3)}
    # one goal, a floor fit for a readable engine (issue 13): determinations no slower than 0.35x
    # validating the same facts (a national year, ~30,000 meldingen, at 500/s is a minute)
    goals = {"determine_vs_validate_ratio": {"value": round(ratio, 3), "goal": 0.35, "met": ratio >= 0.35}}
    print(f"{N} clients: {figures['determine_us']} us/determination, {figures['validate_us']} us/validation; "
          f"{figures['flagged_share']:.0%} flagged")
    print(json.dumps({"bench": "rules", "figures": figures, "goals": goals}))


if __name__ == "__main__":
    main()
