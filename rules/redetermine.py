"""R15: re-determination after new facts. The old determination is never overwritten."""
from __future__ import annotations

from .context import Context
from .engine import Determination, Flag, Outcome, determine
from .facts import CaseFacts
from .flags import kind_of
from .trail import TrailStep

TRIGGERS = ("brp_correction", "new_stay", "new_episode", "new_application", "region_table_change",
            "law_in_force", "committee_decision")


def redetermine(previous: Determination, facts: CaseFacts, ctx: Context, trigger: str) -> Determination:
    """Re-run R0-R14 on the new facts; the result refers to ``previous``, names its trigger and
    lists what changed. RETRO_BRP (kind O) is raised when the woonplaats on M differs from the
    previous determination because of a BRP period recorded after M; its alternative is the
    previous outcome (the BRP as it stood on M)."""
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}; expected one of {', '.join(TRIGGERS)}")
    new = determine(facts, ctx)
    m = facts.melding.date
    flags = list(new.flags)
    retro = [a for a in facts.addresses if a.recorded is not None and a.recorded > m and a.from_ <= m]
    if new.woonplaats != previous.woonplaats and retro:
        flags.append(Flag("RETRO_BRP", kind_of("RETRO_BRP"), f"BRP-periode met terugwerkende kracht geregistreerd op "
                          f"{max(a.recorded for a in retro)}: woonplaats {previous.woonplaats} wordt {new.woonplaats}",
                          (previous.outcome,) if previous.outcome != new.outcome else ()))
        flags.sort(key=lambda f: f.name)
    changes = []
    for name, old, cur in zip(Outcome._fields, previous.outcome, new.outcome):
        if old != cur:
            changes.append((name if name != "klass" else "class", old, cur))
    for name in ("new_client", "entry", "provisional", "woonplaats"):
        if getattr(previous, name) != getattr(new, name):
            changes.append((name, getattr(previous, name), getattr(new, name)))
    added = sorted(set(f.name for f in flags) - set(previous.flag_names))
    removed = sorted(set(previous.flag_names) - set(f.name for f in flags))
    if added:
        changes.append(("flags_added", None, ",".join(added)))
    if removed:
        changes.append(("flags_removed", ",".join(removed), None))
    settled = ctx.region_by_id(new.meldregio, m).settled_flags if new.meldregio else frozenset()
    trail = new.trail + (TrailStep("R15", f"herbeoordeling na {trigger}; vorige beoordeling {previous.digest[:12]}; "
                                   f"{len(changes)} wijziging(en)"),)
    return new._replace(flags=tuple(flags), trail=trail, previous=previous.digest, trigger=trigger,
                        changes=tuple(changes),
                        provisional=any(f.kind == "O" and f.name not in settled for f in flags))
