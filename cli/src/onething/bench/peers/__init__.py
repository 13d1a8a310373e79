"""The peers ``onething bench --peers`` runs beside OneThing (同场对照): the same fan-out of four department writes
and a join, done the obvious other ways, measured in the same closed loop on the same machine in the same hour
(``../shared/reference/peer-baselines.md`` describes the method):

* ``raw`` (:mod:`.raw`): the bus alone: as many messages per case as OneThing's run produced, through the same
  broker binary in as many sequential hops, with no processing: how close OneThing is to what the bus allows;
* ``celery`` (:mod:`.celery_peer`): a Celery chord on Redis (a Redis of its own, on a free port), prefork workers;
* ``dbos`` (:mod:`.dbos_peer`): a DBOS durable workflow on PostgreSQL.

Their dependencies are the ``bench`` extra of the CLI (``make bench`` installs it).
"""
