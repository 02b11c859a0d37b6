"""A Scrapy extension for tests: Ctrl-C (SIGINT) to this process while a spider is opening, before its engine runs
— where a slow start (the analysis models loading on a busy machine) lets a press officer's Ctrl-C land."""

from __future__ import annotations

import os
import signal
from typing import Any

from scrapy import signals
from twisted.internet import defer, task


class InterruptWhileOpening:
    @classmethod
    def from_crawler(cls, crawler: Any) -> InterruptWhileOpening:
        extension = cls()
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        return extension

    def opened(self, spider: Any) -> defer.Deferred[None]:
        from twisted.internet import reactor

        os.kill(os.getpid(), signal.SIGINT)
        return task.deferLater(reactor, 0.5, lambda: None)  # the opening goes on while the signal is handled
