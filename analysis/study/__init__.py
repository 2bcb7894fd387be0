"""What the data are: the vocabulary, the seeded generator, arrays, schemas and the data package.

Imports only the base modules (:mod:`analysis.config`, :mod:`analysis.io`).
"""
