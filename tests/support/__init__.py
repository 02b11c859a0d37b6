"""Real local stand-ins for the services yuqing talks to, for tests and demos (all bind 127.0.0.1).

- ``slack_emulator.SlackEmulator``: the Slack Web API methods yuqing uses, with programmable outages.
- ``smtp.SmtpServer``: an aiosmtpd server that keeps what it receives.
- ``webhooks.WeComRobot`` / ``DingTalkRobot`` / ``WebhookReceiver``: group robots and a generic webhook.
- ``asgi.AsgiServer``: run an ASGI app (e.g. the Slack endpoint) under uvicorn in a thread.
Each is a context manager that starts on a free port and stops on exit.
"""
