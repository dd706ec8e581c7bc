"""Server-rendered pages: generic registry views, the dashboard and the map."""
