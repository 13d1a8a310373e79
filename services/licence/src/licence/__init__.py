"""Licence service (电子证照服务): an approved item that yields a licence gets exactly one electronic
licence, signed by the platform, filed in its holder's archive (一人一档/一企一档) and verifiable."""
