"""Disclosure control for restricted (real) data.

* :mod:`~analysis.disclosure.markers`: how a suppressed count is shown;
* :mod:`~analysis.disclosure.cells`: the generic small-cell suppression engine
  (cells, the sums that link them, primary and complementary suppression);
* :mod:`~analysis.disclosure.keys`: the names of the cells a build publishes;
* :mod:`~analysis.disclosure.plan`: this study's plan, the cells of every
  output of a restricted build, solved once per build;
* :mod:`~analysis.disclosure.publish`: each output published through the
  solved plan;
* :mod:`~analysis.disclosure.check`: the quasi-identifier check before
  synthetic data made from real data are published.
"""
