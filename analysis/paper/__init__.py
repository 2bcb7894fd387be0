"""What a reader sees: values.yml, the manuscript's tables, number formatting and the figures."""
