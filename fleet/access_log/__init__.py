"""The personal-data access log (접속기록): who read or changed whose personal data, when, from where and why.

One package per layer-spanning feature (STYLE.md): `model` (tables), `chain` (appending, verifying, exporting,
purging: the rules), `review` (the privacy officer's monthly review), `recording` (what a request notes and the
hook that writes it before the answer leaves), `schemas`, `api` and `pages`. Importing the package imports
nothing; docs/access-log.md describes the log, its hash chain and the review.
"""
