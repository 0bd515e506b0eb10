"""Operations: what staff and supervisors need to keep a kiosk running, without Qt.

Queue and device health and the mediator console's actions (`health`,
`console`), `kiosk doctor` (`doctor`), fleet metrics (`metrics`) and signed
catalogue updates (`catalogue_update`). This package sits
above the domain (`kiosk/`) and the outbox (`offline_queue/`) and may use
`voice/`; the screens (`ui/`) and the commands (`commands/`) are built on it.
Nothing here shows a payload, an answer or a reference number.
"""
