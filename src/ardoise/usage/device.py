"""The device class of a User-Agent: ``phone``, ``tablet``, ``desktop`` or ``program``.

The User-Agent is read, never stored: only its class is counted.

>>> device_class("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148")
'phone'
>>> device_class("Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 Safari/537.36")
'tablet'
>>> device_class("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari")
'phone'
>>> device_class("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126")
'desktop'
>>> device_class("python-requests/2.32"), device_class("")
('program', 'program')
"""

from __future__ import annotations

DEVICES = ("phone", "tablet", "desktop", "program")

_BOTS = ("bot", "crawl", "spider", "curl", "wget", "python", "httpx", "go-http", "java/", "okhttp")
_TABLETS = ("ipad", "tablet", "kindle", "silk/", "playbook")


def device_class(user_agent: str) -> str:
    """phone / tablet / desktop / program (what is not a browser is a program)."""
    ua = user_agent.lower()
    if not ua.startswith("mozilla/") or any(b in ua for b in _BOTS):
        return "program"
    if any(t in ua for t in _TABLETS) or ("android" in ua and "mobile" not in ua):
        return "tablet"
    if "mobi" in ua or "iphone" in ua or "android" in ua:
        return "phone"
    return "desktop"
