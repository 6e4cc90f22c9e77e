"""Page views, grouped by who uses them; all routes live on the one `web` blueprint."""
