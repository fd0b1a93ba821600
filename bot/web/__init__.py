"""The web channel (issue 15): the chat page, the Rasa-compatible REST channel and the console.

``bot.web.app.create_app`` builds the ASGI app that ``linli serve`` runs with uvicorn;
``bot.web.auth`` holds the console's passwords and sessions (standard library only, so the
CLI can set passwords without importing the web stack).
"""
