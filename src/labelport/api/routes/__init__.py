"""One router per kind of object; each route names the token scope it needs (`api.auth.scoped`)."""
