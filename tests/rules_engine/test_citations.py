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


def test_every_provision_module_cites_its_rule_from_the_register():
    import importlib
    import pkgutil
    import rules.provisions as provisions

    modules = [importlib.import_module(f"rules.provisions.{m.name}") for m in pkgutil.iter_modules(provisions.__path__)]
    assert len(modules) >= 14
    for module in modules:
        assert module.__doc__ and module.__doc__.split(",")[0].startswith(("R", "R4 and R5")), module.__name__
        cited = module.CITATIONS if isinstance(module.CITATIONS, dict) else {module.RULE: module.CITATIONS}
        for rule, citations in cited.items():
            assert citations == RULES[rule].citations, module.__name__


def test_the_readme_finds_every_rule_by_its_number():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    table = readme[readme.index("| Regel | Module | Functies |"):]
    for number in range(16):
        row = next((line for line in table.splitlines() if line.startswith((f"| R{number} ", f"| R{number} —"))
                    or (number in (4, 5) and line.startswith("| R4 en R5"))), None)
        assert row is not None, f"R{number}"
        path = row.split("`")[1]
        assert (root / path).is_file(), path
