"""``python -m plugchoice_async.cli``: the ``plugchoice`` command line."""

from . import main

if __name__ == "__main__":
    main()
