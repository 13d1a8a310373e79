"""OneThing exchange library (交换总线公共库): the one place the Kafka and database plumbing lives.

Services never copy this code: producer, consumer runner (decode → verify → inbox → handle in one
transaction → commit offset → dead letters), transactional outbox and relay, Ed25519 signing and
hash chains, OpenTelemetry context in Kafka headers, typed settings, health endpoints, the embedded
broker and pytest fixtures.

Errors (a tree, as they are raised):

* ExchangeError
  x Rejected            a message that will never succeed: dead-lettered, never retried
    + Malformed         not an envelope, or type, version or payload not as published
    + SignatureInvalid  bad, missing or untrusted signature
  x DomainRefusal       a service's business rule refuses (dispatch.domain.errors, …); each edge maps it once:
                        the consumer runner dead-letters it, an HTTP edge answers with its service's status
  x Transient           infrastructure trouble: waited out with back-off (see exchange.failures)
"""

from exchange.errors import DomainRefusal, ExchangeError, Malformed, Rejected, SignatureInvalid, Transient

__all__ = ["DomainRefusal", "ExchangeError", "Malformed", "Rejected", "SignatureInvalid", "Transient"]
