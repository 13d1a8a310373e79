"""Satisfaction figures (满意度统计): the rules (:mod:`.fold`) and the stream processor (:mod:`.processor`)."""
