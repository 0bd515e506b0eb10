"""The `kiosk` command: one click group per area, each command a few lines over a library call.

`commands.cli` holds the root group and `main()`; every area (`services`,
`queue`, `voice`, `mediators`/`audit`, `config`, the app itself) is a module
here that defines its group. This package sits on top: nothing imports it.
"""
