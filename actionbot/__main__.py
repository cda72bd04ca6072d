"""Entry point: load .env once, configure logging once, run the CLI."""

import logging
import os

from dotenv import load_dotenv


def main() -> None:
    """Run the `actionbot` command."""
    load_dotenv()
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from actionbot.cli import cli

    cli(prog_name="actionbot")


if __name__ == "__main__":
    main()
