"""Kehu's pure numeric core: NumPy/SciPy only, no Django imports.

Estimators follow scikit-learn / lifetimes conventions: ``__init__`` stores
parameters, ``fit()`` validates and returns ``self``, fitted values end in
``_``, likelihoods are pure functions tests can call, randomness is seeded.
"""
