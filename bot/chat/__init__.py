"""Self-service chat: Telegram and Slack bots through which chats subscribe themselves.

Commands arrive from untrusted people: every change is checked against who may make it,
every argument is validated, and every refusal is polite and changes nothing.
"""
