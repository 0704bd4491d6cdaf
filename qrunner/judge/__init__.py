"""Judge stage: normalised results, metrics, thresholds, units and the verdicts they give."""
