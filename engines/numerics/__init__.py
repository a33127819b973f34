"""Shared arbitrary-precision numerics: one place for every engine.

* :mod:`engines.numerics.constants` -- the registry of named constants at any precision;
* :mod:`engines.numerics.relations` -- integer-relation identification (PSLQ) with a check;
* :mod:`engines.numerics.expressions` -- the safe expression grammar (parse, print, evaluate);
* :mod:`engines.numerics.formula` -- quasi-polynomial sequences and the Formula JSON;
* :mod:`engines.numerics.continued_fractions` -- convergents, fast evaluation, guaranteed expansions;
* :mod:`engines.numerics.berlekamp_massey` -- shortest linear recurrences over Q and GF(p).
"""
