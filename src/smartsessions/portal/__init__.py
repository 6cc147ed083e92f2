"""The request portal (`smartsessions serve`): an organiser logs in, picks an event app and a
range of dates, and the Smart Sessions report arrives by email (portal.md).

`settings` reads the environment once; `state` is the portal's own SQLite file (accounts,
grants, sessions, requests); `accounts` and `sessions` say who is asking; `catalog` reads the
published DuckDB catalog for pages; `requests` queues report requests and `workers` runs them
on worker threads (`export_report`, then `mail`); `links` signs the download links; `app` is
the ASGI app (`routes/` its pages by group, `middleware` what wraps every request); `server`
runs it.
"""
