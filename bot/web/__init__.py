"""The web side of linli: the HTTP app (channels' routes, /healthz) and its server."""
