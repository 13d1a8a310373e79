"""``onething bench``: sustained closed-loop load on the whole system, measured from outside (压力测试).

:mod:`.load` drives the applications, :mod:`.probes` reads the processes and the bus while it runs,
:mod:`.figures` turns what was seen into the report (pure), :mod:`.command` is the command line. :mod:`.intake`
drives intake's ``POST /cases`` from many concurrent clients instead (``onething bench --intake``).
"""
