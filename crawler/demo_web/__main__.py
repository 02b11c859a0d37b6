"""``python -m crawler.demo_web [--port N] [--scenario NAME|FILE] [--pages N]`` (same as ``yuqing demo-web``)."""

from crawler.commands import demo_web_command

if __name__ == "__main__":
    demo_web_command(prog_name="python -m crawler.demo_web")
