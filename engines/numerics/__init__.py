"""Shared arbitrary-precision numerics: one place for every engine.

* :mod:`engines.numerics.constants` -- the registry of named constants at any precision;
* :mod:`engines.numerics.identification` -- closed forms of numbers: integer relations and the one acceptance rule;
* :mod:`engines.numerics.tails` -- Möbius relations by continued-fraction tails (Serret's theorem);
* :mod:`engines.numerics.expressions` -- the safe expression grammar (parse, print, evaluate);
* :mod:`engines.numerics.formula` -- quasi-polynomial sequences and the Formula JSON;
* :mod:`engines.numerics.continued_fractions` -- convergents, fast evaluation, guaranteed expansions;
* :mod:`engines.numerics.berlekamp_massey` -- shortest linear recurrences over Q and GF(p).
"""
