"""The web UI served by ``labelport serve``: sign in with an API token, browse projects, import
payloads (dry run first), read a job's report and see a row's labels drawn on its asset.

``pages`` holds the routes, ``session`` the cookie-to-token middleware, ``samples`` the import
examples; nothing is imported here so the API can use ``samples`` without loading the pages."""
