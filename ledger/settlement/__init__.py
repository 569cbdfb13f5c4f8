"""Settlement: cost lines from placements, quarterly settlement, solidarity pools, seals, what-if.

Service functions (plain functions over a ledger Store) are listed in ledger/settlement/README.md.
"""
