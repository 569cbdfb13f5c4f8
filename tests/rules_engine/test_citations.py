"""Every rule cites a real source from the one register; no placeholders."""
from rules import loader
from rules.citations import CITATION_KINDS, RULES


def test_every_rule_cites_registered_sources():
    reg = loader.citation_register()
    for rule in RULES.values():
        assert rule.citations, rule.id
        for cid in rule.citations:
            assert cid in reg, (rule.id, cid)


def test_no_placeholder_citations():
    for c in loader.citation_register():
        assert c.kind in CITATION_KINDS, c.id
        assert len(c.reference) > 20 and not any(w in c.reference.lower() for w in ("todo", "tbd", "xxx", "lorem"))
        if c.kind != "project_default":
            assert c.url or c.kind == "regional_agreement", c.id


def test_parameters_cite_sources():
    reg = loader.citation_register()
    for v in loader.parameter_table().versions:
        assert v.source in reg, (v.name, v.source)
