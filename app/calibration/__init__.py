"""The offline calibration of the throughput estimator (`breakeven calibrate`): published measurements
→ fitted efficiencies in app/catalog/efficiencies.toml, and the accuracy report. Never imported at
request time (a test checks): the app only reads the committed efficiencies file."""
