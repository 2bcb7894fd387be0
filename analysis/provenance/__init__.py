"""Provenance a machine can check: the build described as a Workflow Run RO-Crate.

Every build writes ``ro-crate-metadata.json`` at the root of its results
(``results/`` or ``results/restricted/``), made with the maintained
``rocrate`` library (ro-crate-py) and conforming to the Provenance Run Crate
profile 0.5 of the Workflow Run RO-Crate family:

* :mod:`~analysis.provenance.profile`: the profile, the crate's file name and
  what the crate leaves out (the one place for these facts);
* :mod:`~analysis.provenance.jobs`: the build's jobs, their rules, inputs,
  outputs and parameters, read from Snakemake's own job graph;
* :mod:`~analysis.provenance.crate`: the crate itself, built from those jobs,
  the configuration, the files' SHA-256 and the software versions;
* :mod:`~analysis.provenance.verify`: the reviewer's check of a build against
  a published crate (every checksum recomputed);
* :mod:`~analysis.provenance.validate`: the RO-Crate validator (roc-validator),
  run offline with the JSON-LD context this package ships.
"""
