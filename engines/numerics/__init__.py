"""Shared arbitrary-precision numerics: one place for every engine.

* :mod:`mathdisco.engines.numerics.constants` -- the registry of named constants at any precision;
* :mod:`mathdisco.engines.numerics.identification` -- closed forms of numbers: integer relations and the one acceptance rule;
* :mod:`mathdisco.engines.numerics.tails` -- Möbius relations by continued-fraction tails (Serret's theorem);
* :mod:`mathdisco.engines.numerics.expressions` -- the safe expression grammar (parse, print, evaluate);
* :mod:`mathdisco.engines.numerics.formula` -- quasi-polynomial sequences and the Formula JSON;
* :mod:`mathdisco.engines.numerics.continued_fractions` -- convergents, fast evaluation, guaranteed expansions;
* :mod:`mathdisco.engines.numerics.berlekamp_massey` -- shortest linear recurrences over Q and GF(p).
"""
