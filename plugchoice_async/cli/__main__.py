"""``python -m plugchoice_async.cli``: the ``plugchoice`` command line."""

from ._app import main

if __name__ == "__main__":
    main()
