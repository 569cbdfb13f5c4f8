"""One module per provision of spec section 8, named after its number (``r11_new_client.py`` is R11).

Each opens with the provision's text in a sentence and its citations from the rule register
(``rules/citations.py``), and holds pure functions that take the prepared facts and a reading and
return a finding. The engine (``rules/engine.py``) runs them in the order of spec 8.2.
"""
