"""The programme's portfolio: impact formulas, the nightly roll-up, and reads of it."""
